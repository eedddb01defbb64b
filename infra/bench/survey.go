package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/cxloop/cxloop/infra/local/fault"
	"github.com/cxloop/cxloop/infra/local/rig"
	"github.com/cxloop/cxloop/shared/store"
)

// surveyCase is one complete survey: touchpoint, dispatch, answer, follow-up, scoring.
type surveyCase struct {
	Name  string
	Score int // csat-support: 1..5; <= 2 opens a ticket
	// Comment is posted with the score: the scorer then counts its themes (docs/THEMES.md).
	Comment string
	// Per function: what one survey consumed, with the idle part of the scheduled runs removed.
	Units map[string]units
	// Calls are the metered calls of the case, in order (kept with -units-only).
	Calls []meteredCall
}

// Totals of a case.
func (c surveyCase) Totals() (r, w float64) {
	for _, u := range c.Units {
		r += u.Read
		w += u.Write
	}
	return r, w
}

// durations collects the REPORT lines of the local host per function.
type durations struct {
	mu  sync.Mutex
	per map[string][]float64 // ms
}

var reportLine = regexp.MustCompile(`REPORT RequestId: \S+\tDuration: ([0-9.]+) ms`)

func (d *durations) writer(fn string) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		for _, m := range reportLine.FindAllSubmatch(p, -1) {
			v, _ := strconv.ParseFloat(string(m[1]), 64)
			d.mu.Lock()
			d.per[fn] = append(d.per[fn], v)
			d.mu.Unlock()
		}
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// measureSurvey runs complete surveys against DynamoDB Local through metering proxies (one per
// function) and records per function the units consumed and the warm durations.
func measureSurvey(ctx context.Context, rep *report) error {
	d := &durations{per: map[string][]float64{}}
	// SES publishes a Send and a Delivery event for every accepted email (docs/EMAIL.md 4a): the survey pays for
	// MailEventsFunction reading it (and writing only when the send was unsure).
	r, err := rig.Start(ctx, rig.Options{ProxyPerFunction: true, LogsFor: d.writer,
		SendEvents: &fault.SendEventsConfig{MinDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}})
	if err != nil {
		return err
	}
	defer r.Close()
	m := newMeter()
	m.tracing = rep.trace
	for fn, p := range r.FuncDDB {
		m.attach(fn, p)
	}
	if rep.TxPerItem, err = m.calibrate(ctx, r.Store.DB, r.Table); err != nil {
		return err
	}
	r.StartStreams(false)

	// Idle scheduled runs: what a dispatch tick and a scoring run cost with nothing to do.
	for range 2 {
		if _, err := r.Tick(ctx, "DispatchFunction"); err != nil {
			return err
		}
		if _, err := r.Tick(ctx, "ScoreFunction"); err != nil {
			return err
		}
	}
	m.take()
	if _, err := r.Tick(ctx, "DispatchFunction"); err != nil {
		return err
	}
	if _, err := r.Tick(ctx, "ScoreFunction"); err != nil {
		return err
	}
	rep.Idle = m.take()
	m.takeCalls()

	cases := []surveyCase{{Name: "low answer (ticket)", Score: 1}, {Name: "high answer (no ticket)", Score: 5},
		{Name: "low answer with a comment (ticket, themes)", Score: 1, Comment: "The courier was late and the tracking page never updated"}}
	for i := range cases {
		c := &cases[i]
		log.Printf("request units: %s", c.Name)
		if err := oneSurvey(ctx, r, i, c.Score, c.Comment); err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
		c.Units = m.take()
		c.Calls = m.takeCalls()
		for _, fn := range []string{"DispatchFunction", "ScoreFunction"} {
			u, idle := c.Units[fn], rep.Idle[fn]
			u.Read -= idle.Read
			u.Write -= idle.Write
			u.GSIWrite -= idle.GSIWrite
			c.Units[fn] = u
		}
	}
	rep.Cases = cases
	if rep.Reminder, err = measureReminder(ctx, r, m, rep.Idle["DispatchFunction"]); err != nil {
		return fmt.Errorf("reminder: %w", err)
	}
	m.takeCalls()
	rep.Durations = d.per
	return nil
}

// measureReminder is what the one reminder of an unanswered survey costs: a survey is sent, its
// reminder's due key is moved to now (as if the catalog's reminder delay had passed, on the rig's
// own client, which the meter does not see), and the dispatch tick that sends the reminder (above
// an idle tick) and MailEventsFunction reading the reminder's SES events are metered.
func measureReminder(ctx context.Context, r *rig.Rig, m *meter, idle units) (units, error) {
	domain, eventID := "reminder."+strings.ToLower(r.Table)+".example.com", "bench-case-reminder"
	if err := sendOne(ctx, r, "reminder", eventID, domain); err != nil {
		return units{}, err
	}
	m.take()
	id := store.EventKey(eventID)
	inv, err := r.Store.GetInvitation(ctx, id)
	if err != nil {
		return units{}, err
	}
	if inv.ReminderDueAt == nil || inv.GSI4SK == "" {
		return units{}, fmt.Errorf("invitation %s has no reminder due (%+v)", id, inv)
	}
	now := store.FormatTime(time.Now().Add(-time.Second))
	if _, err := r.Store.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(r.Table),
		Key:                       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: inv.PK}, "SK": &types.AttributeValueMemberS{Value: inv.SK}},
		UpdateExpression:          aws.String("SET GSI4SK = :now, reminderDueAt = :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberS{Value: now}},
	}); err != nil {
		return units{}, err
	}
	if _, err := r.Tick(ctx, "DispatchFunction"); err != nil {
		return units{}, err
	}
	emails, err := r.Emails(ctx, "@"+domain)
	if err != nil {
		return units{}, err
	}
	if len(emails) != 2 {
		return units{}, fmt.Errorf("%d emails, want the invitation and its reminder", len(emails))
	}
	r.SendEventsDelivered() // the reminder's SES events have reached MailEventsFunction
	got := m.take()
	u := got["DispatchFunction"]
	u.Read -= idle.Read
	u.Write -= idle.Write
	u.GSIWrite -= idle.GSIWrite
	u.add(got["MailEventsFunction"])
	return u, nil
}

// sendOne sends one touchpoint's survey: the touchpoint, then the dispatch tick that mails it.
func sendOne(ctx context.Context, r *rig.Rig, name, eventID, domain string) error {
	ev := map[string]any{"version": "0", "id": "bench-" + name, "detail-type": "Touchpoint", "source": "acme.support",
		"account": "000000000000", "time": time.Now().UTC().Format(time.RFC3339), "region": "us-east-1", "resources": []string{},
		"detail": map[string]any{
			"eventId": eventID, "touchpoint": "support.case.closed",
			"occurredAt": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
			"contact":    map[string]any{"id": "bench-" + name, "email": "ana@" + domain, "locale": "en"},
			"attributes": map[string]any{"plan": "pro", "channel": "web"},
		}}
	if _, err := r.Invoke(ctx, "TouchpointFunction", ev); err != nil {
		return err
	}
	if _, err := r.Tick(ctx, "DispatchFunction"); err != nil {
		return err
	}
	r.SendEventsDelivered()
	return nil
}

// oneSurvey drives one survey through every step and waits for the follow-up to finish.
func oneSurvey(ctx context.Context, r *rig.Rig, i, score int, comment string) error {
	domain := fmt.Sprintf("bench%d.%s.example.com", i, strings.ToLower(r.Table))
	if err := sendOne(ctx, r, strconv.Itoa(i), fmt.Sprintf("bench-case-%d", i), domain); err != nil {
		return err
	}
	emails, err := r.Emails(ctx, "@"+domain)
	if err != nil {
		return err
	}
	if len(emails) != 1 || emails[0].SurveyToken() == "" {
		return fmt.Errorf("%d emails with a survey link, want 1", len(emails))
	}
	link := r.BaseURL + "/s/" + emails[0].SurveyToken()
	if err := httpDo(ctx, http.MethodGet, link+"?score="+strconv.Itoa(score), ""); err != nil {
		return err
	}
	form := url.Values{"score": {strconv.Itoa(score)}}
	if comment != "" {
		form.Set("comment", comment)
	}
	if err := httpDo(ctx, http.MethodPost, link, form.Encode()); err != nil {
		return err
	}
	// The stream delivers the answer to the follow-up function; give it time to finish.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ts, err := r.Tickets(ctx)
		if err != nil {
			return err
		}
		if score > 2 || len(ts) > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	_, err = r.Tick(ctx, "ScoreFunction")
	return err
}

func httpDo(ctx context.Context, method, u, form string) error {
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(form))
	if err != nil {
		return err
	}
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body) //nolint:errcheck
	if resp.StatusCode >= 400 {
		return fmt.Errorf("%s %s: %d", method, u, resp.StatusCode)
	}
	return nil
}
