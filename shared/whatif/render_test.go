package whatif

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
)

func TestTheReportRendersAsTextCSVAndSVG(t *testing.T) {
	t.Parallel()
	var recs []Record
	for i := range 50 {
		recs = append(recs, rec(fmt.Sprintf("c-%d", i), "order.delivered", day0.Add(time.Duration(i)*time.Hour)))
	}
	_, rep := recorded(t, recs, shipped(t, func(r *catalog.Rule, _ *catalog.Survey) { r.SampleRate = 1 }))
	a, b := Total(rep.Rows)

	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	wantTotal := fmt.Sprintf("%d  %+d", b.Invitations, b.Invitations-a.Invitations)
	if !strings.Contains(text.String(), "nps-relationship  2026-11-03") || !strings.Contains(text.String(), wantTotal) ||
		!strings.Contains(text.String(), "per 1,000 surveys sent; SES ") {
		t.Fatalf("text report lacks a row or the total %q:\n%s", wantTotal, text.String())
	}

	var c bytes.Buffer
	if err := rep.WriteCSV(&c); err != nil {
		t.Fatal(err)
	}
	lines, err := csv.NewReader(&c).ReadAll()
	if err != nil || len(lines) != len(rep.Rows)+1 || lines[0][4] != "invited_recorded" || lines[1][0] != "nps-relationship" {
		t.Fatalf("csv %v %v", lines, err)
	}

	var svg bytes.Buffer
	if err := rep.WriteSVG(&svg); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&svg)
	polylines := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			polylines++
		}
	}
	if polylines != 2 {
		t.Fatalf("%d lines drawn, want recorded and replayed", polylines)
	}
}
