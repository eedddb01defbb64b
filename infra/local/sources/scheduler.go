package sources

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/infra/local/lambdahost"
	"github.com/cxloop/cxloop/infra/local/samtemplate"
)

// Schedule fires Function every Every.
type Schedule struct {
	Function string
	Name     string
	Every    time.Duration
}

// SchedulesFromTemplate lists the rate schedules of t's functions (cron expressions are skipped
// with a warning: none are declared).
func SchedulesFromTemplate(t *samtemplate.Template, log *slog.Logger) []Schedule {
	var out []Schedule
	for _, fn := range t.Functions {
		for _, s := range fn.Schedules {
			if s.Every <= 0 {
				logger(log).Warn("schedule is not a rate; not fired locally", "function", fn.LogicalID, "schedule", s.Name, "expression", s.Expression)
				continue
			}
			out = append(out, Schedule{Function: fn.LogicalID, Name: s.Name, Every: s.Every})
		}
	}
	return out
}

// Scheduler fires schedules like EventBridge Scheduler: each at its rate, the first one a whole
// interval after Run starts, an invoke per tick even if the previous one is still running. Run
// invokes asynchronously (Async: the function's retry policy, then Lambda's failure record);
// Tick fires at once and waits for the result, the synchronous hook for tests and make
// score-now, with the same retries and failure record.
type Scheduler struct {
	Invoke    lambdahost.Invoker
	Schedules []Schedule
	Region    string
	// Async runs the invocations; nil builds one from Invoke, Region and Log with Lambda's
	// default retry policy and no failure records.
	Async *Async
	Log   *slog.Logger

	once sync.Once
}

func (s *Scheduler) async() *Async {
	s.once.Do(func() {
		if s.Async == nil {
			s.Async = &Async{Invoke: s.Invoke, Region: s.Region, Log: s.Log}
		}
	})
	return s.Async
}

// ErrNoSchedule is returned by Tick for a function without schedules.
var ErrNoSchedule = errors.New("function has no schedule")

// Run fires the schedules until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, sc := range s.Schedules {
		wg.Go(func() {
			tick := time.NewTicker(sc.Every)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					s.async().Go(ctx, sc.Function, s.event(sc), func(d Delivery) { s.report(sc, d) })
				}
			}
		})
	}
	wg.Wait()
	s.async().Wait()
	return ctx.Err()
}

// Tick fires every schedule of function now and returns the results.
func (s *Scheduler) Tick(ctx context.Context, function string) ([]lambdahost.Result, error) {
	var out []lambdahost.Result
	for _, sc := range s.Schedules {
		if sc.Function != function {
			continue
		}
		res, err := s.fire(ctx, sc)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("tick %s: %w", function, ErrNoSchedule)
	}
	return out, nil
}

func (s *Scheduler) fire(ctx context.Context, sc Schedule) (lambdahost.Result, error) {
	d := s.async().Run(ctx, sc.Function, s.event(sc))
	s.report(sc, d)
	if d.Err != nil {
		return d.Result, fmt.Errorf("schedule %s of %s: %w", sc.Name, sc.Function, d.Err)
	}
	return d.Result, nil
}

func (s *Scheduler) event(sc Schedule) []byte {
	return ScheduledEvent(region(s.Region), sc.Function+"-"+sc.Name, time.Now())
}

func (s *Scheduler) report(sc Schedule, d Delivery) {
	switch {
	case d.Err != nil:
		logger(s.Log).Error("schedule invoke failed", "function", sc.Function, "schedule", sc.Name, "error", d.Err)
	case d.Result.Failed():
		// The template's policy for ticks is no retry: the next tick does the work.
		logger(s.Log).Warn("scheduled function failed", "function", sc.Function, "schedule", sc.Name, "attempts", d.Attempts, "error", string(d.Result.Payload))
	default:
		logger(s.Log).Debug("schedule fired", "function", sc.Function, "schedule", sc.Name, "duration", d.Result.Duration)
	}
}

// ScheduledEvent is the default notification EventBridge Scheduler delivers to a templated
// Lambda target without Input (which is how SAM's ScheduleV2 creates it): an EventBridge
// envelope from "aws.scheduler" whose detail is the JSON string "{}", not an object.
func ScheduledEvent(region, scheduleName string, at time.Time) []byte {
	ev := events.CloudWatchEvent{
		Version:    "0",
		ID:         newID(),
		DetailType: "Scheduled Event",
		Source:     "aws.scheduler",
		AccountID:  lambdahost.AccountID,
		Time:       at.UTC().Truncate(time.Second),
		Region:     region,
		Resources:  []string{fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/default/%s", region, lambdahost.AccountID, scheduleName)},
		Detail:     json.RawMessage(`"{}"`),
	}
	b, _ := json.Marshal(ev)
	return b
}

func region(r string) string {
	if r == "" {
		return lambdahost.DefaultRegion
	}
	return r
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// newID returns a random UUID v4 string, the shape of EventBridge event ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
