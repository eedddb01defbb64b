package store

import (
	"errors"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/invitation"
)

func TestDecideAnswerSaysWhatASubmitDoesToAnInvitation(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	sent := now.Add(-time.Hour)
	answeredAt := now.Add(-time.Hour)
	score := func(n int) *int { return &n }
	window := 24 * time.Hour
	invitee := func(mod func(*Invitation)) *Invitation {
		inv := &Invitation{Kind: KindInvitation, Status: invitation.StatusSent, SentAt: &sent, LinkExpiresAt: now.Add(time.Hour)}
		if mod != nil {
			mod(inv)
		}
		return inv
	}
	answered := func(firstAgo time.Duration, s int, comment string) func(*Invitation) {
		return func(inv *Invitation) {
			inv.Answers = []Answer{{Score: s, At: now.Add(-firstAgo).UnixMilli()}}
			inv.AnsweredAt, inv.Score, inv.Comment = &answeredAt, score(s), comment
		}
	}
	tests := []struct {
		name    string
		inv     *Invitation
		answer  NewAnswer
		want    invitation.AnswerOutcome
		wantErr error
	}{
		{"a sent invitation takes its first answer", invitee(nil), NewAnswer{Score: 7}, invitation.AnswerFirst, nil},
		{"an unsure send counts as sent", invitee(func(i *Invitation) { i.SentAt, i.Status = nil, invitation.StatusUnsure }), NewAnswer{Score: 7}, invitation.AnswerFirst, nil},
		{"a pending invitation was not sent", invitee(func(i *Invitation) { i.SentAt, i.Status = nil, invitation.StatusPending }), NewAnswer{Score: 7}, 0, invitation.ErrNotSent},
		{"a send in flight is not sent yet", invitee(func(i *Invitation) { i.SentAt, i.Status = nil, invitation.StatusSending }), NewAnswer{Score: 7}, 0, invitation.ErrNotSent},
		{"a skipped decision is not an invitation", invitee(func(i *Invitation) { i.Kind = KindDecision }), NewAnswer{Score: 7}, 0, ErrNotFound},
		{"no item at all", nil, NewAnswer{Score: 7}, 0, ErrNotFound},
		{"an expired link takes nothing", invitee(func(i *Invitation) { i.LinkExpiresAt = now }), NewAnswer{Score: 7}, 0, invitation.ErrExpired},
		{"an unsubscribed invitation still takes its answer", invitee(func(i *Invitation) { i.Stopped = invitation.StopUnsubscribed }), NewAnswer{Score: 7}, invitation.AnswerFirst, nil},
		{"the same answer again is unchanged", invitee(answered(time.Hour, 7, "ok")), NewAnswer{Score: 7, Comment: "ok", EditWindow: window}, invitation.AnswerUnchanged, nil},
		{"the same answer after the window is still unchanged", invitee(answered(48*time.Hour, 7, "ok")), NewAnswer{Score: 7, Comment: "ok", EditWindow: window}, invitation.AnswerUnchanged, nil},
		{"a new score within the window is an edit", invitee(answered(time.Hour, 7, "ok")), NewAnswer{Score: 9, Comment: "ok", EditWindow: window}, invitation.AnswerEdited, nil},
		{"a new comment within the window is an edit", invitee(answered(time.Hour, 7, "ok")), NewAnswer{Score: 7, Comment: "great", EditWindow: window}, invitation.AnswerEdited, nil},
		{"a change a millisecond before the window ends is an edit", invitee(answered(window-time.Millisecond, 7, "")), NewAnswer{Score: 1, EditWindow: window}, invitation.AnswerEdited, nil},
		{"a change when the window ends is refused", invitee(answered(window, 7, "")), NewAnswer{Score: 1, EditWindow: window}, 0, invitation.ErrEditWindowClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decideAnswer(tt.inv, tt.answer, now)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("decideAnswer = %v, %v; want %v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestAnAnswerAlwaysLandsAfterThePreviousOne(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		previous []Answer
		want     int64
	}{
		{"the first answer is now", nil, now.UnixMilli()},
		{"after an older answer it is now", []Answer{{At: now.Add(-time.Minute).UnixMilli()}}, now.UnixMilli()},
		{"after an answer from a clock running ahead it is just after that", []Answer{{At: now.Add(time.Second).UnixMilli()}}, now.Add(time.Second).UnixMilli() + 1},
		{"after an answer in the same millisecond it is the next", []Answer{{At: now.UnixMilli()}}, now.UnixMilli() + 1},
	}
	for _, tt := range tests {
		if got := answerTime(&Invitation{Answers: tt.previous}, now); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}
