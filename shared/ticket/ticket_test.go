package ticket

import (
	"errors"
	"testing"
	"time"
)

var rule = &Rule{
	Team: "customer-success", SLAHours: 48,
	Routes: []Route{
		{Segment: map[string]string{"region": "eu"}, Team: "customer-success-eu"},
		{Touchpoint: "support.case.closed", Segment: map[string]string{"plan": "pro"}, Team: "support-pro"},
	},
}

func TestIDs(t *testing.T) {
	t.Parallel()
	if got := AnswerID("abc"); got != "a-abc" {
		t.Errorf("AnswerID = %q", got)
	}
	a := BreachID("nps", "r1", "7d", "2026-11-23T00:00:00.000Z")
	if a != BreachID("nps", "r1", "7d", "2026-11-23T00:00:00.000Z") {
		t.Error("the same breach key gives different ids")
	}
	if len(a) != 28 || a[:2] != "b-" {
		t.Errorf("BreachID = %q, want b- and 26 characters", a)
	}
	others := []string{
		BreachID("nps", "r1", "7d", "2026-11-24T00:00:00.000Z"),
		BreachID("nps", "r2", "7d", "2026-11-23T00:00:00.000Z"),
		BreachID("nps", "r1", "30d", "2026-11-23T00:00:00.000Z"),
		BreachID("nps#r", "1", "7d", "2026-11-23T00:00:00.000Z"),
	}
	for _, o := range others {
		if o == a {
			t.Errorf("a different breach got the same id %q", o)
		}
	}
}

func TestTeam(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		rule       *Rule
		touchpoint string
		segments   map[string]string
		want       string
	}{
		{"no matching route goes to the rule's team", rule, "order.delivered", map[string]string{"region": "us"}, "customer-success"},
		{"a segment route wins", rule, "order.delivered", map[string]string{"region": "eu"}, "customer-success-eu"},
		{"the first matching route wins", rule, "support.case.closed", map[string]string{"region": "eu", "plan": "pro"}, "customer-success-eu"},
		{"a route needs its touchpoint and its segments", rule, "support.case.closed", map[string]string{"plan": "pro"}, "support-pro"},
		{"a route's touchpoint alone is not enough", rule, "support.case.closed", map[string]string{"plan": "free"}, "customer-success"},
		{"missing segments match no route", rule, "order.delivered", nil, "customer-success"},
		{"no rule goes to the default team", nil, "x", nil, DefaultTeam},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Team(c.rule, c.touchpoint, c.segments); got != c.want {
				t.Errorf("Team = %q, want %q", got, c.want)
			}
		})
	}
}

func TestSLADue(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		rule *Rule
		want time.Time
	}{
		{"the rule's SLA hours are added", rule, created.Add(48 * time.Hour)},
		{"a rule without SLA hours gets the default", &Rule{}, created.Add(DefaultSLA)},
		{"no rule gets the default", nil, created.Add(DefaultSLA)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := SLADue(c.rule, created); !got.Equal(c.want) {
				t.Errorf("SLADue = %v, want %v", got, c.want)
			}
		})
	}
}

func TestPriority(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		got  string
		want string
	}{
		{"the rule's priority is kept for an ordinary contact", Priority(PriorityHigh, map[string]string{"plan": "pro"}), PriorityHigh},
		{"an enterprise contact gets one level more", Priority(PriorityNormal, map[string]string{"plan": "enterprise"}), PriorityHigh},
		{"urgent is the ceiling", Priority(PriorityUrgent, map[string]string{"plan": "enterprise"}), PriorityUrgent},
		{"an empty rule priority counts as normal", Priority("", nil), PriorityNormal},
		{"a repeat detractor raises the ticket once", Repeat(PriorityNormal, false), PriorityHigh},
		{"a second repeat does not raise again", Repeat(PriorityHigh, true), PriorityHigh},
		{"a breach starts above the answer rule", BreachPriority(PriorityNormal), PriorityHigh},
		{"a breach without a rule is high", BreachPriority(""), PriorityHigh},
		{"escalation raises one level", Raise(PriorityHigh), PriorityUrgent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
}

func TestTransition(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		from, to string
		want     error
	}{
		{"an open ticket can be assigned", StatusOpen, StatusAssigned, nil},
		{"an open ticket can be resolved directly", StatusOpen, StatusResolved, nil},
		{"an assigned ticket can be unassigned", StatusAssigned, StatusOpen, nil},
		{"an assigned ticket can be resolved", StatusAssigned, StatusResolved, nil},
		{"a resolved ticket can be reopened", StatusResolved, StatusOpen, nil},
		{"a resolved ticket can be closed", StatusResolved, StatusClosed, nil},
		{"an open ticket cannot be closed without resolving", StatusOpen, StatusClosed, ErrTransition},
		{"a closed ticket cannot be reopened", StatusClosed, StatusOpen, ErrTransition},
		{"a status cannot move to itself", StatusOpen, StatusOpen, ErrTransition},
		{"an unknown target status is refused", StatusOpen, "done", ErrUnknownStatus},
		{"an unknown current status is refused", "weird", StatusOpen, ErrUnknownStatus},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Transition(c.from, c.to)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("Transition(%s, %s) = %v, want %v", c.from, c.to, err, c.want)
			}
		})
	}
	if !Holds(StatusOpen) || !Holds(StatusAssigned) || Holds(StatusResolved) || Holds(StatusClosed) {
		t.Error("only open and assigned tickets hold the open-ticket lock")
	}
}
