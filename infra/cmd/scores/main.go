// Command scores prints the latest score snapshot of every survey in the local table as a table
// (`make scores`). It reads what ScoreFunction wrote; it does not score. Flags narrow the output.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/cxloop/cxloop/infra/local/stack"
	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/score"
	"github.com/cxloop/cxloop/shared/store"
)

func main() {
	survey := flag.String("survey", "", "only this survey")
	window := flag.String("window", "", "only this window (1d, 7d, 30d, 90d)")
	overall := flag.Bool("overall", false, "only the overall scores (no touchpoints or segments)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, filter{survey: *survey, window: *window, overall: *overall}); err != nil {
		fmt.Fprintln(os.Stderr, "scores:", err)
		os.Exit(1)
	}
}

// filter selects the rows to print.
type filter struct {
	survey, window string
	overall        bool
}

func run(ctx context.Context, out io.Writer, f filter) error {
	endpoint, table := os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"), os.Getenv("TABLE_NAME")
	if endpoint == "" || table == "" {
		cfg, err := stack.FromEnv()
		if err != nil {
			return err
		}
		env, err := stack.ReadEnv(cfg.EnvPath())
		if err != nil {
			return fmt.Errorf("the local stack is not up (%v): run `make up`", err)
		}
		endpoint, table = env["AWS_ENDPOINT_URL_DYNAMODB"], env["TABLE_NAME"]
	}
	st := store.New(stack.Client(endpoint), table)
	var snaps []*score.Snapshot
	for _, sv := range catalog.MustShipped().Surveys {
		if f.survey != "" && sv.ID != f.survey {
			continue
		}
		snap, err := st.LatestScores(ctx, sv.ID)
		if errors.Is(err, store.ErrNotFound) {
			fmt.Fprintf(out, "%s: no scores yet (ScoreFunction runs on its schedule while `make up` runs)\n", sv.ID)
			continue
		}
		if err != nil {
			return err
		}
		snaps = append(snaps, snap)
	}
	return printScores(out, snaps, f)
}

// printScores writes one line per score: survey, window, dimension, responses, score +- margin, mean,
// delivered and response rate, under a header with each snapshot's run time and versions.
func printScores(out io.Writer, snaps []*score.Snapshot, f filter) error {
	for _, s := range snaps {
		upTo := "no answers yet"
		if !s.Watermark.IsZero() {
			upTo = "answers up to " + s.Watermark.UTC().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(out, "%s (%s): scored %s UTC, %s, catalog %s, metric definitions v%d\n",
			s.Survey, strings.ToUpper(s.Metric), s.RunAt.UTC().Format("2006-01-02 15:04"), upTo, s.CatalogVersion, s.MetricVersion)
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "window\tdimension\tn\tscore\t+-\tmean\tdelivered\trate\t")
		for _, r := range s.Scores {
			if f.window != "" && r.Window != f.window || f.overall && r.Dim != metric.Overall {
				continue
			}
			score, moe, mean := "-", "-", "-"
			if r.N > 0 {
				score, moe, mean = fmt.Sprintf("%.1f", r.Value), fmt.Sprintf("%.1f", r.MarginOfError), fmt.Sprintf("%.2f", r.Mean)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%d\t%.0f%%\t\n", r.Window, r.Dim, r.N, score, moe, mean, r.Delivered, 100*r.ResponseRate)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(out)
	}
	return nil
}
