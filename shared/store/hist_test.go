package store

import "testing"

func TestTheLaterCopyOfAnInvitationReadTwiceFromTheFeedIsKept(t *testing.T) {
	t.Parallel()
	one := []Answer{{Score: 3, At: 1000}}
	two := []Answer{{Score: 3, At: 1000}, {Score: 10, At: 2000}}
	for _, c := range []struct {
		name string
		a, b feedItem
		want bool
	}{
		{"a copy with more answers is later", feedItem{FeedAt: "2026-11-23T10:00:00.000Z", Answers: two}, feedItem{FeedAt: "2026-11-23T11:00:00.000Z", Answers: one}, true},
		{"a copy with fewer answers is earlier", feedItem{FeedAt: "2026-11-23T11:00:00.000Z", Answers: one}, feedItem{FeedAt: "2026-11-23T10:00:00.000Z", Answers: two}, false},
		{"with as many answers the later feed time is later", feedItem{FeedAt: "2026-11-23T11:00:00.000Z"}, feedItem{FeedAt: "2026-11-23T10:00:00.000Z"}, true},
		{"with as many answers the earlier feed time is earlier", feedItem{FeedAt: "2026-11-23T10:00:00.000Z", Answers: one}, feedItem{FeedAt: "2026-11-23T11:00:00.000Z", Answers: one}, false},
		{"the same copy is not later than itself", feedItem{FeedAt: "2026-11-23T10:00:00.000Z", Answers: one}, feedItem{FeedAt: "2026-11-23T10:00:00.000Z", Answers: one}, false},
	} {
		if got := laterCopy(c.a, c.b); got != c.want {
			t.Errorf("%s: laterCopy = %v, want %v", c.name, got, c.want)
		}
	}
}
