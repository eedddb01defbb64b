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
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cxloop/cxloop/infra/localstack"
)

func init() {
	register("demo", "send a sample touchpoint through the running local stack, dispatch it, print the survey link", demo)
}

// demo drives one survey through the real functions behind the local API (`make up` must be
// running, `make demo` does both): a Touchpoint event onto the local event bus, a dispatch tick,
// the email read back from the SES stand-in. It then waits until interrupted.
func demo(ctx context.Context, args []string) error {
	cfg, err := localstack.FromEnv()
	if err != nil {
		return err
	}
	env, err := localstack.ReadEnv(cfg.EnvPath())
	if err != nil {
		return fmt.Errorf("the local stack is not up (%v): run `make up`", err)
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
	var decision string
	for attempt := 0; attempt < 20; attempt++ {
		detail["eventId"] = fmt.Sprintf("demo-order-%d-%d-delivered", now.UnixNano(), attempt)
		detail["contact"].(map[string]any)["id"] = fmt.Sprintf("demo-%d-%d", now.UnixNano(), attempt)
		decision, err = putTouchpoint(ctx, api, detail)
		if err != nil {
			return err
		}
		if strings.Contains(decision, `"invited"`) {
			break
		}
	}
	fmt.Printf("1. touchpoint order.delivered for %s -> %s\n", email, decision)

	if err := fireSchedule(ctx, api, "DispatchFunction"); err != nil {
		fmt.Printf("   (could not fire the dispatcher now: %v; its schedule fires within a minute)\n", err)
	}
	fmt.Println("2. dispatch tick fired; waiting for the email in the SES stand-in...")
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
	fmt.Printf("3. email sent; its one-click links:\n")
	for _, l := range links {
		fmt.Println("     " + l)
	}
	fmt.Printf("\nOpen a link (answering 9 is the same as clicking 9 in the email):\n   %s\n", links[len(links)-2])
	fmt.Printf("Mail viewer:  %s\nOps console:  %s/ops/  (token: OPS_TOKEN in %s)\n", env["MAIL_VIEWER_URL"], api, cfg.EnvPath())
	fmt.Println("\nServing until interrupted (Ctrl-C); `make down` stops the stack.")
	<-ctx.Done()
	return nil
}

// putTouchpoint puts one Touchpoint event on the local event bus and returns the delivery report.
func putTouchpoint(ctx context.Context, api string, detail map[string]any) (string, error) {
	d, _ := json.Marshal(detail)
	body, _ := json.Marshal(map[string]any{"Entries": []map[string]string{{
		"Source": "acme.orders", "DetailType": "Touchpoint", "Detail": string(d),
	}}})
	out, err := post(ctx, api+"/_local/events", body)
	if err != nil {
		return "", fmt.Errorf("put touchpoint event: %w", err)
	}
	return out, nil
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
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return "", fmt.Errorf("%s: %s %s", url, resp.Status, bytes.TrimSpace(b))
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
