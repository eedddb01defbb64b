package e2e_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/infra/local/fault"
	"github.com/cxloop/cxloop/infra/local/rig"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/ticket"
)

func TestFaultEveryTriggerDeliveredTwiceYieldsOneOfEverything(t *testing.T) {
	loop(t, duplicateTouchpoints, 0)
}

func TestFaultTenPercentFaultsOnDynamoDBAndSESLoseNothingAndDoubleNothing(t *testing.T) {
	loop(t, faultTouchpoints, 0.10)
}

// loop runs n touchpoints through the whole loop with every trigger delivered at least twice
// and rate faults on every DynamoDB and SES call, then checks the books.
func loop(t *testing.T, n int, rate float64) {
	var logs strings.Builder
	o := rig.Options{
		DDBFaults: fault.Config{Rate: rate, Seed: 20261123},
		SESFaults: fault.Config{Rate: rate, Seed: 11232026},
		// SES's Send events: late (up to 1.5 s here, seconds to minutes in AWS), and lost far
		// more often than AWS loses them, so that the resend path runs in every fault run.
		SendEvents: &fault.SendEventsConfig{MinDelay: 20 * time.Millisecond, MaxDelay: 1500 * time.Millisecond, LossRate: 0.10, Seed: 12042026},
		Logs:       &syncWriter{w: &logs},
	}
	if os.Getenv("FAULT_LOGS") != "" {
		o.Logs = os.Stderr
	}
	r := startRig(t, o)
	r.StartStreams(true) // every stream batch twice
	ctx, cancel := context.WithTimeout(context.Background(), runBudget)
	defer cancel()
	u := newRun(t, r, n)
	start := time.Now()

	u.touchpoints(ctx, 4)
	invs := invitationsOf(t, u)
	if len(invs) != n {
		t.Fatalf("%d invitations for %d touchpoints (each delivered 2-3 times), want exactly one each", len(invs), n)
	}
	for _, inv := range invs {
		if inv.Outcome != invitation.OutcomeInvited {
			t.Errorf("event %s decided %q, want invited", inv.EventID, inv.Outcome)
		}
	}

	u.dispatch(ctx)
	u.settleUnsure(ctx)
	emails, err := r.Emails(ctx, "@"+u.domain)
	if err != nil {
		t.Fatal(err)
	}
	invs = invitationsOf(t, u)
	books := account(invs, emails, r.SendEvents.Lost)
	published, lostEvents := r.SendEvents.Counts()
	t.Logf("sends: %+v", books)
	t.Logf("FIGURES unsure: sent once=%d settled by event=%d resent=%d stopped=%d doubled=%d (each after its Send and Delivery events were lost: %d) never asked=%d; Send events published=%d lost=%d",
		books.SentOnce, books.SettledByEvent, books.Resent, books.Stopped, books.Doubled, books.DoubledAfterLostEvent, books.NeverAsked, published, lostEvents)
	if books.NeverAsked > 0 {
		t.Errorf("%d invitations never reached SES and are not stopped", books.NeverAsked)
	}
	if books.Doubled > books.DoubledAfterLostEvent {
		t.Errorf("%d recipients got more than one invitation email, %d of them explained by lost events", books.Doubled, books.DoubledAfterLostEvent)
		perTo := map[string]int{}
		for _, e := range emails {
			perTo[e.To()]++
		}
		for _, inv := range invs {
			if perTo[inv.Email] > 1 {
				t.Logf("doubled: %s status=%s attempts=%d messageId=%s lastSendError=%q", inv.ID, inv.Status, inv.SendAttempts, inv.MessageID, inv.LastSendError)
				for _, line := range strings.Split(logs.String(), "\n") {
					if strings.Contains(line, inv.ID) {
						t.Log("  ", tail(line, 400))
					}
				}
			}
		}
	}
	if books.Lost > 0 {
		t.Errorf("%d invitations lost: still due, or marked sent with a message id SES never had", books.Lost)
	}
	if books.Unaccounted > 0 {
		t.Errorf("%d emails in SES match no invitation's message id and no unsure invitation", books.Unaccounted)
	}
	if rate == 0 && books.Sent != n {
		t.Errorf("without faults %d of %d invitations were sent", books.Sent, n)
	}

	answered := u.answer(ctx, emails, 4)
	want := map[int]int64{}
	low := 0
	for _, s := range answered {
		want[s]++
		if s <= 2 {
			low++
		}
	}
	h := u.score(ctx, len(answered))
	if got := answeredTotal(h); got != int64(len(answered)) {
		t.Errorf("histogram holds %d answers, want %d (each answer posted twice)", got, len(answered))
	}
	for s := 1; s <= 5; s++ {
		if h.Counts[s] != want[s] {
			t.Errorf("histogram[%d] = %d, want %d", s, h.Counts[s], want[s])
		}
	}
	for _, inv := range invitationsOf(t, u) {
		if s, ok := answered[inv.Email]; ok && (inv.Score == nil || *inv.Score != s) {
			t.Errorf("invitation %s holds score %v, want %d", inv.ID, inv.Score, s)
		}
	}

	tickets := u.awaitTickets(ctx, low)
	perInvitation := map[string]int{}
	breachTickets := 0
	for _, tk := range tickets {
		if tk.Cause == ticket.CauseBreach {
			breachTickets++ // 40% low answers breach csat-1d-below-70: one ticket per rule x window
			continue
		}
		perInvitation[tk.InvitationID]++
	}
	if breachTickets > 1 {
		t.Errorf("%d breach tickets, want at most one for the one breached rule and window", breachTickets)
	}
	doubledTickets := 0
	for _, c := range perInvitation {
		if c > 1 {
			doubledTickets++
		}
	}
	if len(perInvitation) != low || doubledTickets > 0 {
		t.Errorf("%d tickets for %d invitations (%d with more than one), want one per low answer: %d", len(tickets), len(perInvitation), doubledTickets, low)
	}

	t.Logf("FIGURES touchpoints=%d deliveries=%d posts=%d dispatch+score ticks=%d answer posts=%d failed invokes=%d retries=%d invitations=%d emails=%d sent=%d unsure=%d (with email %d) answered=%d low=%d answer tickets=%d breach tickets=%d lost=%d doubled=%d elapsed=%s",
		n, u.deliveries.Load(), u.posts.Load(), u.ticks.Load(), u.answerPosts.Load(), u.failedInvokes.Load(), u.retries.Load(),
		len(invs), len(emails), books.Sent, books.Unsure, books.UnsureDelivered, len(answered), low, len(perInvitation), breachTickets,
		books.Lost, books.Doubled+doubledTickets, time.Since(start).Round(time.Second))
	t.Logf("FAULTS %s", faultSummary(r))
	if t.Failed() && o.Logs != os.Stderr {
		t.Logf("function logs (tail):\n%s", tail(logs.String(), 4000))
	}
}

func invitationsOf(t *testing.T, u *run) []store.Invitation {
	t.Helper()
	all, err := u.r.Invitations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Invitation
	for _, inv := range all {
		if strings.HasSuffix(inv.Email, "@"+u.domain) {
			out = append(out, inv)
		}
	}
	return out
}

// settleUnsure runs what follows an unknown send outcome: SES's Send events arrive (the rig
// publishes them late, some never), then the resend window passes and the dispatcher resends
// what no event settled, round after round until nothing unsure is waiting.
func (u *run) settleUnsure(ctx context.Context) {
	for round := 0; round < 10; round++ {
		u.r.SendEventsDelivered()
		moved, err := u.r.ElapseResendWindows(ctx)
		if err != nil {
			u.t.Fatal(err)
		}
		if moved == 0 {
			return
		}
		u.dispatch(ctx)
	}
	u.t.Error("unsure invitations still waiting after 10 resend rounds")
}

// books is the account of every send.
type books struct {
	Sent            int // marked sent with a message id the SES stand-in holds
	Unsure          int // outcome still unknown after the resend (its Send event lost too)
	UnsureDelivered int // of those, how many SES did accept
	Lost            int // still due after every tick, or marked sent with an id SES never had
	Doubled         int // recipients with more than one invitation email
	Unaccounted     int // emails matching no invitation

	SentOnce              int // recipients with exactly one email
	SettledByEvent        int // unsure sends settled as sent by SES's Send event
	Resent                int // resent after the window (no Send event came)
	Stopped               int // stopped with a reason (rejected, expired, ...)
	DoubledAfterLostEvent int // doubled recipients one of whose emails had both its Send and Delivery events lost
	NeverAsked            int // no email ever reached SES, and not stopped
}

func account(invs []store.Invitation, emails []rig.Email, lostEvent func(messageID string) bool) books {
	var b books
	byID := map[string]bool{}
	perTo := map[string]int{}
	lostTo := map[string]bool{}
	for _, e := range emails {
		byID[e.MessageID] = true
		perTo[e.To()]++
		if lostEvent != nil && lostEvent(e.MessageID) {
			lostTo[e.To()] = true
		}
	}
	for to, c := range perTo {
		switch {
		case c == 1:
			b.SentOnce++
		case c > 1:
			b.Doubled++
			if lostTo[to] {
				b.DoubledAfterLostEvent++
			}
		}
	}
	known := map[string]bool{}
	unsureTo := map[string]bool{}
	for _, inv := range invs {
		if inv.SettledBy == "send-event" {
			b.SettledByEvent++
		}
		if inv.ResentAt != nil {
			b.Resent++
			unsureTo[inv.Email] = true // the first email's id was never known
		}
		if inv.Stopped != "" {
			b.Stopped++
		} else if perTo[inv.Email] == 0 {
			b.NeverAsked++
		}
		switch {
		case inv.Status == invitation.StatusUnsure:
			b.Unsure++
			unsureTo[inv.Email] = true
			if perTo[inv.Email] > 0 {
				b.UnsureDelivered++
			}
		case inv.MessageID != "" && byID[inv.MessageID]:
			b.Sent++
			known[inv.MessageID] = true
		default:
			b.Lost++
		}
	}
	for _, e := range emails {
		if !known[e.MessageID] && !unsureTo[e.To()] {
			b.Unaccounted++
		}
	}
	return b
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
