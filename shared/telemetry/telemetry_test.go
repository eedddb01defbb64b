package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// The child process of TestInitIsLambdasHandlerAtLambdasLevel: it logs as a function does.
func runAsFunction() {
	log := Init("DispatchFunction")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	log.InfoContext(ctx, "below the level")
	log.WarnContext(ctx, "SES refused ana@example.com", "error", errors.New("MessageRejected: ana@example.com"), "invitation", "abc")
	log.With("survey", "nps").ErrorContext(context.Background(), "outside an invocation")
	NewMetrics().Emit(map[string]string{"Function": "DispatchFunction"}, Metric{Name: "EmailsSent", Value: 1, Unit: Count})
}

// Init is lambdacontext's handler: it reads AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL as
// Lambda sets them from LoggingConfig, so the test runs a child process with them set.
func TestInitIsLambdasHandlerAtLambdasLevel(t *testing.T) {
	if os.Getenv("TELEMETRY_CHILD") == "1" {
		runAsFunction()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInitIsLambdasHandlerAtLambdasLevel$")
	cmd.Env = append(os.Environ(), "TELEMETRY_CHILD=1", "AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_LOG_LEVEL=WARN")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var logs, emf []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) != nil {
			continue // the test framework's own PASS line
		}
		if _, ok := m["_aws"]; ok {
			emf = append(emf, m)
		} else {
			logs = append(logs, m)
		}
	}
	if len(logs) != 2 || len(emf) != 1 {
		t.Fatalf("got %d log lines and %d EMF lines, want 2 (the INFO line filtered at WARN) and 1:\n%s", len(logs), len(emf), out)
	}
	want := map[string]any{"message": "SES refused " + Redacted, "level": "WARN", "function": "DispatchFunction", "requestId": "req-1", "invitation": "abc", "error": "MessageRejected: " + Redacted}
	for k, v := range want {
		if logs[0][k] != v {
			t.Errorf("%s=%v, want %v (line %v)", k, logs[0][k], v, logs[0])
		}
	}
	if logs[0]["timestamp"] == nil {
		t.Error("no timestamp key")
	}
	if _, ok := logs[1]["requestId"]; ok || logs[1]["survey"] != "nps" || logs[1]["function"] != "DispatchFunction" || logs[1]["level"] != "ERROR" {
		t.Errorf("second line %v", logs[1])
	}
	if strings.Contains(string(out), "ana@example.com") {
		t.Errorf("an address reached the log: %s", out)
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
	log := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil), "DispatchFunction"))
	sesErr := errors.New("MessageRejected: Email address is not verified: Ana.Lopez+x@mail.example.co.uk")
	log.Error("SES refused the send for ana@example.com", "err", sesErr, "to", "ANA@EXAMPLE.COM", "invitation", "q5c3mvd2k7xw4ujz6hb3f7y2aa")
	log.With("contact", "cust-42", "to", "bo@example.org").Warn("fine", "n", 3, "when", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		slog.Group("recipient", "address", "cy@example.net"))
	out := buf.String()
	for _, leak := range []string{"ana@example.com", "Ana.Lopez", "ANA@EXAMPLE.COM", "example.co.uk", "bo@example.org", "cy@example.net"} {
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
