package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/infra/local/rig"
)

const defaultScaleFor = 10 * time.Second

// scale holds the throughput figures.
type scale struct {
	For                     time.Duration
	Touchpoints, Answers    int
	Invitations             int     // answered in turn; repeats are edits
	TouchpointMs, AnswerMs  float64 // mean function duration during the run
	RawPuts                 int     // PutItem calls DynamoDB Local served with two workers in For
	ScoringReads            []string
	ScoringReadsUnavailable string
}

func (s scale) rate(n int) float64 { return float64(n) / s.For.Seconds() }

// measureScale runs two concurrent workers for d each: touchpoints through the touchpoint
// function, then answers through the local HTTP API; and, as the ceiling, two workers writing
// small items straight into DynamoDB Local.
func measureScale(ctx context.Context, rep *report, d time.Duration) error {
	rep.Scale.For = d
	dur := &durations{per: map[string][]float64{}}
	r, err := rig.Start(ctx, rig.Options{LogsFor: dur.writer})
	if err != nil {
		return err
	}
	defer r.Close()
	domain := "scale." + strings.ToLower(r.Table) + ".example.com"
	var seq atomic.Int64
	log.Printf("scale: touchpoint ingest, 2 workers, %s", d)
	rep.Scale.Touchpoints = workers(ctx, d, func(ctx context.Context) bool {
		i := seq.Add(1)
		ev := map[string]any{"detail-type": "Touchpoint", "source": "acme.support", "detail": map[string]any{
			"eventId": fmt.Sprintf("scale-%d", i), "touchpoint": "support.case.closed",
			"occurredAt": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
			"contact":    map[string]any{"id": fmt.Sprintf("scale-%d", i), "email": fmt.Sprintf("c%d@%s", i, domain)},
			"attributes": map[string]any{"plan": "pro", "channel": "web"}}}
		_, err := r.Invoke(ctx, "TouchpointFunction", ev)
		return err == nil
	})
	rep.Scale.TouchpointMs = mean(dur.per["TouchpointFunction"])

	// Send what was ingested (SEND_RATE_PER_TICK per tick), then answer it for d.
	var tokens []string
	for range 20 {
		if _, err := r.Tick(ctx, "DispatchFunction"); err != nil {
			return err
		}
		emails, err := r.Emails(ctx, "@"+domain)
		if err != nil {
			return err
		}
		if len(emails) >= rep.Scale.Touchpoints || ctx.Err() != nil {
			for _, e := range emails {
				tokens = append(tokens, e.SurveyToken())
			}
			break
		}
	}
	log.Printf("scale: answer recording, 2 workers, %s over %d invitations", d, len(tokens))
	var next atomic.Int64
	rep.Scale.Answers = workers(ctx, d, func(ctx context.Context) bool {
		if len(tokens) == 0 {
			return false
		}
		i := int(next.Add(1)) - 1
		// Past the last invitation, start again: a repeat within the edit window is an edit.
		score := 1 + (i/len(tokens))%5
		return httpDo(ctx, http.MethodPost, r.BaseURL+"/s/"+tokens[i%len(tokens)], url.Values{"score": {strconv.Itoa(score)}}.Encode()) == nil
	})
	rep.Scale.AnswerMs = mean(dur.per["SurveyFunction"])
	rep.Scale.Invitations = len(tokens)

	log.Printf("scale: raw DynamoDB Local PutItem, 2 workers, %s", d)
	rep.Scale.RawPuts = workers(ctx, d, func(ctx context.Context) bool {
		i := seq.Add(1)
		_, err := r.Store.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(r.Table), Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: fmt.Sprintf("RAW#%d", i)}, "SK": &types.AttributeValueMemberS{Value: "RAW"}}})
		return err == nil
	})
	rep.Scale.ScoringReads, rep.Scale.ScoringReadsUnavailable = scoringReads(ctx, r)
	return nil
}

// workers runs job in two workers until d has passed and returns how many succeeded.
func workers(ctx context.Context, d time.Duration, job func(context.Context) bool) int {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var n atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if job(ctx) {
					n.Add(1)
				} else if ctx.Err() == nil {
					time.Sleep(5 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	return int(n.Load())
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

var scoringLine = regexp.MustCompile(`(1,000(?:,000)? answers: requests .*)`)

// scoringReads runs the scorer's scale test (functions/score, TestReadsDoNotGrowWithTheNumberOfAnswers)
// and returns its figures for 1,000 and 1,000,000 answers.
func scoringReads(ctx context.Context, r *rig.Rig) ([]string, string) {
	root, _ := os.Getwd()
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-run", "TestReadsDoNotGrowWithTheNumberOfAnswers", "-v", "./functions/score/")
	cmd.Dir = root
	// The test clones the live table (shared/storetest); the rig's table, made from
	// template.yaml, stands in for it when the environment names none.
	cmd.Env = os.Environ()
	if os.Getenv("TABLE_NAME") == "" {
		cmd.Env = append(cmd.Env, "TABLE_NAME="+r.Table, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local")
	}
	out, err := cmd.CombinedOutput()
	var lines []string
	for _, m := range scoringLine.FindAllStringSubmatch(string(out), -1) {
		lines = append(lines, strings.TrimSpace(m[1]))
	}
	if err != nil || len(lines) == 0 {
		return lines, fmt.Sprintf("go test ./functions/score -run TestReadsDoNotGrowWithTheNumberOfAnswers did not report (%v)", err)
	}
	return lines, ""
}
