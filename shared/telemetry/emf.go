package telemetry

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of cxloop's metrics (the dashboard in template.yaml reads it).
const Namespace = "cxloop"

// Unit is a CloudWatch metric unit.
type Unit string

// Units used by cxloop.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
	Seconds      Unit = "Seconds"
	Percent      Unit = "Percent"
	None         Unit = "None"
)

// Metric is one value to record.
type Metric struct {
	Name  string
	Value float64
	Unit  Unit
}

// Metrics writes CloudWatch Embedded Metric Format lines, one per Emit call.
type Metrics struct {
	Namespace string
	Out       io.Writer
	Now       func() time.Time

	mu sync.Mutex // one Emit is one Write, so concurrent lines never interleave
}

// NewMetrics returns a Metrics writing to stdout under Namespace.
func NewMetrics() *Metrics {
	return &Metrics{Namespace: Namespace, Out: os.Stdout, Now: time.Now}
}

// EMF limits: 30 dimensions per set, 100 metrics per line.
const (
	maxDimensions = 30
	maxMetrics    = 100
)

// levelKey is the key Lambda's log-level filtering reads in a JSON line. EMF lines never carry
// it, so Lambda files them as INFO and an application log level of INFO or below (template.yaml;
// a template test checks it) keeps every metric the alarms read.
const levelKey = "level"

// Emit writes one EMF line recording metrics under the dimension set dims (e.g. Survey, Window).
func (m *Metrics) Emit(dims map[string]string, metrics ...Metric) error {
	if len(metrics) == 0 {
		return nil
	}
	if len(dims) > maxDimensions || len(metrics) > maxMetrics {
		return fmt.Errorf("emf: %d dimensions and %d metrics exceed %d and %d", len(dims), len(metrics), maxDimensions, maxMetrics)
	}
	line := make(map[string]any, len(dims)+len(metrics)+1)
	names := make([]string, 0, len(dims))
	for k, v := range dims {
		if strings.EqualFold(k, levelKey) {
			return fmt.Errorf("emf: a dimension named %q would give the line a log level", k)
		}
		names = append(names, k)
		line[k] = v
	}
	sort.Strings(names)
	type def struct {
		Name string `json:"Name"`
		Unit Unit   `json:"Unit,omitempty"`
	}
	defs := make([]def, 0, len(metrics))
	for _, mt := range metrics {
		if _, clash := line[mt.Name]; clash || mt.Name == "_aws" || strings.EqualFold(mt.Name, levelKey) {
			return fmt.Errorf("emf: metric %q repeats a dimension or metric name", mt.Name)
		}
		line[mt.Name] = mt.Value
		defs = append(defs, def{Name: mt.Name, Unit: mt.Unit})
	}
	line["_aws"] = map[string]any{
		"Timestamp": m.Now().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  m.Namespace,
			"Dimensions": [][]string{names},
			"Metrics":    defs,
		}},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return fmt.Errorf("emf: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err = m.Out.Write(append(b, '\n'))
	return err
}
