package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/score"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/telemetry"
)

// fixture is a scorer on a fresh table of the local stack with a clock the test moves.
type fixture struct {
	t   *testing.T
	ctx context.Context
	st  *store.Store
	h   *Handler
	emf *bytes.Buffer
	now time.Time
	seq int
}

var start = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, surveys ...string) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), st: storetest.New(t), emf: &bytes.Buffer{}, now: start}
	f.h = f.handler(f.st, surveys...)
	return f
}

// handler returns a scorer on st with the fixture's clock, scoring only surveys (all if none).
func (f *fixture) handler(st *store.Store, surveys ...string) *Handler {
	cat := *catalog.MustShipped()
	if len(surveys) > 0 {
		cat.Surveys = nil
		for _, id := range surveys {
			sv, ok := catalog.MustShipped().Survey(id)
			if !ok {
				f.t.Fatalf("no survey %s in surveys.yaml", id)
			}
			cat.Surveys = append(cat.Surveys, *sv)
		}
	}
	clock := func() time.Time { return f.now }
	return &Handler{Store: st, Catalog: &cat, Settle: time.Minute, Now: clock,
		Metrics: &telemetry.Metrics{Namespace: telemetry.Namespace, Out: f.emf, Now: clock}}
}

// metered returns a store on the same table whose calls are counted by meter.
func (f *fixture) metered(meter *storetest.CapacityMeter) *store.Store {
	return store.New(dynamodb.New(f.st.DB.Options(), meter.Option()), f.st.Table)
}

// run invokes the scorer as the schedule does and fails the test on an error.
func (f *fixture) run() Result {
	f.t.Helper()
	event, err := os.ReadFile("../../events/score-schedule.json") // what `make invoke` sends
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := f.h.Handle(f.ctx, event)
	if err != nil {
		f.t.Fatalf("score run at %s: %v", f.now.Format(time.RFC3339), err)
	}
	return res
}

// answer is a submit for invite: score at a time.
type answer struct {
	score int
	at    time.Time
}

// invite writes an invitation item the way the dispatcher and the survey page leave it: sent at
// sent, with every submit in `answers` and the change-feed key (GSI3) at its last change. It
// returns the invitation id.
func (f *fixture) invite(survey string, segs map[string]string, sent time.Time, answers ...answer) string {
	f.t.Helper()
	f.seq++
	id := fmt.Sprintf("inv-%s-%05d", survey, f.seq)
	inv := store.Invitation{PK: "EVENT#" + id, SK: "EVENT", Kind: store.KindInvitation, ID: id, EventID: id,
		Survey: survey, Touchpoint: touchpointOf(survey), Segments: segs, Outcome: invitation.OutcomeInvited,
		Status: invitation.StatusSent, SentAt: &sent}
	for _, a := range answers {
		inv.Answers = append(inv.Answers, store.Answer{Score: a.score, At: a.at.UnixMilli()})
	}
	f.put(&inv)
	return id
}

// reanswer appends a submit to an existing invitation and moves it on the feed, as an edit does.
func (f *fixture) reanswer(id string, a answer) {
	f.t.Helper()
	inv, err := f.st.GetInvitation(f.ctx, id)
	if err != nil {
		f.t.Fatalf("get %s: %v", id, err)
	}
	inv.Answers = append(inv.Answers, store.Answer{Score: a.score, At: a.at.UnixMilli()})
	f.put(inv)
}

func (f *fixture) put(inv *store.Invitation) {
	f.t.Helper()
	last := *inv.SentAt
	if n := len(inv.Answers); n > 0 {
		at := time.UnixMilli(inv.Answers[n-1].At).UTC()
		last = at
		inv.Score, inv.AnsweredAt = &inv.Answers[n-1].Score, &at
	}
	inv.GSI3PK = fmt.Sprintf("FEED#%s#%02d", inv.Survey, store.Shard(inv.ID))
	inv.GSI3SK = store.FormatTime(last)
	item, err := attributevalue.MarshalMap(inv)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.st.DB.PutItem(f.ctx, &dynamodb.PutItemInput{TableName: aws.String(f.st.Table), Item: item}); err != nil {
		f.t.Fatalf("put invitation %s: %v", inv.ID, err)
	}
}

func touchpointOf(survey string) string {
	sv, _ := catalog.MustShipped().Survey(survey)
	return sv.Touchpoints[0].Event
}

// latest returns the survey's latest snapshot.
func (f *fixture) latest(survey string) *score.Snapshot {
	f.t.Helper()
	snap, err := f.st.LatestScores(f.ctx, survey)
	if err != nil {
		f.t.Fatalf("latest scores of %s: %v", survey, err)
	}
	return snap
}

// score returns one row of the survey's latest snapshot.
func (f *fixture) score(survey, window string, dim metric.Dim) metric.Score {
	f.t.Helper()
	row, ok := f.latest(survey).Find(window, dim)
	if !ok {
		f.t.Fatalf("no %s score for %s in the latest snapshot of %s", window, dim, survey)
	}
	return row.Score
}

// at returns a time days before start's day at hour:minute.
func at(daysBefore, hour, minute int) time.Time {
	return time.Date(2026, 11, 23-daysBefore, hour, minute, 0, 0, time.UTC)
}
