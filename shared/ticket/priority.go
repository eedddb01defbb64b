package ticket

// Priorities, lowest first.
const (
	PriorityLow    = "low"
	PriorityNormal = "normal"
	PriorityHigh   = "high"
	PriorityUrgent = "urgent"
)

// Priorities are the priorities a ticket (and a catalog follow-up rule) may take, lowest first.
var Priorities = []string{PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent}

// ValueSegment and ValueTiers name the contact value attribute: a contact whose segment
// ValueSegment is one of ValueTiers (plan = enterprise) gets one priority level more. A segment,
// not a numeric attribute, because segments are what invitations keep of an event's attributes.
const ValueSegment = "plan"

// ValueTiers are the values of ValueSegment that raise priority.
var ValueTiers = map[string]bool{"enterprise": true}

// Raise returns the priority one level above p (urgent stays urgent; an unknown p counts as normal).
func Raise(p string) string {
	for i, q := range Priorities {
		if q == p {
			if i+1 < len(Priorities) {
				return Priorities[i+1]
			}
			return p
		}
	}
	return PriorityHigh
}

// Rank orders priorities: a larger rank is more urgent (unknown ranks as normal).
func Rank(p string) int {
	for i, q := range Priorities {
		if q == p {
			return i
		}
	}
	return 1
}

// Priority is a new answer ticket's priority: the rule's priority, one level up for a valuable
// contact (ValueSegment in ValueTiers).
func Priority(rule string, segments map[string]string) string {
	p := Priorities[Rank(rule)] // an unknown or empty rule priority counts as normal
	if ValueTiers[segments[ValueSegment]] {
		p = Raise(p)
	}
	return p
}

// Repeat is the priority of an open ticket when the same contact answers low again: one level up,
// once (a repeat detractor); later repeats keep it.
func Repeat(current string, alreadyRepeated bool) string {
	if alreadyRepeated {
		return current
	}
	return Raise(current)
}

// BreachPriority is the priority of an aggregate ticket: a breach concerns many customers, so it
// starts one level above the survey's single-answer rule.
func BreachPriority(rule string) string {
	if rule == "" {
		return PriorityHigh
	}
	return Raise(rule)
}
