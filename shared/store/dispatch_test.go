package store

import (
	"testing"
	"time"
)

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
			inv := &Invitation{DueAt: due, ReminderDueAt: tt.reminder, LinkExpiresAt: tt.expires}
			got, ok := reminderAt(inv, tt.sentAt)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("reminderAt = %v %v, want %v %v", got, ok, tt.want, tt.ok)
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
