package e2e_test

import (
	"bytes"
	"regexp"
	"sync"
	"testing"
)

// The rigs' functions log to a rigLogs each (startRig), checked against the same log rule as the
// local stack's log (logscan_test.go): no email address, no fixture name or comment. A finding
// fails the test that ran the rig, naming the lines.
var (
	rigAddress  = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+`)
	rigFixtures = regexp.MustCompile(`\b(Ana|Ana Lopez|Never arrived|El paquete llegó tarde|still broken|The parcel arrived two days late)\b`)
)

type rigLogs struct {
	mu    sync.Mutex
	lines []string
	part  []byte
}

func (s *rigLogs) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.part = append(s.part, p...)
	for {
		i := bytes.IndexByte(s.part, '\n')
		if i < 0 {
			return len(p), nil
		}
		s.lines = append(s.lines, string(s.part[:i]))
		s.part = s.part[i+1:]
	}
}

// check reports every line that carries personal data.
func (s *rigLogs) check(t *testing.T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bad := 0
	for _, l := range s.lines {
		m := rigAddress.FindString(l)
		if m == "" {
			m = rigFixtures.FindString(l)
		}
		if m != "" {
			bad++
			if bad <= 10 {
				t.Errorf("function log line carries personal data (%q): %.300s", m, l)
			}
		}
	}
	if bad == 0 {
		t.Logf("log scan: %d function log lines of this rig, no addresses, names or comments", len(s.lines))
	}
}

func TestARigLogLineWithPersonalDataIsFound(t *testing.T) {
	for line, want := range map[string]bool{
		`{"msg":"decision","eventId":"order-1","contactId":"cust-42"}`: false,
		`{"msg":"sent","to":"ana@example.com"}`:                        true,
		`{"msg":"answer","comment":"El paquete llegó tarde"}`:          true,
		`{"msg":"hello Ana"}`:                                          true,
		`{"msg":"Analysis of 3 answers"}`:                              false,
	} {
		if got := rigAddress.MatchString(line) || rigFixtures.MatchString(line); got != want {
			t.Errorf("%s: found %v, want %v", line, got, want)
		}
	}
}
