package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// queues are the failure queues (stack outputs), each with the shape its messages have.
var queues = map[string]struct {
	output string
	parse  func(body []byte, attrs map[string]string) (failure, error)
}{
	"touchpoints":     {"TouchpointFailureQueueUrl", eventFailure},
	"mail-events":     {"MailEventsFailureQueueUrl", eventFailure},
	"ticks":           {"TickFailureQueueUrl", eventFailure},
	"touchpoint-dlq":  {"TouchpointRuleDLQUrl", ruleDeadLetter},
	"mail-events-dlq": {"MailEventsRuleDLQUrl", ruleDeadLetter},
	"stream":          {"StreamFailureQueueUrl", func(b []byte, _ map[string]string) (failure, error) { return parseStreamFailure(b) }},
}

// queueNames lists the queues in the order `redrive all` drains them.
var queueNames = []string{"touchpoints", "touchpoint-dlq", "mail-events", "mail-events-dlq", "stream", "ticks"}

func eventFailure(b []byte, _ map[string]string) (failure, error) { return parseEventFailure(b) }

func ruleDeadLetter(b []byte, a map[string]string) (failure, error) {
	return parseRuleDeadLetter(b, a["TARGET_ARN"])
}

// invoker runs a function once, synchronously, and returns its response. A function error is an
// error: the failure stays in its queue.
type invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) ([]byte, error)
}

type lambdaInvoker struct{ c *lambda.Client }

func (l lambdaInvoker) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	out, err := l.c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function), Payload: payload})
	if err != nil {
		return nil, err
	}
	if out.FunctionError != nil {
		return nil, fmt.Errorf("%s: function error %s: %s", function, aws.ToString(out.FunctionError), out.Payload)
	}
	return out.Payload, nil
}

// redrive re-drives every message of one failure queue: each is invoked again synchronously and
// deleted only when that invocation succeeded; a tick is deleted without invoking (the next tick
// did its work). -dry-run lists what would happen and changes nothing.
func (d *deployment) redrive(ctx context.Context, args []string, out io.Writer) error {
	if len(args) < 1 {
		return fmt.Errorf("%w: redrive QUEUE|all [-dry-run] [-max N]\n%s", errUsage, usage)
	}
	names := []string{args[0]}
	if args[0] == "all" {
		names = queueNames
	} else if _, ok := queues[args[0]]; !ok {
		return fmt.Errorf("%w: redrive %s: the queues are %s, or all\n%s", errUsage, args[0], strings.Join(queueNames, ", "), usage)
	}
	dry, max := false, 100
	for i := 1; i < len(args); i++ {
		switch {
		case args[i] == "-dry-run":
			dry = true
		case args[i] == "-max" && i+1 < len(args):
			n, err := strconv.Atoi(args[i+1])
			if err != nil || n < 1 {
				return fmt.Errorf("%w: -max %s", errUsage, args[i+1])
			}
			max, i = n, i+1
		default:
			return fmt.Errorf("%w: redrive %s: unknown %s\n%s", errUsage, args[0], args[i], usage)
		}
	}
	for _, name := range names {
		if err := d.drain(ctx, name, dry, max, out); err != nil {
			return err
		}
	}
	return nil
}

// drain re-drives up to max messages of one queue.
func (d *deployment) drain(ctx context.Context, name string, dry bool, max int, out io.Writer) error {
	shape := queues[name]
	queue, err := d.output(ctx, shape.output)
	if err != nil {
		return err
	}
	cfg, err := d.aws(ctx)
	if err != nil {
		return err
	}
	q := sqs.NewFromConfig(cfg)
	inv := lambdaInvoker{lambda.NewFromConfig(cfg)}
	var rr *rereader
	if name == "stream" {
		st, err := d.Store(ctx)
		if err != nil {
			return err
		}
		rr = newRereader(cfg, st, cfg.Region)
	}
	var done, kept, dropped int
	for done+kept+dropped < max {
		res, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue), MaxNumberOfMessages: int32(min(10, max-done-kept-dropped)),
			WaitTimeSeconds: 1, VisibilityTimeout: 120, MessageAttributeNames: []string{"All"}})
		if err != nil {
			return fmt.Errorf("read %s: %w", shape.output, err)
		}
		if len(res.Messages) == 0 {
			break
		}
		for _, m := range res.Messages {
			f, err := shape.parse([]byte(aws.ToString(m.Body)), attributes(m.MessageAttributes))
			if err == nil {
				err = d.redriveOne(ctx, f, inv, rr, dry, out)
			}
			switch {
			case errors.Is(err, errTickDropped):
				dropped++
			case err != nil:
				kept++
				fmt.Fprintf(out, "kept %s: %v\n", aws.ToString(m.MessageId), err)
				continue
			default:
				done++
			}
			if !dry {
				if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queue), ReceiptHandle: m.ReceiptHandle}); err != nil {
					return fmt.Errorf("delete %s: %w", aws.ToString(m.MessageId), err)
				}
			}
		}
	}
	fmt.Fprintf(out, "%s: %d re-driven, %d ticks dropped, %d kept in the queue%s\n", name, done, dropped, kept, map[bool]string{true: " (dry run: nothing changed)"}[dry])
	return nil
}

var errTickDropped = errors.New("a scheduled tick")

// redriveOne invokes one failure's function again.
func (d *deployment) redriveOne(ctx context.Context, f failure, inv invoker, rr *rereader, dry bool, out io.Writer) error {
	if f.Tick {
		fmt.Fprintf(out, "drop a %s tick: the next tick did its work\n", f.Function)
		return errTickDropped
	}
	payload := []byte(f.Payload)
	if f.Batch != nil {
		records, how, err := rr.records(ctx, *f.Batch)
		if err != nil {
			return err
		}
		payload, err = json.Marshal(map[string]any{"Records": records})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "stream batch %s..%s: %d records (%s)\n", f.Batch.StartSequence, f.Batch.EndSequence, len(records), how)
		if len(records) == 0 {
			return nil
		}
	}
	if dry {
		fmt.Fprintf(out, "would invoke %s with %d bytes\n", f.Function, len(payload))
		return nil
	}
	resp, err := inv.Invoke(ctx, f.Function, payload)
	if err != nil {
		return err
	}
	if f.Batch != nil {
		var r events.DynamoDBEventResponse
		if json.Unmarshal(resp, &r) == nil && len(r.BatchItemFailures) > 0 {
			return fmt.Errorf("%s reported %d records failed again", f.Function, len(r.BatchItemFailures))
		}
	}
	fmt.Fprintf(out, "invoked %s\n", f.Function)
	return nil
}

func attributes(m map[string]sqstypes.MessageAttributeValue) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = aws.ToString(v.StringValue)
	}
	return out
}
