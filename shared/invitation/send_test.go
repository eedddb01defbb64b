package invitation

import (
	"testing"
	"time"
)

func TestDueSaysWhatTheDispatcherDoesWithADueItem(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	later, earlier := now.Add(time.Minute), now.Add(-time.Minute)
	tests := []struct {
		name string
		s    Sends
		want Step
	}{
		{"a skipped decision is nothing to send", Sends{Status: StatusPending}, StepNone},
		{"a pending invitation gets its first email", Sends{Invited: true, Status: StatusPending}, StepInvite},
		{"a sent invitation gets its reminder", Sends{Invited: true, Status: StatusSent}, StepReminder},
		{"an unsure first email is resent once", Sends{Invited: true, Status: StatusUnsure}, StepResend},
		{"a stopped invitation leaves the due index", Sends{Invited: true, Status: StatusSent, Stopped: StopAnswered}, StepRetire},
		{"a finished invitation leaves the due index", Sends{Invited: true, Status: StatusDone}, StepRetire},
		{"a claim within its lease is left alone", Sends{Invited: true, Status: StatusSending, LeaseUntil: &later}, StepNone},
		{"a reminder claim within its lease is left alone", Sends{Invited: true, Status: StatusReminding, LeaseUntil: &later}, StepNone},
		{"a claim whose lease ended is over", Sends{Invited: true, Status: StatusSending, LeaseUntil: &earlier}, StepLeaseOver},
		{"a claim taken before leaseUntil existed is over once due", Sends{Invited: true, Status: StatusSending}, StepLeaseOver},
		{"a lease ending exactly now is over", Sends{Invited: true, Status: StatusReminding, LeaseUntil: &now}, StepLeaseOver},
		{"an unsure resend with a noted Send event is sent", Sends{Invited: true, Status: StatusUnsure, Resent: true, AcceptedMessageID: "m"}, StepAccepted},
		{"an unsure resend without one is stopped, never sent a third time", Sends{Invited: true, Status: StatusUnsure, Resent: true}, StepStopUnsure},
		{"an expired link stops a pending invitation", Sends{Invited: true, Status: StatusPending, LinkExpiresAt: now}, StepExpire},
		{"an expired link stops the reminder", Sends{Invited: true, Status: StatusSent, LinkExpiresAt: earlier}, StepExpire},
		{"a link valid a minute more still sends", Sends{Invited: true, Status: StatusPending, LinkExpiresAt: later}, StepInvite},
		{"an unknown status is nothing to send", Sends{Invited: true, Status: "archived"}, StepNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Due(tt.s, now); got != tt.want {
				t.Errorf("Due = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestReminderAt(t *testing.T) {
	due := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := due.Add(d); return &x }
	day := 24 * time.Hour
	tests := []struct {
		name     string
		reminder *time.Time
		expires  time.Time
		sentAt   time.Time
		want     time.Time
		ok       bool
	}{
		{"no reminder configured means none", nil, due.Add(14 * day), due, time.Time{}, false},
		{"an email sent on time keeps the planned reminder", at(3 * day), due.Add(14 * day), due, due.Add(3 * day), true},
		{"an email sent a day late moves the reminder a day", at(3 * day), due.Add(14 * day), due.Add(day), due.Add(4 * day), true},
		{"a reminder at or after the link's expiry is dropped", at(3 * day), due.Add(3 * day), due, time.Time{}, false},
		{"a late email whose reminder would pass the expiry gets none", at(3 * day), due.Add(5 * day), due.Add(2 * day), time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ReminderAt(due, tt.reminder, tt.expires, tt.sentAt)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("ReminderAt = %v %v, want %v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestBackoffDoublesUpToHalfAnHour(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 30 * time.Minute, 30 * time.Minute}
	for i, w := range want {
		if got := Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if Backoff(1000) != 30*time.Minute {
		t.Error("a long run of refusals must stay at the cap")
	}
}
