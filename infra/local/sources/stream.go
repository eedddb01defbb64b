package sources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/cxloop/cxloop/infra/local/lambdahost"
	"github.com/cxloop/cxloop/infra/local/samtemplate"
)

// StreamTarget is one event source mapping: the table's stream feeding Function.
type StreamTarget struct {
	Function string
	samtemplate.Stream
}

// StreamTargetsFromTemplate lists the DynamoDB stream events of t's functions.
func StreamTargetsFromTemplate(t *samtemplate.Template) []StreamTarget {
	var out []StreamTarget
	for _, fn := range t.Functions {
		for _, s := range fn.Streams {
			out = append(out, StreamTarget{Function: fn.LogicalID, Stream: s})
		}
	}
	return out
}

// Poller reads a table's DynamoDB stream (DynamoDB Local's, through the real Streams API) and
// invokes each target the way Lambda's event source mapping does: records that match none of
// the target's filters are dropped, the rest go in order in batches of at most BatchSize,
// waiting up to BatchWindow to fill one; a failed batch is retried (from the first reported
// batchItemFailures item when the target reports them, halved when Bisect is on) until
// MaxRetryAttempts, then recorded in FailureDir/<function>.jsonl and skipped.
type Poller struct {
	DB      *dynamodb.Client
	Streams *dynamodbstreams.Client
	Table   string
	Invoke  lambdahost.Invoker
	Targets []StreamTarget
	// FailureDir is the local on-failure destination (.local/failures); "" drops failed batches.
	FailureDir string
	// Duplicate delivers every batch twice, for tests of at-least-once handling.
	Duplicate bool
	// PollInterval is the wait between GetRecords calls on an idle shard (Lambda: 4 per second).
	PollInterval time.Duration
	// RetryDelay is the first wait before retrying a failed batch; it doubles up to 5 s.
	RetryDelay time.Duration
	Region     string
	Log        *slog.Logger

	progressOf sync.Map // target function -> *targetProgress
}

// Drained waits until every target has read to the end of every shard with nothing left to
// deliver, in two whole rounds begun after the call (so a write made before the call has been read
// and delivered, and every duplicate delivery with it), or until ctx ends. Tests wait on it
// instead of sleeping.
func (p *Poller) Drained(ctx context.Context) error {
	start := map[string]int64{}
	for _, tgt := range p.Targets {
		start[tgt.Function] = p.progress(tgt.Function).rounds.Load()
	}
	for {
		done := true
		for fn, from := range start {
			pr := p.progress(fn)
			if pr.rounds.Load()-max(from, pr.lastBusy.Load()) < 2 {
				done = false
			}
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// targetProgress counts a target's polling rounds and the last one that read or held records.
type targetProgress struct{ rounds, lastBusy atomic.Int64 }

func (p *Poller) progress(function string) *targetProgress {
	c, _ := p.progressOf.LoadOrStore(function, new(targetProgress))
	return c.(*targetProgress)
}

// Run polls until ctx ends; each target reads the stream on its own, like separate mappings.
func (p *Poller) Run(ctx context.Context) error {
	arn, err := p.streamARN(ctx)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(p.Targets))
	for i, tgt := range p.Targets {
		wg.Go(func() { errs[i] = p.runTarget(ctx, tgt, arn) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.Join(errs...)
}

// streamARN waits for the table's stream, so serve can start before the table exists.
func (p *Poller) streamARN(ctx context.Context) (string, error) {
	for {
		out, err := p.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(p.Table)})
		if err == nil {
			if arn := aws.ToString(out.Table.LatestStreamArn); arn != "" {
				return arn, nil
			}
			return "", fmt.Errorf("table %s has no stream", p.Table)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("describe table %s: %w", p.Table, err)
		case <-time.After(time.Second):
		}
	}
}

// shardState is a target's position in one shard and the records waiting for a batch.
type shardState struct {
	id       string
	iterator *string
	closed   bool
	lastSeq  string // the last record read, to resume after an expired iterator
	pending  []StreamRecord
	since    time.Time // when the oldest pending record was read
}

func (p *Poller) runTarget(ctx context.Context, tgt StreamTarget, arn string) error {
	filters := make([]Pattern, 0, len(tgt.Filters))
	for _, f := range tgt.Filters {
		pat, err := ParsePattern(f)
		if err != nil {
			return fmt.Errorf("filter of %s: %w", tgt.Function, err)
		}
		filters = append(filters, pat)
	}
	batchSize := max(tgt.BatchSize, 1)
	shards := map[string]*shardState{}
	var order []string
	first := true
	var lastList time.Time
	for ctx.Err() == nil {
		if time.Since(lastList) > 2*time.Second {
			ids, err := p.listShards(ctx, arn)
			if err != nil {
				p.log().Warn("describe stream", "error", err)
			}
			for _, id := range ids {
				if shards[id] != nil {
					continue
				}
				pos := streamtypes.ShardIteratorTypeTrimHorizon
				if first && tgt.StartingPosition == "LATEST" {
					pos = streamtypes.ShardIteratorTypeLatest
				}
				it, err := p.Streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
					StreamArn: aws.String(arn), ShardId: aws.String(id), ShardIteratorType: pos,
				})
				if err != nil {
					p.log().Warn("shard iterator", "shard", id, "error", err)
					continue
				}
				shards[id] = &shardState{id: id, iterator: it.ShardIterator}
				order = append(order, id)
			}
			first, lastList = false, time.Now()
		}
		busy := false
		for _, id := range order {
			s := shards[id]
			got, err := p.poll(ctx, s, arn, filters)
			if err != nil {
				p.log().Warn("get records", "shard", id, "error", err)
			}
			busy = busy || got
			for len(s.pending) >= batchSize || (len(s.pending) > 0 && time.Since(s.since) >= tgt.BatchWindow) {
				n := min(len(s.pending), batchSize)
				p.deliver(ctx, tgt, arn, s.id, s.pending[:n])
				s.pending = s.pending[n:]
				s.since = time.Now()
			}
		}
		pending := false
		for _, id := range order {
			pending = pending || len(shards[id].pending) > 0
		}
		pr := p.progress(tgt.Function)
		round := pr.rounds.Add(1)
		if busy || pending || len(order) == 0 {
			pr.lastBusy.Store(round)
		}
		if !busy {
			select {
			case <-ctx.Done():
			case <-time.After(p.pollInterval()):
			}
		}
	}
	return nil
}

// poll reads one page of s and keeps the records that pass the filters. It reports whether the
// page had records (then the next read follows at once).
func (p *Poller) poll(ctx context.Context, s *shardState, arn string, filters []Pattern) (bool, error) {
	if s.closed || s.iterator == nil {
		return false, nil
	}
	out, err := p.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: s.iterator, Limit: aws.Int32(1000)})
	var expired *streamtypes.ExpiredIteratorException
	if errors.As(err, &expired) {
		// Iterators live 15 minutes; a batch retried that long outlives its shard's.
		return false, p.resume(ctx, s, arn)
	}
	if err != nil {
		return false, err
	}
	s.iterator = out.NextShardIterator
	s.closed = out.NextShardIterator == nil
	for _, r := range out.Records {
		rec := convertRecord(r, arn, region(p.Region))
		s.lastSeq = rec.DynamoDB.SequenceNumber
		b, _ := json.Marshal(rec)
		var decoded map[string]any
		_ = json.Unmarshal(b, &decoded)
		if !MatchAny(filters, decoded) {
			continue
		}
		if len(s.pending) == 0 {
			s.since = time.Now()
		}
		s.pending = append(s.pending, rec)
	}
	return len(out.Records) > 0, nil
}

// resume gets a new iterator for s just after the last record read.
func (p *Poller) resume(ctx context.Context, s *shardState, arn string) error {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: aws.String(s.id), ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon}
	if s.lastSeq != "" {
		in.ShardIteratorType, in.SequenceNumber = streamtypes.ShardIteratorTypeAfterSequenceNumber, aws.String(s.lastSeq)
	}
	it, err := p.Streams.GetShardIterator(ctx, in)
	if err != nil {
		return fmt.Errorf("resume shard %s: %w", s.id, err)
	}
	s.iterator = it.ShardIterator
	return nil
}

func (p *Poller) listShards(ctx context.Context, arn string) ([]string, error) {
	var ids []string
	var start *string
	for {
		out, err := p.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn), ExclusiveStartShardId: start})
		if err != nil {
			return ids, err
		}
		for _, sh := range out.StreamDescription.Shards {
			ids = append(ids, aws.ToString(sh.ShardId))
		}
		start = out.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return ids, nil
		}
	}
}

func (p *Poller) pollInterval() time.Duration {
	if p.PollInterval > 0 {
		return p.PollInterval
	}
	return 250 * time.Millisecond
}

func (p *Poller) log() *slog.Logger { return logger(p.Log) }
