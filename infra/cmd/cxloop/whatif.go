package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/cost"
	"github.com/cxloop/cxloop/shared/store/tablescan"
	"github.com/cxloop/cxloop/shared/whatif"
)

// whatIf replays the table's recorded decisions against an edited catalog and prints the
// report (docs/WHATIF.md). It only reads: a parallel Scan of the table.
func (d *deployment) whatIf(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("whatif", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	catPath := fs.String("catalog", "", "the edited catalog (a surveys.yaml)")
	sinceArg := fs.String("since", "30d", "report decisions made this long ago and later (90d, 36h)")
	segments := fs.Int("segments", 4, "parallel Scan segments")
	retention := fs.String("decision-retention", "90d", "how long the stack keeps skip decisions (DecisionRetentionDays)")
	costsPath := fs.String("costs", "", "a costs.yaml to price with instead of the built-in one")
	csvPath := fs.String("csv", "", "also write the report as CSV to this file")
	svgPath := fs.String("svg", "", "also write the chart as SVG to this file")
	if err := fs.Parse(args); err != nil || *catPath == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: whatif -catalog FILE [-since 30d] [-csv FILE] [-svg FILE] [-segments 4] [-decision-retention 90d] [-costs FILE]", errUsage)
	}
	raw, err := os.ReadFile(*catPath)
	if err != nil {
		return err
	}
	cat, err := catalog.Load(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", *catPath, err)
	}
	since, err := catalog.ParseDuration(*sinceArg)
	if err != nil {
		return fmt.Errorf("-since: %w", err)
	}
	keep, err := catalog.ParseDuration(*retention)
	if err != nil {
		return fmt.Errorf("-decision-retention: %w", err)
	}
	m, err := cost.Shipped()
	if *costsPath != "" {
		var data []byte
		if data, err = os.ReadFile(*costsPath); err == nil {
			m, err = cost.Load(data)
		}
	}
	if err != nil {
		return err
	}
	st, err := d.Store(ctx)
	if err != nil {
		return err
	}

	start := time.Now()
	data, scan, err := tablescan.LoadReplay(ctx, st, *segments, keep)
	if err != nil {
		return err
	}
	loaded := time.Since(start)
	start = time.Now()
	replayed := whatif.Replay(cat, data)
	took := time.Since(start)
	rep := whatif.Summarize(data, replayed, data.ReadAt.Add(-since), m)
	if err := rep.WriteText(out); err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(out, "\nRead: %d items scanned (%d of the kinds replayed) in %d Scan pages, %.1f read request units (%.6f %s at %s's on-demand price), %s.\n",
		scan.Scanned, data.Items, scan.Pages, scan.ReadUnits, scan.ReadUnits*m.Prices.ReadRequestUnit, m.Currency, m.Region, loaded.Round(time.Millisecond))
	fmt.Fprintf(out, "Replayed %d decisions in %s; %d MB in use.\n", len(data.Records), took.Round(time.Millisecond), ms.HeapInuse>>20)
	for _, w := range []struct {
		path  string
		write func(io.Writer) error
	}{{*csvPath, rep.WriteCSV}, {*svgPath, rep.WriteSVG}} {
		if w.path == "" {
			continue
		}
		f, err := os.Create(w.path)
		if err != nil {
			return err
		}
		err = errors.Join(w.write(f), f.Close())
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "Wrote", w.path)
	}
	return nil
}
