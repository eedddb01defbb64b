package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestLogLinesAreJSONWithFunctionAndRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(&buf, "DispatchFunction", slog.LevelInfo))
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	log.InfoContext(ctx, "sent", "invitation", "abc")
	log.With("survey", "nps").InfoContext(context.Background(), "outside an invocation")
	log.Debug("below the level")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2: %q", len(lines), buf.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal([]byte(lines[1]), &second)
	want := map[string]any{"message": "sent", "level": "INFO", "function": "DispatchFunction", "requestId": "req-1", "invitation": "abc"}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("%s=%v, want %v (line %s)", k, first[k], v, lines[0])
		}
	}
	if first["timestamp"] == nil {
		t.Error("no timestamp key")
	}
	if _, ok := second["requestId"]; ok || second["survey"] != "nps" || second["function"] != "DispatchFunction" {
		t.Errorf("second line %s", lines[1])
	}
}

func TestLevelFollowsTheLambdaSetting(t *testing.T) {
	tests := []struct {
		env  string
		want slog.Level
	}{{"DEBUG", slog.LevelDebug}, {"WARN", slog.LevelWarn}, {"", slog.LevelInfo}, {"nonsense", slog.LevelInfo}}
	for _, tc := range tests {
		if got := level(tc.env); got != tc.want {
			t.Errorf("level(%q) = %v, want %v", tc.env, got, tc.want)
		}
	}
}

func TestEmitWritesOneEMFLine(t *testing.T) {
	var buf bytes.Buffer
	m := &Metrics{Namespace: Namespace, Out: &buf, Now: func() time.Time { return time.UnixMilli(1700000000123) }}
	err := m.Emit(map[string]string{"Window": "7d", "Survey": "nps-relationship"},
		Metric{Name: "Score", Value: 42.5, Unit: None}, Metric{Name: "Responses", Value: 12, Unit: Count})
	if err != nil {
		t.Fatal(err)
	}
	var line struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Survey, Window   string
		Score, Responses float64
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	cw := line.AWS.CloudWatchMetrics
	if line.AWS.Timestamp != 1700000000123 || len(cw) != 1 || cw[0].Namespace != "cxloop" {
		t.Fatalf("envelope %+v", line.AWS)
	}
	if d := cw[0].Dimensions; len(d) != 1 || strings.Join(d[0], ",") != "Survey,Window" {
		t.Errorf("dimensions %v", d)
	}
	if len(cw[0].Metrics) != 2 || cw[0].Metrics[1].Name != "Responses" || cw[0].Metrics[1].Unit != "Count" {
		t.Errorf("metric definitions %+v", cw[0].Metrics)
	}
	if line.Survey != "nps-relationship" || line.Window != "7d" || line.Score != 42.5 || line.Responses != 12 {
		t.Errorf("values %+v", line)
	}
	if !strings.HasSuffix(buf.String(), "}\n") || strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("not one line: %q", buf.String())
	}
}

func TestEmitRefusesWhatCloudWatchWouldDrop(t *testing.T) {
	m := &Metrics{Namespace: Namespace, Out: &bytes.Buffer{}, Now: time.Now}
	if err := m.Emit(map[string]string{"Score": "x"}, Metric{Name: "Score", Value: 1}); err == nil {
		t.Error("a metric named like a dimension was accepted")
	}
	many := make([]Metric, 101)
	for i := range many {
		many[i] = Metric{Name: strings.Repeat("m", i+1), Value: 1}
	}
	if err := m.Emit(nil, many...); err == nil {
		t.Error("101 metrics in one line were accepted")
	}
}

// Lambda's log-level filtering reads a JSON line's "level"; a line without one is INFO. An EMF
// line must never carry one, or an application log level could silence the metrics alarms read.
func TestEMFLinesCarryNoLogLevel(t *testing.T) {
	var buf bytes.Buffer
	m := &Metrics{Namespace: Namespace, Out: &buf, Now: time.Now}
	if err := m.Emit(map[string]string{"Function": "DispatchFunction"}, Metric{Name: "EmailsSent", Value: 1, Unit: Count}); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	for k := range line {
		if strings.EqualFold(k, "level") {
			t.Errorf("an EMF line carries %q: %s", k, buf.String())
		}
	}
	if err := m.Emit(map[string]string{"level": "debug"}, Metric{Name: "X", Value: 1}); err == nil {
		t.Error("a dimension named level was accepted")
	}
	if err := m.Emit(nil, Metric{Name: "Level", Value: 1}); err == nil {
		t.Error("a metric named Level was accepted")
	}
}

func TestConcurrentEmitsNeverInterleave(t *testing.T) {
	var buf bytes.Buffer
	m := &Metrics{Namespace: Namespace, Out: &buf, Now: time.Now}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.Emit(map[string]string{"Function": "f"}, Metric{Name: "Sent", Value: 1, Unit: Count})
		}()
	}
	wg.Wait()
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if !json.Valid([]byte(l)) {
			t.Fatalf("invalid line %q", l)
		}
	}
}

func TestAddressesAreRedactedFromEveryLogValue(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(&buf, "DispatchFunction", slog.LevelInfo))
	sesErr := errors.New("MessageRejected: Email address is not verified: Ana.Lopez+x@mail.example.co.uk")
	log.Error("SES refused the send for ana@example.com", "err", sesErr, "to", "ANA@EXAMPLE.COM", "invitation", "q5c3mvd2k7xw4ujz6hb3f7y2aa")
	log.With("contact", "cust-42").Warn("fine", "n", 3, "when", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	out := buf.String()
	for _, leak := range []string{"ana@example.com", "Ana.Lopez", "ANA@EXAMPLE.COM", "example.co.uk"} {
		if strings.Contains(out, leak) {
			t.Errorf("the log still holds %q: %s", leak, out)
		}
	}
	for _, keep := range []string{"q5c3mvd2k7xw4ujz6hb3f7y2aa", "cust-42", "MessageRejected", Redacted} {
		if !strings.Contains(out, keep) {
			t.Errorf("the log lost %q: %s", keep, out)
		}
	}
}
