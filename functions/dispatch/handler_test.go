package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/token"
)

const day = 24 * time.Hour

func TestConcurrentTicksSendEachInvitationOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var invs []*store.Invitation
	for range 24 {
		invs = append(invs, f.put(invite{locale: "en", dueIn: -time.Minute, reminder: 3 * day}))
	}
	var wg sync.WaitGroup
	sums := make([]Summary, 4)
	for i := range sums {
		wg.Go(func() { sums[i] = f.tick() })
	}
	wg.Wait()
	sent := 0
	for _, s := range sums {
		sent += s.Sent
	}
	if sent != len(invs) {
		t.Errorf("ticks report %d sent, want %d (%+v)", sent, len(invs), sums)
	}
	for _, inv := range invs {
		got := f.emails(inv)
		if len(got) != 1 {
			t.Fatalf("invitation %s got %d emails, want 1", inv.ID, len(got))
		}
		after := f.get(inv.ID)
		if after.Status != invitation.StatusSent || after.MessageID != got[0].MessageID || after.SentAt == nil {
			t.Errorf("invitation %s: status %q message %q sentAt %v, want sent with %q", inv.ID, after.Status, after.MessageID, after.SentAt, got[0].MessageID)
		}
		if after.GSI3PK == "" || after.GSI3SK != store.FormatTime(*after.SentAt) {
			t.Errorf("invitation %s is not on the scorer's change feed: %q %q", inv.ID, after.GSI3PK, after.GSI3SK)
		}
		// The reminder keeps its planned distance from the email (sent a minute late here).
		if want := store.FormatTime(after.SentAt.Add(3 * day)); after.GSI4SK != want {
			t.Errorf("reminder due key = %q, want %q", after.GSI4SK, want)
		}
		// The settled claim leaves no bookkeeping behind (it would only make the item bigger).
		if after.ClaimID != "" || after.ClaimedAt != nil || after.LeaseUntil != nil || after.SendAttempts != 1 {
			t.Errorf("invitation %s after the mark: claim %q at %v lease %v attempts %d", inv.ID, after.ClaimID, after.ClaimedAt, after.LeaseUntil, after.SendAttempts)
		}
	}
	if again := f.tick(); again.Sent != 0 || again.Claimed != 0 {
		t.Errorf("a later tick sent again: %+v", again)
	}
}

func TestRefusedSendsStayDueAndGoOutOnce(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusTooManyRequests, http.StatusInternalServerError} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			f := newFixture(t)
			inv := f.put(invite{locale: "en", dueIn: -time.Minute})
			good := f.h.Mail
			refusing, calls := refusingSES(t, status)
			f.h.Mail = refusing

			for i := range 2 {
				s := f.tick()
				if s.Refused != 1 || s.Sent != 0 {
					t.Fatalf("refusing tick %d: %+v", i, s)
				}
				after := f.get(inv.ID)
				if after.Status != invitation.StatusPending || after.LastSendError == "" || after.GSI4PK == "" {
					t.Fatalf("after a refusal: status %q error %q due %q, want pending and still due", after.Status, after.LastSendError, after.GSI4PK)
				}
				want := f.clock.Now().Add(invitation.Backoff(after.SendAttempts))
				if after.GSI4SK != store.FormatTime(want) {
					t.Errorf("retry at %s, want %s", after.GSI4SK, store.FormatTime(want))
				}
				if s := f.tick(); s.Claimed != 0 {
					t.Errorf("a refused send was retried before its backoff: %+v", s)
				}
				f.clock.Add(invitation.Backoff(after.SendAttempts))
			}
			if *calls != 2 {
				t.Errorf("SES saw %d attempts, want 2 (no SDK retries)", *calls)
			}

			f.h.Mail = good
			if s := f.tick(); s.Sent != 1 {
				t.Fatalf("tick after SES recovered: %+v", s)
			}
			f.clock.Add(time.Hour)
			f.tick()
			if got := f.emails(inv); len(got) != 1 {
				t.Fatalf("%d emails, want exactly 1", len(got))
			}
			if after := f.get(inv.ID); after.Status != invitation.StatusSent || after.SendAttempts != 3 {
				t.Errorf("status %q attempts %d, want sent after 3 attempts", after.Status, after.SendAttempts)
			}
		})
	}
}

func TestReminders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// between runs after the first email, before the reminder is due
		between     func(f *fixture, inv *store.Invitation)
		wantEmails  int
		wantStopped string
	}{
		{"an unanswered invitation gets one reminder", nil, 2, ""},
		{"an answered invitation gets none", func(f *fixture, inv *store.Invitation) {
			f.set(inv.PK, inv.SK, map[string]any{"stopped": invitation.StopAnswered, "score": 9})
		}, 1, invitation.StopAnswered},
		{"an unsubscribed contact gets none", func(f *fixture, inv *store.Invitation) {
			// Only the contact state: the dispatcher's own check must catch it.
			f.set("CONTACT#"+inv.ContactID, "STATE", map[string]any{"unsubscribedAt": f.clock.Now()})
		}, 1, invitation.StopUnsubscribed},
		{"a bounced invitation gets none", func(f *fixture, inv *store.Invitation) {
			if _, err := f.st.StopInvitation(context.Background(), inv.ID, invitation.StopBounced); err != nil {
				t.Fatal(err)
			}
		}, 1, invitation.StopBounced},
		{"a suppressed address gets none", func(f *fixture, inv *store.Invitation) {
			if err := f.st.Suppress(context.Background(), strings.ToUpper(inv.Email), store.SuppressComplaint, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}, 1, invitation.StopSuppressed},
		{"an expired link gets none", func(f *fixture, inv *store.Invitation) {
			f.clock.Add(5 * day) // the reminder is due at 3 days, the link expires at 4
		}, 1, invitation.StopExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			inv := f.put(invite{locale: "es", dueIn: -time.Minute, reminder: 3 * day, expiry: 4 * day})
			if s := f.tick(); s.Sent != 1 {
				t.Fatalf("first tick: %+v", s)
			}
			if tt.between != nil {
				tt.between(f, inv)
			}
			f.clock.Add(3*day + time.Minute)
			f.tick()
			f.clock.Add(day)
			f.tick()
			got := f.emails(inv)
			if len(got) != tt.wantEmails {
				t.Fatalf("%d emails, want %d", len(got), tt.wantEmails)
			}
			after := f.get(inv.ID)
			if after.Stopped != tt.wantStopped {
				t.Errorf("stopped = %q, want %q", after.Stopped, tt.wantStopped)
			}
			if after.GSI4PK != "" {
				t.Errorf("still on the due index: %s %s", after.GSI4PK, after.GSI4SK)
			}
			if tt.wantEmails == 2 {
				if !strings.HasPrefix(got[1].Subject, "Recordatorio:") || after.Status != invitation.StatusDone || after.ReminderMessageID != got[1].MessageID {
					t.Errorf("reminder: subject %q status %q id %q", got[1].Subject, after.Status, after.ReminderMessageID)
				}
			}
		})
	}
}

func TestTheEmailAsReceived(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.put(invite{locale: "es-MX", name: "Ana <b>", dueIn: -time.Minute})
	f.tick()
	got := f.emails(inv)
	if len(got) != 1 {
		t.Fatalf("%d emails, want 1", len(got))
	}
	e := got[0]
	if e.Subject != "Tu experiencia con Acme: una pregunta rápida" {
		t.Errorf("subject %q is not the Spanish one", e.Subject)
	}
	if !strings.Contains(e.Body.HTML, `lang="es"`) || !strings.Contains(e.Body.Text, "¿Qué probabilidad hay") {
		t.Error("the body is not in Spanish")
	}
	if !strings.Contains(e.Body.HTML, "Ana &lt;b&gt;") {
		t.Error("the name is not escaped in the html part")
	}
	links := regexp.MustCompile(`href="(`+regexp.QuoteMeta(testBaseURL)+`/s/[^"?]+)\?score=(\d+)"`).FindAllStringSubmatch(e.Body.HTML, -1)
	if len(links) != 11 {
		t.Fatalf("%d inline score links, want 11 (NPS 0-10)", len(links))
	}
	for i, l := range links {
		if l[2] != itoa(i) {
			t.Errorf("link %d is for score %s", i, l[2])
		}
		if !strings.Contains(e.Body.Text, l[1]+"?score="+l[2]) {
			t.Errorf("the text part lacks the link for score %s", l[2])
		}
	}
	now := f.clock.Now()
	if id, err := f.h.Signer.Verify(token.Survey, tokenOf(links[0][1], "s"), now); err != nil || id != inv.ID {
		t.Errorf("survey token: id %q err %v, want %s", id, err, inv.ID)
	}
	lu := e.Header("List-Unsubscribe")
	if !strings.HasPrefix(lu, "<"+testBaseURL+"/u/") || !strings.HasSuffix(lu, ">") {
		t.Fatalf("List-Unsubscribe = %q", lu)
	}
	unsub := strings.Trim(lu, "<>")
	if id, err := f.h.Signer.Verify(token.Unsubscribe, tokenOf(unsub, "u"), now.Add(30*day)); err != nil || id != inv.ID {
		t.Errorf("unsubscribe token after the survey link expired: id %q err %v", id, err)
	}
	if e.Header("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", e.Header("List-Unsubscribe-Post"))
	}
	if !strings.Contains(e.Body.HTML, unsub) || !strings.Contains(e.Body.Text, unsub) {
		t.Error("the unsubscribe link is not visible in both parts")
	}
}

func TestSuppressedAndUnsubscribedAreStoppedNotSent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	suppressed := f.put(invite{dueIn: -time.Minute})
	if err := f.st.Suppress(ctx, suppressed.Email, store.SuppressBounce, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	unsubscribed := f.put(invite{dueIn: -time.Minute})
	f.set("CONTACT#"+unsubscribed.ContactID, "STATE", map[string]any{"unsubscribedAt": f.clock.Now()})
	if s := f.tick(); s.Stopped != 2 || s.Sent != 0 {
		t.Fatalf("tick: %+v, want 2 stopped", s)
	}
	for inv, reason := range map[*store.Invitation]string{suppressed: invitation.StopSuppressed, unsubscribed: invitation.StopUnsubscribed} {
		after := f.get(inv.ID)
		if after.Stopped != reason || after.Status != invitation.StatusPending || after.GSI4PK != "" || after.SentAt != nil {
			t.Errorf("%s: stopped %q status %q due %q", reason, after.Stopped, after.Status, after.GSI4PK)
		}
		if got := f.emails(inv); len(got) != 0 {
			t.Errorf("%s: %d emails", reason, len(got))
		}
	}
}

func TestATickSendsAtMostTheRate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.h.Rate = 5
	for range 12 {
		f.put(invite{dueIn: -time.Minute})
	}
	for i, want := range []int{5, 5, 2, 0} {
		if s := f.tick(); s.Sent != want {
			t.Errorf("tick %d sent %d, want %d", i, s.Sent, want)
		}
	}
}

// Resends of unsure sends (an SES brownout leaves many, all due when their window ends) spend the
// tick's budget like first emails: the rate holds whatever kind of send is due.
func TestResendsCountAgainstTheRate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.h.Rate = 2
	sentAt := f.clock.Now().Add(-2 * time.Hour)
	for range 3 {
		inv := f.put(invite{dueIn: -time.Minute})
		f.set(inv.PK, inv.SK, map[string]any{"status": invitation.StatusUnsure, "sendAttempts": 1, "sentAt": sentAt})
	}
	for i, want := range []int{2, 1, 0} {
		s := f.tick()
		if s.Sent != want || s.Resent != want {
			t.Errorf("tick %d sent %d (%d resends), want %d resends", i, s.Sent, s.Resent, want)
		}
	}
}

func TestExpiredBeforeTheFirstEmailIsStopped(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.put(invite{dueIn: -2 * day, expiry: day})
	if s := f.tick(); s.Stopped != 1 || s.Sent != 0 {
		t.Fatalf("tick: %+v", s)
	}
	if after := f.get(inv.ID); after.Stopped != invitation.StopExpired || after.GSI4PK != "" {
		t.Errorf("stopped %q due %q", after.Stopped, after.GSI4PK)
	}
}

func TestTheSampleScheduleEvent(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../events/dispatch-schedule.json")
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(raw) {
		t.Fatal("events/dispatch-schedule.json is not JSON")
	}
	f := newFixture(t)
	inv := f.put(invite{dueIn: -time.Minute})
	s, err := f.h.Handle(context.Background(), raw)
	if err != nil || s.Sent != 1 {
		t.Fatalf("summary %+v err %v", s, err)
	}
	out, _ := json.Marshal(s)
	if !strings.Contains(string(out), `"claimed":1`) || len(f.emails(inv)) != 1 {
		t.Errorf("result %s", out)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestNoClaimIsTakenWhenTheInvocationIsAboutToTimeOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.put(invite{dueIn: -time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), stopClaimingBefore/2)
	defer cancel()
	if s, err := f.h.Handle(ctx, nil); err != nil || s.Claimed != 0 {
		t.Fatalf("summary %+v err %v, want nothing claimed", s, err)
	}
	if after := f.get(inv.ID); after.Status != invitation.StatusPending || after.SendAttempts != 0 {
		t.Errorf("status %q attempts %d: the invitation was touched", after.Status, after.SendAttempts)
	}
	if s := f.tick(); s.Sent != 1 {
		t.Errorf("the next tick: %+v", s)
	}
}

func TestAStopDuringTheSendIsRecordedWithoutSchedulingMore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, outcome := range []string{"accepted", "refused", "unsure"} {
		f := newFixture(t)
		inv := f.put(invite{dueIn: -time.Minute, reminder: 3 * day})
		due, _, err := f.st.DuePage(ctx, store.DueShard(inv.ID), f.clock.Now(), 10, nil)
		if err != nil || len(due) != 1 {
			t.Fatalf("due: %v %d", err, len(due))
		}
		c, err := f.st.ClaimDue(ctx, &due[0], f.clock.Now())
		if err != nil || c.Outcome != store.ClaimInvite {
			t.Fatalf("claim: %v %v", err, c)
		}
		// The contact unsubscribes while the email is in flight: store.Unsubscribe and an answer
		// set stopped, so the marks must not depend on the due key.
		f.set(inv.PK, inv.SK, map[string]any{"stopped": invitation.StopUnsubscribed})
		wantStatus := invitation.StatusPending
		switch outcome {
		case "accepted":
			err, wantStatus = f.st.MarkSent(ctx, c, "msg-1", f.clock.Now()), invitation.StatusSent
		case "refused":
			err = f.st.Release(ctx, c, errors.New("throttled"), f.clock.Now())
		case "unsure":
			err, wantStatus = f.st.MarkUnsure(ctx, c, errors.New("timeout"), f.clock.Now()), invitation.StatusUnsure
		}
		if err != nil {
			t.Fatalf("%s: settle: %v", outcome, err)
		}
		after := f.get(inv.ID)
		if after.Status != wantStatus || after.GSI4PK != "" || after.GSI4SK != "" || after.Stopped != invitation.StopUnsubscribed || after.ClaimID != "" {
			t.Errorf("%s: status %q due %q/%q stopped %q claim %q", outcome, after.Status, after.GSI4PK, after.GSI4SK, after.Stopped, after.ClaimID)
		}
		if outcome == "accepted" && (after.MessageID != "msg-1" || after.SentAt == nil) {
			t.Errorf("the accepted send was not recorded: %+v", after)
		}
		if outcome == "unsure" && (after.SentAt == nil || after.GSI3PK == "" || after.LastSendError == "") {
			t.Errorf("the unsure send is not counted as sent (feed) with its error: %+v", after)
		}
	}
}

// A shard whose oldest entries are claims still in their lease (another dispatcher's, or one that
// died) goes on past them: the tick pages after them, not from the shard's start again.
func TestClaimsInTheirLeaseDoNotHoldBackTheRestOfTheShard(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	held := f.put(invite{dueIn: -10 * time.Minute})
	next := f.put(invite{dueIn: -5 * time.Minute})
	// Both on one shard: the dispatcher reads whatever DUE#nn holds.
	e, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name("GSI4PK"), expression.Value(held.GSI4PK))).Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(f.st.Table), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: next.PK}, "SK": &types.AttributeValueMemberS{Value: "EVENT"}},
		UpdateExpression: e.Update(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}); err != nil {
		t.Fatal(err)
	}
	// Another dispatcher claims the older one and is still sending it.
	if c, err := f.st.ClaimDue(ctx, f.get(held.ID), f.clock.Now()); err != nil || c.Outcome != store.ClaimInvite {
		t.Fatalf("claim by another dispatcher: %+v %v", c, err)
	}
	f.h.Rate = 1 // one entry a page
	if sum := f.tick(); sum.Sent != 1 {
		t.Fatalf("tick %+v, want the entry behind the held claim sent", sum)
	}
	if got := f.get(next.ID); got.Status != invitation.StatusSent {
		t.Fatalf("the later invitation is %q, want sent", got.Status)
	}
	if got := f.get(held.ID); got.Status != invitation.StatusSending || len(f.emails(held)) != 0 {
		t.Fatalf("the held claim: status %q, %d emails; want it left to its dispatcher", got.Status, len(f.emails(held)))
	}
}
