package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/theme"
)

// said is a submit with its comment.
type said struct {
	score   int
	at      time.Time
	comment string
}

// inviteSaid writes an answered invitation whose submits carry their comments, the way the
// survey page stores them, in the contact's locale.
func (f *fixture) inviteSaid(survey, locale, name string, segs map[string]string, sent time.Time, answers ...said) string {
	f.t.Helper()
	f.seq++
	id := fmt.Sprintf("inv-%s-%05d", survey, f.seq)
	inv := store.Invitation{PK: "EVENT#" + id, SK: "EVENT", Kind: store.KindInvitation, ID: id, EventID: id,
		Survey: survey, Touchpoint: touchpointOf(survey), Segments: segs, Outcome: invitation.OutcomeInvited,
		Status: invitation.StatusSent, SentAt: &sent, Locale: locale, Name: name}
	for _, a := range answers {
		inv.Answers = append(inv.Answers, store.Answer{Score: a.score, At: a.at.UnixMilli(), Comment: a.comment, Lang: locale})
	}
	if n := len(answers); n > 0 {
		inv.Comment = answers[n-1].comment
	}
	f.put(&inv)
	return id
}

// resay appends a submit with its comment, as an edit on the page does.
func (f *fixture) resay(id string, a said) {
	f.t.Helper()
	inv, err := f.st.GetInvitation(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	inv.Answers = append(inv.Answers, store.Answer{Score: a.score, At: a.at.UnixMilli(), Comment: a.comment, Lang: inv.Locale})
	inv.Comment = a.comment
	f.put(inv)
}

// recount counts the themes of every invitation of the survey directly from the table (a Scan):
// what the run-by-run counts must equal.
func (f *fixture) recount(survey string, u time.Time) theme.Delta {
	f.t.Helper()
	out, err := f.st.DB.Scan(f.ctx, &dynamodb.ScanInput{TableName: aws.String(f.st.Table)})
	if err != nil {
		f.t.Fatal(err)
	}
	sv, _ := catalog.MustShipped().Survey(survey)
	c := counter(sv)
	d := theme.Delta{}
	for _, raw := range out.Items {
		if k, _ := raw["kind"].(*types.AttributeValueMemberS); k == nil || k.Value != store.KindInvitation {
			continue
		}
		e, err := store.FeedEntryOf(raw)
		if err != nil {
			f.t.Fatal(err)
		}
		c.AddItem(d, e.Theme, 0, u.UnixMilli())
	}
	d.Prune()
	return d
}

func TestThemeCountsFollowTheAnswers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "nps-relationship")
	eu := map[string]string{"plan": "pro", "region": "eu"}
	us := map[string]string{"plan": "free", "region": "us"}
	f.inviteSaid("nps-relationship", "en", "Ana Perez", eu, at(1, 8, 0), said{2, at(1, 9, 0), "The courier was late, call me at +34 600 123 456"})
	f.inviteSaid("nps-relationship", "es-ES", "Luis", eu, at(1, 8, 0), said{4, at(1, 9, 5), "Llegó con retraso y muy caro"})
	f.inviteSaid("nps-relationship", "en", "Bo", us, at(1, 8, 0), said{10, at(1, 9, 10), "Fast delivery, great support"})
	f.inviteSaid("nps-relationship", "en", "Cy", us, at(1, 8, 0), said{8, at(1, 9, 15), "fine"})
	f.inviteSaid("nps-relationship", "en", "Di", us, at(1, 8, 0), said{3, at(1, 9, 20), ""})
	edited := f.inviteSaid("nps-relationship", "fr", "Ed", eu, at(1, 8, 0), said{1, at(1, 9, 30), "livraison en retard"})
	f.now = at(0, 10, 0)
	f.run()

	day := at(1, 0, 0).Format(time.DateOnly)
	_, tallies, err := f.st.ReadDayCounts(f.ctx, "nps-relationship", day, day)
	if err != nil {
		t.Fatal(err)
	}
	all := tallies[day][metric.Overall]
	want := theme.Tally{Comments: 5, Low: 3, High: 1, Themes: map[string]theme.Mentions{
		"delivery": {Comments: 3, Low: 2, High: 1}, // en "courier/late", es "retraso", en "delivery" (high); fr has no words declared
		"price":    {Comments: 1, Low: 1},
		"support":  {Comments: 1, High: 1},
	}}
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Errorf("overall tally = %+v\nwant %+v", all, want)
	}
	if got := tallies[day][metric.SegmentDim("region", "us")]; got.Comments != 2 || got.High != 1 || got.Themes["delivery"].High != 1 {
		t.Errorf("region=us tally = %+v", got)
	}
	terms, err := f.st.ReadTermDays(f.ctx, "nps-relationship", day, day)
	if err != nil {
		t.Fatal(err)
	}
	td := terms[day]
	if td.LowComments != 3 || td.HighComments != 1 || td.Low["courier"] != 1 || td.Low["retras"] != 1 || td.Low["livraison"] != 1 || td.High["fast deliveri"] != 1 {
		t.Errorf("vocabulary = %+v", td)
	}
	for term := range td.Low {
		for _, bad := range []string{"34", "600", "123", "456"} {
			if term == bad {
				t.Errorf("term %q stored: numbers and the contact's name never become a theme", term)
			}
		}
	}

	// An edit from 1 to 10 with a new comment moves the counts; a second run with nothing new
	// writes nothing more; both equal a recount from the answers.
	f.resay(edited, said{10, at(0, 10, 30), "finalement le livreur était super"})
	f.now = at(0, 11, 0)
	f.run()
	f.now = at(0, 12, 0)
	f.run()
	_, tallies, err = f.st.ReadDayCounts(f.ctx, "nps-relationship", day, day)
	if err != nil {
		t.Fatal(err)
	}
	terms, err = f.st.ReadTermDays(f.ctx, "nps-relationship", day, day)
	if err != nil {
		t.Fatal(err)
	}
	re := f.recount("nps-relationship", f.now.Add(-time.Minute))
	for dim, want := range re[day].Dims {
		if fmt.Sprint(tallies[day][dim]) != fmt.Sprint(want) {
			t.Errorf("%s: stored %+v, recount %+v", dim, tallies[day][dim], want)
		}
	}
	if len(tallies[day]) != len(re[day].Dims) {
		t.Errorf("stored %d dimensions, recount %d", len(tallies[day]), len(re[day].Dims))
	}
	got, want2 := terms[day], re[day].Terms
	if got.LowComments != want2.LowComments || got.HighComments != want2.HighComments ||
		fmt.Sprint(got.Low) != fmt.Sprint(want2.Low) || fmt.Sprint(got.High) != fmt.Sprint(want2.High) {
		t.Errorf("vocabulary %+v, recount %+v", got, want2)
	}
	if got.Low["livraison"] != 0 || got.High["livreur"] != 1 {
		t.Errorf("the edit did not move the vocabulary: %+v", got)
	}
}

func TestAThemeAlertRecordsOneBreach(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "nps-relationship")
	// 20 detractor comments, 8 about delivery (40% > 30%), and a promoter.
	for i := range 20 {
		c := "the app is confusing"
		if i < 8 {
			c = "the courier was late again"
		}
		f.inviteSaid("nps-relationship", "en", "", nil, at(2, 8, 0), said{3, at(2, 9, i), c})
	}
	f.inviteSaid("nps-relationship", "en", "", nil, at(2, 8, 0), said{10, at(2, 10, 0), "love it"})
	f.now = at(0, 10, 0)
	res := f.run()
	f.now = at(0, 10, 30)
	again := f.run()
	if got := res.Surveys[0].Breaches; len(got) != 1 || got[0] != "nps-7d-delivery-theme" {
		t.Fatalf("breaches of the first run = %v, want the theme rule", got)
	}
	if len(again.Surveys[0].Breaches) != 0 {
		t.Errorf("the second run recorded %v again", again.Surveys[0].Breaches)
	}
	bs, err := f.st.Breaches(f.ctx, "nps-relationship", "nps-7d-delivery-theme")
	if err != nil || len(bs) != 1 {
		t.Fatalf("breaches = %v %v", bs, err)
	}
	if b := bs[0]; b.Theme != "delivery" || b.Value != 40 || b.N != 20 || b.ShareAbove == nil || *b.ShareAbove != 30 || b.Window != "7d" {
		t.Errorf("breach = %+v", b)
	}
}
