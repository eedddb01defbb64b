package ticket

import (
	"errors"
	"testing"
	"time"
)

func TestWhatAChangeProduces(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	maria, nobody := "maria", ""
	tests := []struct {
		name    string
		from    Ticket
		change  Change
		status  string
		actions []string
		err     error
	}{
		{"assigning adds one entry and keeps the status", Ticket{Status: StatusOpen}, Change{Assignee: &maria}, StatusOpen, []string{"assigned"}, nil},
		{"assigning the same person again changes nothing", Ticket{Status: StatusOpen, Assignee: "maria"}, Change{Assignee: &maria}, StatusOpen, nil, nil},
		{"unassigning is an entry too", Ticket{Status: StatusAssigned, Assignee: "maria"}, Change{Assignee: &nobody}, StatusAssigned, []string{"assigned"}, nil},
		{"a status, then a note, in that order", Ticket{Status: StatusOpen}, Change{Status: StatusResolved, Note: "refunded"}, StatusResolved, []string{"status", "note"}, nil},
		{"the lifecycle refuses closing an open ticket", Ticket{Status: StatusOpen}, Change{Status: StatusClosed}, "", nil, ErrTransition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eff, err := tt.from.Apply(tt.change, now)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if eff.Status != tt.status || len(eff.Events) != len(tt.actions) {
				t.Fatalf("effect %+v, want status %s and %v", eff, tt.status, tt.actions)
			}
			for i, a := range tt.actions {
				if eff.Events[i].Action != a || !eff.Events[i].At.Equal(now) {
					t.Errorf("entry %d = %+v, want %s at %s", i, eff.Events[i], a, now)
				}
			}
		})
	}
}

func TestARepeatDetractorRaisesPriorityOnce(t *testing.T) {
	t.Parallel()
	tk := Ticket{Priority: PriorityNormal}
	if _, p := tk.Attach(Answer{Score: 2}); p != PriorityHigh {
		t.Errorf("first repeat: priority %s, want high", p)
	}
	tk.Priority, tk.Repeat = PriorityHigh, true
	if ev, p := tk.Attach(Answer{Score: 1}); p != PriorityHigh || ev.Action != "attached" {
		t.Errorf("second repeat: %+v priority %s, want high kept", ev, p)
	}
}

func TestAnErasureKeepsWhoDidWhatWhen(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tk := Ticket{Answers: []Answer{{Score: 2, Comment: "call me at 555"}},
		History: []Event{{Action: "opened", Text: "Score 2"}, {Action: "note", Text: "her number is 555"}}}
	answers, history := tk.Erase(at)
	if answers[0].Comment != "" || answers[0].Score != 2 || tk.Answers[0].Comment == "" {
		t.Errorf("answers %+v (the ticket itself must stay as read)", answers)
	}
	if len(history) != 3 || history[0].Text != "Score 2" || history[1].Text != "[erased]" || history[2].Action != "erased" {
		t.Errorf("history %+v", history)
	}
}

func TestANotificationRecordedOnTheTicketCountsAsSent(t *testing.T) {
	t.Parallel()
	tk := Ticket{Notifications: map[string]Delivery{"new": {Email: "sent"}}}
	if !tk.Notified("new") || tk.Notified("escalation") {
		t.Errorf("Notified(new) = %v, Notified(escalation) = %v; want true, false", tk.Notified("new"), tk.Notified("escalation"))
	}
}

func TestOpenIsTheDraftAsOpened(t *testing.T) {
	at := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	draft := Ticket{ID: "a-1", Status: StatusClosed, CreatedAt: at, UpdatedAt: at.Add(time.Hour), Comment: "late",
		Notifications: nil, Answers: []Answer{{InvitationID: "1", Score: 2, At: at}}}
	got := Open(draft)
	if got.Status != StatusOpen || !got.UpdatedAt.Equal(at) || got.Notifications == nil || len(got.Notifications) != 0 ||
		got.Comment != "late" || len(got.Answers) != 1 || got.ID != "a-1" {
		t.Fatalf("Open = %+v", got)
	}
	if draft.Status != StatusClosed {
		t.Fatalf("Open changed the draft it was given")
	}
}
