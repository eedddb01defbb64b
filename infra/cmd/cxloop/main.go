// Command cxloop is the tool for a deployed cxloop stack: every command that talks to the stack
// in AWS lives here. It uses the standard AWS credential chain (environment, shared config and
// SSO profiles, instance and container roles) and finds the stack's resources from its
// CloudFormation outputs.
//
//	cxloop [-stack NAME] [-region R] outputs
//	cxloop [-stack NAME] token create ROLE NAME     prints a new token once; stores its hash
//	cxloop [-stack NAME] token list                 hash prefix, role, name, created
//	cxloop [-stack NAME] token revoke HASHPREFIX
//	cxloop [-stack NAME] audit NAME [N]             what NAME read and exported, newest first
//	cxloop [-stack NAME] redrive QUEUE|all [-dry-run] [-max N]
//	cxloop [-stack NAME] whatif -catalog FILE [-since 30d] [-csv FILE] [-svg FILE]
//
// -table names the table directly instead of reading the stack's outputs (with
// AWS_ENDPOINT_URL_DYNAMODB set, that is how it works against the local stack too).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cxloop:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `usage: cxloop [-stack NAME] [-region REGION] [-table TABLE] COMMAND
commands:
  outputs                      the stack's outputs (API URL, table, queues)
  token create ROLE NAME       a new API token for ROLE (producer, viewer, agent, admin), shown once;
                               NAME is unique (a person or a system), compared ignoring case and spaces
  token list                   every token: hash prefix, role, name, created (never the token)
  token revoke HASHPREFIX      delete the token whose hash starts with HASHPREFIX (8+ characters)
  audit NAME [N]               the last N (default 50) reads of personal data and exports by NAME
  redrive QUEUE|all [-dry-run] [-max N]
                               invoke each kept failure again; delete it from its queue once it succeeds
                               (QUEUE: touchpoints, touchpoint-dlq, mail-events, mail-events-dlq, stream, ticks)
  whatif -catalog FILE [-since 30d] [-csv FILE] [-svg FILE] [-segments 4] [-decision-retention 90d] [-costs FILE]
                               replay the recorded decisions against an edited catalog (read-only: a
                               parallel Scan of the table; docs/WHATIF.md says what it costs)`

// run parses the global flags and runs one command, writing its output to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("cxloop", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	stack := fs.String("stack", envOr("CXLOOP_STACK", "cxloop"), "the CloudFormation stack's name (CXLOOP_STACK)")
	region := fs.String("region", "", "the AWS region (default: the credential chain's)")
	table := fs.String("table", "", "use this table instead of the stack's TableName output")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		return fmt.Errorf("%w\n%s", errUsage, usage)
	}
	d := &deployment{stackName: *stack, region: *region, table: *table}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	switch {
	case cmd == "outputs" && len(rest) == 0:
		return d.printOutputs(ctx, out)
	case cmd == "token" && len(rest) > 0:
		return d.token(ctx, rest, out)
	case cmd == "audit" && (len(rest) == 1 || len(rest) == 2):
		return d.audit(ctx, rest, out)
	case cmd == "redrive":
		return d.redrive(ctx, rest, out)
	case cmd == "whatif":
		return d.whatIf(ctx, rest, out)
	}
	return fmt.Errorf("%w: %s\n%s", errUsage, strings.Join(fs.Args(), " "), usage)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
