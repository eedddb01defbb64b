// Package ticket holds the follow-up rules of cxloop: which ticket an answer or a breach belongs
// to, its priority, team, SLA due time, the status transitions an agent may make, and the webhook
// signature. It is pure: no AWS package, no clock of its own.
package ticket

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Causes of a ticket.
const (
	CauseAnswer = "answer" // a single low answer
	CauseBreach = "breach" // an aggregate score crossed an alert rule
)

// Statuses of a ticket. Open and assigned tickets hold the contact's open-ticket lock for their
// survey; resolved and closed ones do not.
const (
	StatusOpen     = "open"
	StatusAssigned = "assigned"
	StatusResolved = "resolved"
	StatusClosed   = "closed"
)

// Statuses lists every status in lifecycle order (for filters and forms).
var Statuses = []string{StatusOpen, StatusAssigned, StatusResolved, StatusClosed}

// Domain outcomes, mapped to HTTP statuses by the tickets function.
var (
	// ErrTransition is a status change the lifecycle does not allow (e.g. closed -> open).
	ErrTransition = errors.New("status change not allowed")
	// ErrUnknownStatus is a status that is not one of Statuses.
	ErrUnknownStatus = errors.New("unknown status")
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// AnswerID is the ticket id of a low answer: derived from the invitation id, so a redelivered
// stream record (or a concurrent invocation) computes the same id and the conditional write
// makes exactly one ticket.
func AnswerID(invitationID string) string { return "a-" + invitationID }

// BreachID is the ticket id of a breach, derived from the breach item's key (survey, rule,
// window, window end): one ticket per breach.
func BreachID(survey, rule, window, windowEnd string) string {
	sum := sha256.Sum256([]byte(survey + "\x00" + rule + "\x00" + window + "\x00" + windowEnd))
	return "b-" + strings.ToLower(b32.EncodeToString(sum[:]))[:26]
}

// Rule is what routing needs of a survey's follow-up rule: the catalog's followup (its team,
// routes and SLA hours) gives one (catalog.Followup.Routing).
type Rule struct {
	Team     string
	Routes   []Route
	SLAHours int
}

// Route sends the tickets of a touchpoint, of a segment, or of both to a team. The catalog's
// followup.routes decode into Routes.
type Route struct {
	Touchpoint string            `yaml:"touchpoint,omitempty" json:"touchpoint,omitempty"`
	Segment    map[string]string `yaml:"segment,omitempty" json:"segment,omitempty"`
	Team       string            `yaml:"team" json:"team"`
}

// Team routes a ticket: the first route whose touchpoint (when set) and every segment value
// match, else the rule's team; a survey without a follow-up rule (or without a team) routes to
// DefaultTeam.
func Team(r *Rule, touchpoint string, segments map[string]string) string {
	if r == nil {
		return DefaultTeam
	}
	for _, rt := range r.Routes {
		if rt.Touchpoint != "" && rt.Touchpoint != touchpoint {
			continue
		}
		if matchSegment(rt.Segment, segments) {
			return orDefault(rt.Team)
		}
	}
	return orDefault(r.Team)
}

func orDefault(team string) string {
	if team == "" {
		return DefaultTeam
	}
	return team
}

func matchSegment(want, got map[string]string) bool {
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			return false
		}
	}
	return true
}

// DefaultTeam receives tickets of surveys that name no team (breaches of a survey without a
// follow-up rule).
const DefaultTeam = "ops"

// DefaultSLA is the SLA of tickets whose survey names none.
const DefaultSLA = 24 * time.Hour

// SLADue is when a ticket created at created must be resolved: the rule's SLA hours later.
func SLADue(r *Rule, created time.Time) time.Time {
	if r == nil || r.SLAHours <= 0 {
		return created.Add(DefaultSLA).UTC()
	}
	return created.Add(time.Duration(r.SLAHours) * time.Hour).UTC()
}

// Holds reports whether a ticket in status holds the open-ticket lock (open or assigned).
func Holds(status string) bool { return status == StatusOpen || status == StatusAssigned }

// transitions is the lifecycle: open -> assigned -> resolved -> closed, with unassign
// (assigned -> open), resolve without assignment, and reopen of a resolved ticket. Closed is final.
var transitions = map[string][]string{
	StatusOpen:     {StatusAssigned, StatusResolved},
	StatusAssigned: {StatusOpen, StatusResolved},
	StatusResolved: {StatusOpen, StatusClosed},
	StatusClosed:   nil,
}

// Transition checks a status change.
func Transition(from, to string) error {
	next, ok := transitions[from]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownStatus, from)
	}
	if _, ok := transitions[to]; !ok {
		return fmt.Errorf("%w: %q", ErrUnknownStatus, to)
	}
	for _, n := range next {
		if n == to {
			return nil
		}
	}
	return fmt.Errorf("%w: %s -> %s", ErrTransition, from, to)
}
