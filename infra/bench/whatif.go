package main

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop"
	"github.com/cxloop/cxloop/infra/local/stack"
	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/cost"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/store/tablescan"
	"github.com/cxloop/cxloop/shared/touchpoint"
	"github.com/cxloop/cxloop/shared/whatif"
)

// whatIfFigures is what the what-if replay measurement found.
type whatIfFigures struct {
	Records         int
	Replay          time.Duration // unchanged catalog
	ReplayEdited    time.Duration // nps-relationship sampled at 1 instead of 0.5
	Summarize       time.Duration
	Changed         int     // decisions the edit changed
	HeapMB          float64 // heap in use holding the dataset and one replay's output
	AllocMB         float64 // allocated by one replay
	FileMB          float64
	FileLoad        time.Duration // decoding the dataset from a file (gob)
	TableItems      int
	TableLoad       time.Duration // tablescan.LoadReplay of TableItems from DynamoDB Local
	TableReadUnits  float64
	TableScanned    int
	TableMismatches int // decisions seeded through the rules that the replay decided differently
}

// generatedHistory is n recorded touchpoints over 60 days ending at end, decided in order by the
// touchpoint rules (invitation.DecideValid through whatif.Replay with the shipped catalog, which
// the touchpoint function's own replay test shows to reproduce the handler), with about one
// contact in a hundred opting out, being suppressed or unsubscribing at some point, and the
// invitations' emails and answers drawn at 1.7 emails, 30% answered and 20% of answers ticketed.
func generatedHistory(n int, end time.Time) *whatif.Dataset {
	rng := rand.New(rand.NewPCG(18, uint64(n)))
	contacts := max(n/4, 1)
	start := end.Add(-60 * 24 * time.Hour)
	step := end.Sub(start) / time.Duration(n)
	kinds := []string{"order.delivered", "order.delivered", "order.delivered", "support.case.closed", "support.case.closed",
		"onboarding.completed", "cart.abandoned"}
	d := &whatif.Dataset{Records: make([]whatif.Record, n), ReadAt: end, Items: n, SkipRetention: 90 * 24 * time.Hour,
		Unsubscribed: map[string]time.Time{}, OptedOut: map[string]time.Time{}, Suppressed: map[string]time.Time{}}
	addr := make([]string, contacts)
	for c := range contacts {
		addr[c] = store.AddressHash(fmt.Sprintf("c-%d@whatif.example", c))
		at := start.Add(time.Duration(rng.Int64N(int64(end.Sub(start)))))
		switch rng.IntN(300) {
		case 0:
			d.OptedOut[addr[c]] = at
		case 1:
			d.Suppressed[addr[c]] = at
		case 2:
			d.Unsubscribed[fmt.Sprintf("c-%d", c)] = at
		}
	}
	for i := range d.Records {
		c := rng.IntN(contacts)
		decided := start.Add(time.Duration(i) * step)
		key := store.EventKey(fmt.Sprintf("whatif-%d", i))
		r := whatif.Record{Key: key, Shard: store.Shard(key), EventID: fmt.Sprintf("whatif-%d", i), Touchpoint: kinds[rng.IntN(len(kinds))],
			ContactID: fmt.Sprintf("c-%d", c), Address: addr[c], Locale: "en", DecidedAt: decided,
			OccurredAt: decided.Add(-time.Duration(rng.IntN(7200)) * time.Second).Truncate(time.Second)}
		if rng.IntN(100) < 2 {
			r.Outcome, r.Detail, r.ContactID, r.Address = invitation.OutcomeInvalid, "occurredAt: required", "", ""
		}
		d.Records[i] = r
	}
	cat, err := catalog.Load(cxloop.SurveysYAML)
	if err != nil {
		panic(err)
	}
	for i, o := range whatif.Replay(cat, d) {
		r := &d.Records[i]
		r.Outcome, r.Survey, r.Detail = o.Outcome, o.Survey, o.Detail
		if o.Outcome == invitation.OutcomeInvited {
			r.Emails = 1 + rng.IntN(2)
			r.Answered = rng.IntN(10) < 3
			if r.Answered && rng.IntN(5) == 0 {
				r.Tickets = 1
			}
		}
	}
	return d
}

// sampleAll is the shipped catalog with every rule sampled at 1.
func sampleAll() *catalog.Catalog {
	cat, err := catalog.Load(cxloop.SurveysYAML)
	if err != nil {
		panic(err)
	}
	for i := range cat.Surveys {
		for j := range cat.Surveys[i].Touchpoints {
			cat.Surveys[i].Touchpoints[j].SampleRate = 1
		}
	}
	return cat
}

// measureWhatIf replays n generated touchpoints in memory (unchanged and edited catalog),
// times loading them from a file, and times tablescan.LoadReplay on tableN of them seeded into a
// fresh DynamoDB Local table through the touchpoint rules (tableN 0: no table part).
func measureWhatIf(ctx context.Context, rep *report, n, tableN int) error {
	f := &rep.WhatIf
	f.Records = n
	end := time.Now().UTC().Truncate(time.Second)
	log.Printf("what-if: generating %d recorded touchpoints", n)
	d := generatedHistory(n, end)
	cat, err := catalog.Load(cxloop.SurveysYAML)
	if err != nil {
		return err
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	out := whatif.Replay(cat, d)
	f.Replay = time.Since(t0)
	runtime.ReadMemStats(&after)
	f.AllocMB = float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20)
	f.HeapMB = float64(after.HeapInuse) / (1 << 20)
	for i, o := range out {
		if o.Outcome != d.Records[i].Outcome || o.Detail != d.Records[i].Detail {
			return fmt.Errorf("the unchanged catalog replayed %s as %s", d.Records[i].Key, o.Outcome)
		}
	}
	t0 = time.Now()
	edited := whatif.Replay(sampleAll(), d)
	f.ReplayEdited = time.Since(t0)
	m, err := cost.Shipped()
	if err != nil {
		return err
	}
	t0 = time.Now()
	sum := whatif.Summarize(d, edited, time.Time{}, m)
	f.Summarize = time.Since(t0)
	f.Changed = sum.Coverage.Changed
	log.Printf("what-if: replayed %d in %s (edited %s), %d changed", n, f.Replay, f.ReplayEdited, f.Changed)

	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(d); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "cxloop-whatif-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "history.gob")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		return err
	}
	f.FileMB = float64(buf.Len()) / (1 << 20)
	buf.Reset()
	d, out, edited, sum = nil, nil, nil, nil
	runtime.GC()
	t0 = time.Now()
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var loaded whatif.Dataset
	if err := gob.NewDecoder(bytes.NewReader(raw)).Decode(&loaded); err != nil {
		return err
	}
	f.FileLoad = time.Since(t0)
	raw = nil
	if tableN == 0 {
		return nil
	}
	return measureWhatIfTable(ctx, f, tableN, end)
}

// measureWhatIfTable seeds tableN touchpoints into a fresh table the way TouchpointFunction
// stores them (LoadPrior, invitation.Decide, SaveDecision; four at a time), then times LoadReplay
// and checks the replay of the loaded table against what was stored.
func measureWhatIfTable(ctx context.Context, f *whatIfFigures, tableN int, end time.Time) error {
	// A table of its own, with template.yaml's schema; no functions run against it.
	tpl, err := stack.Template()
	if err != nil {
		return err
	}
	db := stack.Client(os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"))
	table := fmt.Sprintf("whatif-%d", time.Now().UnixNano())
	if _, err := stack.EnsureTable(ctx, db, tpl, table); err != nil {
		return err
	}
	defer db.DeleteTable(context.WithoutCancel(ctx), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	st := store.New(db, table)
	log.Printf("what-if: seeding %d touchpoints into %s", tableN, table)
	if err := seedHistory(ctx, st, tableN, end); err != nil {
		return err
	}
	t0 := time.Now()
	d, scan, err := tablescan.LoadReplay(ctx, st, 4, 90*24*time.Hour)
	if err != nil {
		return err
	}
	f.TableLoad = time.Since(t0)
	f.TableItems, f.TableReadUnits, f.TableScanned = len(d.Records), scan.ReadUnits, scan.Scanned
	cat, err := catalog.Load(cxloop.SurveysYAML)
	if err != nil {
		return err
	}
	for i, o := range whatif.Replay(cat, d) {
		if o.Outcome != d.Records[i].Outcome || o.Detail != d.Records[i].Detail {
			f.TableMismatches++
		}
	}
	return nil
}

// SeedTable seeds n generated touchpoints into an existing table (the local stack's, for a
// what-if example: `go run ./infra/bench -whatif-seed N`).
func SeedTable(ctx context.Context, table string, n int) error {
	db := stack.Client(os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"))
	return seedHistory(ctx, store.New(db, table), n, time.Now().UTC().Truncate(time.Second))
}

// seedHistory decides n generated touchpoints with the touchpoint function's steps (LoadPrior,
// invitation.Decide, SaveDecision) in order, on a clock running through the last 20 days before
// end; an invitation is marked sent a minute after its decision.
func seedHistory(ctx context.Context, st *store.Store, n int, end time.Time) error {
	cat, err := catalog.Load(cxloop.SurveysYAML)
	if err != nil {
		return err
	}
	kinds := []string{"order.delivered", "order.delivered", "support.case.closed", "onboarding.completed", "cart.abandoned"}
	contacts := max(n/4, 1)
	start := end.Add(-20 * 24 * time.Hour)
	step := end.Sub(start) / time.Duration(n)
	keep := store.Retention{Decision: 90 * 24 * time.Hour, Invitation: 400 * 24 * time.Hour}
	rng := rand.New(rand.NewPCG(18, 13))
	// The store's own clock is the decision's: the contact's quiet-period stamps use it.
	var now time.Time
	ws := *st
	ws.Now = func() time.Time { return now }
	for i := range n {
		now = start.Add(time.Duration(i) * step)
		ev := eventAt(fmt.Sprintf("seed-%d", i), kinds[rng.IntN(len(kinds))], rng.IntN(contacts), now.Add(-time.Duration(rng.IntN(3600))*time.Second))
		key := store.EventKey(ev.EventID)
		t := invitation.Touchpoint{Event: ev, Key: key, Shard: store.Shard(key)}
		reads, _ := invitation.ReadsOf(cat, t, now)
		prior, err := ws.LoadPrior(ctx, key, reads.ContactID, reads.Email, reads.Cap)
		if err != nil {
			return err
		}
		dec := invitation.Decide(cat, t, prior.State(), now)
		rec := &store.Invitation{ID: key, EventID: ev.EventID, Touchpoint: ev.Touchpoint, ContactID: ev.Contact.ID,
			Email: ev.Contact.Email, Locale: ev.Contact.Locale, DecidedAt: now, CatalogVersion: cat.Version}
		if dec.Invite != nil {
			// What followed, drawn: sent, 60% reminded, 30% answered.
			sent := now.Add(time.Minute)
			rec.SentAt = &sent
			if rng.IntN(10) < 6 {
				rec.ReminderSentAt = dec.Invite.ReminderDueAt
			}
			if rng.IntN(10) < 3 {
				answered := sent.Add(time.Hour)
				rec.FirstAnsweredAt = &answered
			}
		}
		if _, err := ws.SaveDecision(ctx, rec, dec, keep); err != nil {
			return err
		}
	}
	return nil
}

// eventAt is a valid touchpoint of contact c occurring at.
func eventAt(id, kind string, c int, at time.Time) touchpoint.Event {
	return touchpoint.Event{EventID: id, Touchpoint: kind, OccurredAt: at.UTC().Format(time.RFC3339),
		Contact: touchpoint.Contact{ID: fmt.Sprintf("c-%d", c), Email: fmt.Sprintf("c-%d@whatif.example", c), Locale: "en"}}
}

func (r *report) writeWhatIf(b *strings.Builder) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format+"\n", a...) }
	f := r.WhatIf
	if f.Records == 0 {
		return
	}
	per := func(d time.Duration) float64 { return float64(f.Records) / d.Seconds() }
	p("## What-if replay")
	p("")
	p("`cxloop whatif` / `make whatif` (docs/WHATIF.md) on %d generated recorded touchpoints over 60 days (about one contact", f.Records)
	p("per four touchpoints, every outcome), in memory, on this machine:")
	p("")
	p("| what | time | per second |")
	p("|---|---:|---:|")
	p("| replay, unchanged catalog (reproduces every decision) | %s | %.0f |", f.Replay.Round(time.Millisecond), per(f.Replay))
	p("| replay, every rule sampled at 1 (%d decisions change) | %s | %.0f |", f.Changed, f.ReplayEdited.Round(time.Millisecond), per(f.ReplayEdited))
	p("| report (per survey and day, priced) | %s | %.0f |", f.Summarize.Round(time.Millisecond), per(f.Summarize))
	p("| loading the dataset from a %.0f MB file (gob), separately | %s | %.0f |", f.FileMB, f.FileLoad.Round(time.Millisecond), per(f.FileLoad))
	p("")
	p("Memory: %.0f MB of heap in use holding the dataset and one replay's decisions; one replay allocates %.0f MB.", f.HeapMB, f.AllocMB)
	if f.TableItems > 0 {
		rate := float64(f.TableItems) / f.TableLoad.Seconds()
		p("")
		p("Loading from the table (tablescan.LoadReplay, a parallel Scan of 4 segments) on DynamoDB Local: %d decisions seeded through", f.TableItems)
		p("the touchpoint rules loaded in %s (%.0f per second; %d items scanned, %.1f read units reported); at that rate", f.TableLoad.Round(time.Millisecond), rate, f.TableScanned, f.TableReadUnits)
		p("1,000,000 decisions load in about %.0f s. Their replay matched every stored decision but %d.", 1e6/rate, f.TableMismatches)
	}
	p("")
}
