package ticket

import (
	"fmt"
	"time"
)

// Change is what an agent does to a ticket: a status, an assignee, a note (each optional).
type Change struct {
	Actor    string
	Status   string  // "" keeps the status
	Assignee *string // nil keeps the assignee, "" unassigns
	Note     string
	// Retention is how long a closed ticket is kept (its TTL is set on close); 0 keeps it forever.
	Retention time.Duration
}

// Effect is what a change does to a ticket: the history entries it adds, the status it leaves the
// ticket in and the assignee it sets (nil: unchanged, "": unassigned). No entries: no change.
type Effect struct {
	Events   []Event
	Status   string
	Assignee *string
}

// Apply works out what c does to t at now, without changing t. A status change the lifecycle
// Open is draft as it stands once opened: open, last updated when created, nothing notified.
func Open(draft Ticket) Ticket {
	draft.Status = StatusOpen
	draft.UpdatedAt = draft.CreatedAt
	if draft.Notifications == nil {
		draft.Notifications = map[string]Delivery{}
	}
	return draft
}

// refuses is ErrTransition.
func (t *Ticket) Apply(c Change, now time.Time) (Effect, error) {
	eff := Effect{Status: t.Status}
	if c.Assignee != nil && *c.Assignee != t.Assignee {
		eff.Assignee = c.Assignee
		text := "assigned to " + *c.Assignee
		if *c.Assignee == "" {
			text = "unassigned"
		}
		eff.Events = append(eff.Events, Event{At: now, Actor: c.Actor, Action: "assigned", Text: text})
	}
	if c.Status != "" {
		if err := Transition(t.Status, c.Status); err != nil {
			return Effect{}, err
		}
		eff.Status = c.Status
		eff.Events = append(eff.Events, Event{At: now, Actor: c.Actor, Action: "status", Text: t.Status + " -> " + c.Status})
	}
	if c.Note != "" {
		eff.Events = append(eff.Events, Event{At: now, Actor: c.Actor, Action: "note", Text: c.Note})
	}
	return eff, nil
}

// Attach is what a later low answer a of the same contact does to its open ticket: the history
// entry and the priority after (a repeat detractor raises it once).
func (t *Ticket) Attach(a Answer) (Event, string) {
	ev := Event{At: a.At, Actor: "customer", Action: "attached",
		Text: fmt.Sprintf("Another low answer from the same contact: score %d", a.Score)}
	prio := Repeat(t.Priority, t.Repeat)
	if prio != t.Priority {
		ev.Text += fmt.Sprintf("; priority %s -> %s (repeat detractor)", t.Priority, prio)
	}
	return ev, prio
}

// Edited is the history entry of an answer already on a ticket that comes back in a new version.
func Edited(a Answer) Event {
	text := fmt.Sprintf("Answer %s edited: score %d", a.InvitationID, a.Score)
	if a.Comment != "" {
		text += " (comment changed or kept)"
	}
	return Event{At: a.At, Actor: "customer", Action: "edited", Text: text}
}

// slaText is how a history entry writes a time: the layout of the table's sort keys, which the
// history has always shown.
const slaText = "2006-01-02T15:04:05.000Z"

// Escalation is what an overdue ticket's escalation at now does: the history entry and the
// priority after (one level up).
func (t *Ticket) Escalation(now time.Time) (Event, string) {
	prio := Raise(t.Priority)
	return Event{At: now, Actor: "sla", Action: "escalated",
		Text: fmt.Sprintf("SLA due %s passed; priority %s -> %s", t.SLADue.UTC().Format(slaText), t.Priority, prio)}, prio
}

// Erase is a ticket's answers without their comments and its history without free text, keeping
// who did what when, plus the erasure's own entry: what an erasure at now leaves.
func (t *Ticket) Erase(now time.Time) ([]Answer, []Event) {
	answers := make([]Answer, len(t.Answers))
	for i, a := range t.Answers {
		a.Comment = ""
		answers[i] = a
	}
	history := make([]Event, 0, len(t.History)+1)
	for _, ev := range t.History {
		if ev.Action == "note" || ev.Action == "edited" || ev.Action == "closeloop" { // closeloop holds the message sent
			ev.Text = "[erased]"
		}
		history = append(history, ev)
	}
	history = append(history, Event{At: now, Actor: "privacy", Action: "erased", Text: "personal fields of the contact erased"})
	return answers, history
}
