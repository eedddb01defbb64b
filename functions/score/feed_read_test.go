package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/theme"
)

// editBetweenPages is a client option for the scorer's store: every feed Query returns one item
// per page, and once a page ends on invitation id, edit runs (once), as a customer's edit would
// land between two pages of the scorer's read. The edit moves the invitation's feed key to now,
// after the page's LastEvaluatedKey, so a later page returns the invitation again.
func editBetweenPages(id string, edit func(context.Context)) func(*dynamodb.Options) {
	var once sync.Once
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("editBetweenFeedPages",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					q, ok := in.Parameters.(*dynamodb.QueryInput)
					if !ok || aws.ToString(q.IndexName) != store.IndexFeed {
						return next.HandleInitialize(ctx, in)
					}
					q.Limit = aws.Int32(1)
					out, md, err := next.HandleInitialize(ctx, in)
					if err != nil {
						return out, md, err
					}
					if r, ok := out.Result.(*dynamodb.QueryOutput); ok {
						if pk, _ := r.LastEvaluatedKey["PK"].(*types.AttributeValueMemberS); pk != nil && pk.Value == "EVENT#"+id {
							once.Do(func() { edit(ctx) })
						}
					}
					return out, md, err
				}), middleware.After)
		})
	}
}

func TestAnAnswerEditedWhileTheScorerReadsTheFeedCountsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nps)
	f.st.Now = func() time.Time { return f.now }
	day := at(0, 0, 0).Format(time.DateOnly)
	x := f.inviteSaid(nps, "en", "", seg("pro", "eu"), at(0, 9, 0), said{3, at(0, 10, 0), "the courier was late"})

	// The customer edits 3 to 10 through the survey page's store call at the run's clock, after
	// the run's upper bound U = now - 1 minute: as of U the answer is still 3.
	edited := false
	edit := func(ctx context.Context) {
		inv, err := f.st.GetInvitation(ctx, x)
		if err != nil {
			t.Errorf("get %s: %v", x, err)
			return
		}
		_, outcome, err := f.st.RecordAnswer(ctx, inv, store.NewAnswer{Score: 10, Comment: "fast delivery after all", EditWindow: 24 * time.Hour})
		if err != nil {
			t.Errorf("edit %s: %v", x, err)
			return
		}
		edited = outcome != 0
	}
	f.h = f.handler(store.New(dynamodb.New(f.st.DB.Options(), editBetweenPages(x, edit)), f.st.Table), nps)

	// check reads the day's stored counts and compares them with the answers counted directly as
	// of the run's U: one answer of score, one delivery, one comment.
	check := func(run string, score int, low, high int64) {
		t.Helper()
		days, tallies, err := f.st.ReadDayCounts(f.ctx, nps, day, day)
		if err != nil {
			t.Fatal(err)
		}
		h := days[day][metric.Overall]
		var want metric.Hist
		want.Counts[score], want.Delivered = 1, 1
		if h != want {
			t.Errorf("%s: overall histogram of %s = %+v, want %+v (the invitation once, its answer as of U)", run, day, h, want)
		}
		if got := tallies[day][metric.Overall]; got.Comments != 1 || got.Low != low || got.High != high {
			t.Errorf("%s: overall theme tally of %s = %+v, want 1 comment (low %d, high %d)", run, day, got, low, high)
		}
		re := f.recount(nps, f.now.Add(-time.Minute))
		if got, want := fmt.Sprint(tallies[day]), fmt.Sprint(map[metric.Dim]theme.Tally(re[day].Dims)); got != want {
			t.Errorf("%s: stored tallies %s, recount %s", run, got, want)
		}
	}

	res := f.run()
	if !edited {
		t.Fatal("the edit did not happen between two pages of the feed read")
	}
	if got := res.Surveys[0].Changed; got != 1 {
		t.Errorf("the run the edit interrupted changed %d invitations, want 1", got)
	}
	check("the run the edit interrupted", 3, 1, 0)

	// The next run folds the edit in: the count moves from 3 to 10, still once.
	f.now = f.now.Add(2 * time.Minute)
	f.run()
	check("the next run", 10, 0, 1)
}
