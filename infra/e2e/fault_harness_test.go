package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxloop/cxloop/infra/local/rig"
	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/ticket"
)

// The fault suite drives the real bootstrap binaries (built with the deployed flags) under the
// local Lambda host, the local HTTP API and the stream poller, with DynamoDB and SES reached
// through infra/local/fault proxies: the functions are unchanged and read only their template
// variables; only the SDK endpoints point at the proxies. See docs/RELIABILITY.md.

const surveyID = "csat-support" // sampleRate 1, delay 10m, scale 1-5, tickets at <= 2

// startRig starts a rig or fails the test loudly with how to start the local stack.
func startRig(t *testing.T, o rig.Options) *rig.Rig {
	t.Helper()
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") == "" || os.Getenv("AWS_ENDPOINT_URL_SESV2") == "" {
		t.Fatal("the local stack is not running: make up && . .local/env (make test starts it)")
	}
	if o.Logs == nil && o.LogsFor == nil {
		logs := &rigLogs{}
		o.Logs = logs
		t.Cleanup(func() { logs.check(t) }) // the log rule, over this rig's function logs
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := rig.Start(ctx, o)
	if err != nil {
		t.Fatalf("start rig: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// run is one pass of the loop over n touchpoints, with its tallies.
type run struct {
	t      *testing.T
	r      *rig.Rig
	n      int
	domain string // recipients are c<i>@<domain>, unique per run
	token  string // producer token for POST /touchpoints

	deliveries, posts, ticks, answerPosts, retries atomic.Int64
	failedInvokes                                  atomic.Int64
}

func newRun(t *testing.T, r *rig.Rig, n int) *run {
	tok, err := r.Store.CreateAPIToken(context.Background(), access.Producer, storetest.UniqueName("fault-suite"))
	if err != nil {
		t.Fatal(err)
	}
	return &run{t: t, r: r, n: n, domain: strings.ToLower(r.Table) + ".example.com", token: tok}
}

func (u *run) detail(i int) map[string]any {
	return map[string]any{
		"eventId":    fmt.Sprintf("%s-case-%d-closed", u.r.Table, i),
		"touchpoint": "support.case.closed",
		"occurredAt": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
		"contact":    map[string]any{"id": fmt.Sprintf("cust-%d", i), "email": fmt.Sprintf("c%d@%s", i, u.domain), "name": "Ana", "locale": "en"},
		"attributes": map[string]any{"plan": []string{"pro", "enterprise"}[i%2], "channel": "web"},
	}
}

func eventBridge(detail map[string]any) map[string]any {
	return map[string]any{"version": "0", "id": fmt.Sprint(detail["eventId"]), "detail-type": "Touchpoint",
		"source": "acme.support", "account": "000000000000", "time": time.Now().UTC().Format(time.RFC3339),
		"region": "us-east-1", "resources": []string{}, "detail": detail}
}

// deliver invokes the touchpoint function like EventBridge: a failed invoke is retried (the
// template allows 8 retries).
func (u *run) deliver(ctx context.Context, ev map[string]any) {
	for attempt := 0; attempt <= 8 && ctx.Err() == nil; attempt++ {
		u.deliveries.Add(1)
		res, err := u.r.InvokeResult(ctx, "TouchpointFunction", ev)
		if err == nil && !res.Failed() {
			return
		}
		u.failedInvokes.Add(1)
		u.retries.Add(1)
		time.Sleep(50 * time.Millisecond)
	}
	u.t.Errorf("touchpoint %v still failing after 9 deliveries", ev["id"])
}

// post sends one batch to POST /touchpoints, retrying on 5xx as a producer would.
func (u *run) post(ctx context.Context, batch []map[string]any) {
	body, _ := json.Marshal(batch)
	for attempt := 0; attempt < 10 && ctx.Err() == nil; attempt++ {
		u.posts.Add(1)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u.r.BaseURL+"/touchpoints", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+u.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				return
			}
			if resp.StatusCode < 500 {
				u.t.Errorf("POST /touchpoints answered %d", resp.StatusCode)
				return
			}
		}
		u.retries.Add(1)
		time.Sleep(50 * time.Millisecond)
	}
	u.t.Errorf("POST /touchpoints still failing after 10 tries")
}

// touchpoints delivers every event at least twice: every tenth event's batch goes through
// POST /touchpoints twice at once, every other event through EventBridge three times (two at
// once, then one more).
func (u *run) touchpoints(ctx context.Context, workers int) {
	jobs := make(chan func())
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				j()
			}
		})
	}
	var batch []map[string]any
	for i := range u.n {
		d := u.detail(i)
		if i%10 == 0 {
			batch = append(batch, d)
			continue
		}
		jobs <- func() {
			ev := eventBridge(d)
			var both sync.WaitGroup
			both.Go(func() { u.deliver(ctx, ev) })
			both.Go(func() { u.deliver(ctx, ev) })
			both.Wait()
			u.deliver(ctx, ev)
		}
	}
	for len(batch) > 0 {
		b := batch[:min(len(batch), 25)]
		batch = batch[len(b):]
		jobs <- func() {
			var both sync.WaitGroup
			both.Go(func() { u.post(ctx, b) })
			both.Go(func() { u.post(ctx, b) })
			both.Wait()
		}
	}
	close(jobs)
	wg.Wait()
}

// dispatch runs two dispatch ticks at once, round after round, letting refusal backoffs and lapsed
// claims elapse between rounds, until no first email is still due.
func (u *run) dispatch(ctx context.Context) {
	for round := 0; round < 40; round++ {
		var both sync.WaitGroup
		for range 2 {
			both.Go(func() {
				u.ticks.Add(1)
				if _, err := u.r.Tick(ctx, "DispatchFunction"); err != nil {
					u.failedInvokes.Add(1)
				}
			})
		}
		both.Wait()
		invs, err := u.r.Invitations(ctx)
		if err != nil {
			u.t.Fatal(err)
		}
		due := 0
		for _, inv := range invs {
			if inv.Status == invitation.StatusPending || inv.Status == invitation.StatusSending {
				due++
			}
		}
		if due == 0 {
			return
		}
		if _, err := u.r.ElapseWaits(ctx); err != nil {
			u.t.Fatal(err)
		}
	}
	u.t.Error("first emails still due after 40 dispatch rounds")
}

// scoreFor is the answer given to recipient i's survey: 1..5 in turn, so 40% are low (<= 2).
func scoreFor(i int) int { return 1 + i%5 }

// answer posts the survey form twice at once for every email that has a survey link, retrying
// 5xx answers as a customer pressing submit again would. It returns the answered invitation ids'
// scores by recipient index.
func (u *run) answer(ctx context.Context, emails []rig.Email, workers int) map[string]int {
	answered := map[string]int{}
	var mu sync.Mutex
	jobs := make(chan rig.Email)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for e := range jobs {
				var i int
				fmt.Sscanf(e.To(), "c%d@", &i)
				score := scoreFor(i)
				var both sync.WaitGroup
				ok := atomic.Bool{}
				for range 2 {
					both.Go(func() {
						if u.submit(ctx, e.SurveyToken(), score) {
							ok.Store(true)
						}
					})
				}
				both.Wait()
				if ok.Load() {
					mu.Lock()
					answered[e.To()] = score
					mu.Unlock()
				}
			}
		})
	}
	for _, e := range emails {
		if e.SurveyToken() != "" {
			jobs <- e
		}
	}
	close(jobs)
	wg.Wait()
	return answered
}

func (u *run) submit(ctx context.Context, tok string, score int) bool {
	form := url.Values{"score": {fmt.Sprint(score)}}.Encode()
	for attempt := 0; attempt < 10 && ctx.Err() == nil; attempt++ {
		u.answerPosts.Add(1)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u.r.BaseURL+"/s/"+tok, strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 400 {
				return true
			}
			if resp.StatusCode < 500 {
				u.t.Errorf("POST /s/{token} answered %d", resp.StatusCode)
				return false
			}
		}
		u.retries.Add(1)
		time.Sleep(50 * time.Millisecond)
	}
	u.t.Errorf("POST /s/{token} still failing after 10 tries")
	return false
}

// histogram is the overall histogram of the survey summed over every day.
func (u *run) histogram(ctx context.Context) metric.Hist {
	day := time.Now().UTC()
	days, _, err := u.r.Store.ReadDayCounts(ctx, surveyID, day.AddDate(0, 0, -3).Format("2006-01-02"), day.AddDate(0, 0, 1).Format("2006-01-02"))
	if err != nil {
		u.t.Fatal(err)
	}
	var h metric.Hist
	for _, b := range days {
		h.Add(b[metric.Overall])
	}
	return h
}

func answeredTotal(h metric.Hist) int64 {
	var n int64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// score runs the scorer (twice at once each round) until the histogram holds want answers.
func (u *run) score(ctx context.Context, want int) metric.Hist {
	var h metric.Hist
	for round := 0; round < 20; round++ {
		var both sync.WaitGroup
		for range 2 {
			both.Go(func() {
				u.ticks.Add(1)
				if _, err := u.r.Tick(ctx, "ScoreFunction"); err != nil {
					u.failedInvokes.Add(1)
				}
			})
		}
		both.Wait()
		if h = u.histogram(ctx); answeredTotal(h) >= int64(want) {
			return h
		}
		time.Sleep(300 * time.Millisecond)
	}
	return h
}

// awaitTickets waits for the stream to deliver every low answer to the follow-up function. Under
// faults the follow-up works through a backlog (one shard, batches of 25, every batch twice, SDK
// backoffs), so it waits as long as tickets keep appearing, and gives up after a minute without one.
func (u *run) awaitTickets(ctx context.Context, want int) []ticket.Ticket {
	last, lastChange := -1, time.Now()
	for {
		ts, err := u.r.Tickets(ctx)
		if err != nil {
			u.t.Fatal(err)
		}
		if len(ts) != last {
			last, lastChange = len(ts), time.Now()
		}
		answers := 0
		for _, tk := range ts {
			if tk.Cause == ticket.CauseAnswer {
				answers++
			}
		}
		// Done when every low answer has its ticket and nothing more came for a few seconds (a late
		// duplicate or the breach ticket would show), or when nothing came for a minute.
		idle := time.Since(lastChange)
		if (answers >= want && idle > 5*time.Second) || idle > time.Minute || ctx.Err() != nil {
			return ts
		}
		time.Sleep(time.Second)
	}
}

// faultSummary is a line for the log and docs/RELIABILITY.md.
func faultSummary(r *rig.Rig) string {
	return fmt.Sprintf("DynamoDB: %s; SES: %s", r.DDB.Injector.Summary(), r.SES.Injector.Summary())
}
