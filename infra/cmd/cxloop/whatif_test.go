package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop"
	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/touchpoint"
)

// The whatif command reads a table (here DynamoDB Local, through the credential chain and
// AWS_ENDPOINT_URL_DYNAMODB, as against AWS), replays it against the catalog given and writes
// the text report, the CSV and the chart. Touchpoints decided by the rules and the store replay
// unchanged under the shipped catalog; with every order sampled, the sampled-out ones change.
func TestWhatIfReplaysTheTableAgainstTheCatalogGiven(t *testing.T) {
	env := storetest.Env(t)
	for _, k := range []string{"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} {
		t.Setenv(k, env[k])
	}
	st := storetest.New(t)
	ctx := context.Background()
	cat := catalog.MustShipped()
	now := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	st.Now = func() time.Time { return now }
	sampledOut := 0
	for i := range 40 {
		ev := touchpoint.Event{EventID: fmt.Sprintf("wi-%d", i), Touchpoint: "order.delivered",
			OccurredAt: now.Add(-time.Minute).Format(time.RFC3339),
			Contact:    touchpoint.Contact{ID: fmt.Sprintf("wi-c%d", i), Email: fmt.Sprintf("wi%d@example.com", i)}}
		key := store.EventKey(ev.EventID)
		tp := invitation.Touchpoint{Event: ev, Key: key, Shard: store.Shard(key)}
		reads, _ := invitation.ReadsOf(cat, tp, now)
		prior, err := st.LoadPrior(ctx, key, reads.ContactID, reads.Email, reads.Cap)
		if err != nil {
			t.Fatal(err)
		}
		d := invitation.Decide(cat, tp, prior.State(), now)
		if d.Outcome == invitation.OutcomeSampledOut {
			sampledOut++
		}
		rec := &store.Invitation{ID: key, EventID: ev.EventID, Touchpoint: ev.Touchpoint, ContactID: ev.Contact.ID, Email: ev.Contact.Email, DecidedAt: now}
		if _, err := st.SaveDecision(ctx, rec, d, store.Retention{Decision: 24 * time.Hour, Invitation: 48 * time.Hour}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Second)
	}
	if sampledOut == 0 {
		t.Fatal("the half sample left nobody out: the test proves nothing")
	}

	dir := t.TempDir()
	edited := filepath.Join(dir, "edited.yaml")
	if err := os.WriteFile(edited, []byte(strings.Replace(string(cxloop.SurveysYAML), "sampleRate: 0.5", "sampleRate: 1", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	shipped := filepath.Join(dir, "surveys.yaml")
	if err := os.WriteFile(shipped, cxloop.SurveysYAML, 0o600); err != nil {
		t.Fatal(err)
	}
	whatif := func(args ...string) string {
		var out bytes.Buffer
		if err := run(ctx, append([]string{"-table", st.Table, "whatif"}, args...), &out); err != nil {
			t.Fatalf("whatif %v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	if out := whatif("-catalog", shipped, "-since", "1d"); !strings.Contains(out, "Decided differently by the edited catalog: 0 of 40.") {
		t.Fatalf("the unchanged catalog changed decisions:\n%s", out)
	}
	csvPath, svgPath := filepath.Join(dir, "w.csv"), filepath.Join(dir, "w.svg")
	out := whatif("-catalog", edited, "-since", "1d", "-csv", csvPath, "-svg", svgPath)
	if !strings.Contains(out, fmt.Sprintf("Decided differently by the edited catalog: %d of 40.", sampledOut)) || !strings.Contains(out, "read request units") {
		t.Fatalf("sampling every order should change the %d sampled out:\n%s", sampledOut, out)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 || rows[1][0] != "nps-relationship" || rows[1][5] != "40" {
		t.Fatalf("csv %v %v", rows, err)
	}
	if svg, err := os.ReadFile(svgPath); err != nil || !bytes.HasPrefix(svg, []byte("<svg")) {
		t.Fatalf("svg %q %v", svg, err)
	}
	var usage bytes.Buffer
	if err := run(ctx, []string{"-table", st.Table, "whatif"}, &usage); !errors.Is(err, errUsage) {
		t.Fatalf("whatif without -catalog: %v", err)
	}
}
