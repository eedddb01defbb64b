package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

func init() {
	register("demo", "send a sample touchpoint through the running local stack, dispatch it, print the survey link", demo)
}

// demo drives one survey through the real functions behind the local API (`make up` must be
// running, `make demo` does both): a touchpoint posted with the local producer token, a dispatch
// tick, the email read back from the SES stand-in, each step told in one line; then what to do
// next, and it waits until interrupted.
func demo(ctx context.Context, args []string) error {
	return runDemo(ctx, os.Stdout)
}

// runDemo is demo writing its story to out.
func runDemo(ctx context.Context, out io.Writer) error {
	cfg, env, err := runningStack()
	if err != nil {
		return err
	}
	api := env["API_URL"]
	now := time.Now().UTC()
	email := fmt.Sprintf("ana+%d@example.com", now.Unix())
	detail := map[string]any{
		"eventId":    fmt.Sprintf("demo-order-%d-delivered", now.UnixNano()),
		"touchpoint": "order.delivered",
		// The catalog sends order.delivered surveys 2 hours after delivery: deliver it 2 hours ago.
		"occurredAt": now.Add(-2 * time.Hour).Format(time.RFC3339),
		"contact":    map[string]any{"id": fmt.Sprintf("demo-%d", now.UnixNano()), "email": email, "name": "Ana", "locale": "es"},
		"attributes": map[string]any{"plan": "pro", "region": "eu", "channel": "web"},
	}
	// The NPS survey samples half of its contacts; the demo picks a contact inside the sample by
	// trying a few ids, exactly as a producer's events would fall.
	fmt.Fprintf(out, "1. A sample customer: Ana <%s>, locale %q (Spanish), so the email and the page come in\n"+
		"   Spanish: surveys.yaml has English, Spanish and French texts and picks the contact's language.\n", email, "es")
	// The NPS survey samples half of its contacts; the demo picks a contact inside the sample by
	// trying a few ids, exactly as a producer's events would fall.
	var decision touchpointDecision
	for attempt := 0; attempt < 20; attempt++ {
		detail["eventId"] = fmt.Sprintf("demo-order-%d-%d-delivered", now.UnixNano(), attempt)
		detail["contact"].(map[string]any)["id"] = fmt.Sprintf("demo-%d-%d", now.UnixNano(), attempt)
		if decision, err = putTouchpoint(ctx, api, env["PRODUCER_TOKEN"], detail); err != nil {
			return err
		}
		if decision.Outcome == "invited" {
			break
		}
		fmt.Fprintf(out, "   touchpoint for contact %s: %s (the sample rate chose not to survey it); trying another contact\n", detail["contact"].(map[string]any)["id"], decision.Outcome)
	}
	if decision.Outcome != "invited" {
		return fmt.Errorf("no sample contact was invited after 20 tries (last decision %q): see %s", decision.Outcome, cfg.EnvPath())
	}
	fmt.Fprintf(out, "2. Touchpoint order.delivered (delivered 2 hours ago) -> TouchpointFunction decided %q: the\n"+
		"   order.delivered rule matched and an invitation is due now.\n", decision.Outcome)

	if err := fireSchedule(ctx, api, "DispatchFunction"); err != nil {
		fmt.Fprintf(out, "   (could not fire the dispatcher now: %v; its schedule fires within a minute)\n", err)
	}
	fmt.Fprintln(out, "3. DispatchFunction ran (its schedule, fired now); waiting for the email in the SES stand-in...")
	msg, err := waitForEmail(ctx, env["SES_STORE_URL"], email, 90*time.Second)
	if err != nil {
		return err
	}
	links := (regexp.MustCompile(`https?://[^\s"<>]+/s/[A-Za-z0-9_-]+\?score=\d+`).FindAllString(msg, -1))
	slices.Sort(links)
	links = slices.Compact(links)
	slices.SortStableFunc(links, func(a, b string) int { return len(a) - len(b) }) // score=10 after score=9
	if len(links) == 0 {
		return errors.New("the email has no survey links")
	}
	fmt.Fprintf(out, "4. The email was sent, with one link per score (0 to 10); see it in the mail viewer:\n     %s\n", env["MAIL_VIEWER_URL"])
	fmt.Fprint(out, nextSteps(links, api, cfg.EnvPath(), env["OPS_TOKEN"]))
	<-ctx.Done()
	return nil
}

// nextSteps tells a first-time user what to do with the running demo.
func nextSteps(links []string, api, envPath, opsToken string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nWhat to do next:\n")
	fmt.Fprintf(&b, "  - Open the survey as Ana (this is the email's \"9\" link):\n      %s\n", links[len(links)-2])
	fmt.Fprintf(&b, "    Opening a link records nothing (link scanners open links too): pick a score, then tap Send.\n")
	fmt.Fprintf(&b, "  - Answer 0 to 6 and FollowupFunction opens a ticket for the team (and emails them) within seconds:\n")
	fmt.Fprintf(&b, "      console  %s/ops/   sign in with this local admin token (it works only on this local stack):\n", api)
	fmt.Fprintf(&b, "               %s\n", opsToken)
	fmt.Fprintf(&b, "  - Scores are computed every 15 minutes; to compute and print them now:  make score-now\n")
	fmt.Fprintf(&b, "  - Everything the stack logs is in %s/logs/.\n", filepath.Dir(envPath))
	fmt.Fprintf(&b, "\nServing until interrupted (Ctrl-C stops the demo's stack; `make down` stops one started by `make up`).\n")
	return b.String()
}

// touchpointDecision is the part of the local bus's delivery report the demo reads: the
// decision TouchpointFunction returned for the one event.
type touchpointDecision struct {
	Outcome string `json:"outcome"`
}

// putTouchpoint posts one touchpoint to POST /touchpoints with the local producer token, as a
// producer's own code would, and returns TouchpointFunction's decision.
func putTouchpoint(ctx context.Context, api, producerToken string, detail map[string]any) (touchpointDecision, error) {
	body, _ := json.Marshal(detail)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, api+"/touchpoints", bytes.NewReader(body))
	if err != nil {
		return touchpointDecision{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+producerToken)
	out, err := do(req)
	if err != nil {
		return touchpointDecision{}, fmt.Errorf("post touchpoint: %w", err)
	}
	var res struct {
		Decisions []touchpointDecision `json:"decisions"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Decisions) != 1 {
		return touchpointDecision{}, fmt.Errorf("post touchpoint: unexpected answer %s", out)
	}
	return res.Decisions[0], nil
}

// fireSchedule asks the local scheduler to fire a function's schedule now.
func fireSchedule(ctx context.Context, api, function string) error {
	_, err := post(ctx, api+"/_local/schedules/"+function, nil)
	return err
}

func post(ctx context.Context, url string, body []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	return do(req)
}

func do(req *http.Request) (string, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return "", fmt.Errorf("%s: %s %s", req.URL, resp.Status, bytes.TrimSpace(b))
	}
	return string(bytes.TrimSpace(b)), nil
}

// waitForEmail polls the SES stand-in's store for a message to address and returns its text.
func waitForEmail(ctx context.Context, storeURL, address string, within time.Duration) (string, error) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, storeURL, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var st struct {
				Emails []struct {
					Destination struct {
						To []string `json:"to"`
					} `json:"destination"`
					Body struct {
						Text string `json:"text"`
						HTML string `json:"html"`
					} `json:"body"`
				} `json:"emails"`
			}
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			for _, e := range st.Emails {
				for _, to := range e.Destination.To {
					if strings.Contains(to, address) {
						return e.Body.Text + "\n" + e.Body.HTML, nil
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(time.Second):
		}
	}
	fmt.Fprintln(os.Stderr, "no email yet: see .local/logs/ for the functions' logs")
	return "", fmt.Errorf("no email to %s within %s", address, within)
}
