package e2e_test

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/cxloop/cxloop/infra/localstack"
)

// functionLogs collects every log line the functions of this package's rigs write (startRig
// sends them here unless a test wants its own writer).
var functionLogs = &logSink{}

type logSink struct {
	mu    sync.Mutex
	lines []string
	part  []byte
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.part = append(s.part, p...)
	for {
		i := bytes.IndexByte(s.part, '\n')
		if i < 0 {
			break
		}
		s.lines = append(s.lines, string(s.part[:i]))
		s.part = s.part[i+1:]
	}
	return len(p), nil
}

// The log rule (docs/SECURITY.md): function logs may carry contact ids, event ids, invitation
// and ticket ids, never a customer's email address, name or comment. TestMain checks it over
// every function log line of the whole package's run: the rigs' functions and the local stack's
// (serve.log, from this run's start on). Company mailboxes (the sender, ops and team addresses)
// are not personal data and may appear.
var (
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	companyBox   = regexp.MustCompile(`^(surveys|ops|noreply|no-reply|team-[0-9]+|cs-[0-9]+)@`)
	// What the e2e fixtures put in front of customers' eyes: names and comments.
	fixtureText = regexp.MustCompile(`\bAna\b|El paquete llegó tarde|Never arrived|still broken|Llamamos al cliente`)
)

// personalData returns what in line the log rule forbids, or "".
func personalData(line string) string {
	for _, addr := range emailPattern.FindAllString(line, -1) {
		if !companyBox.MatchString(addr) {
			return addr
		}
	}
	return fixtureText.FindString(line)
}

func TestMain(m *testing.M) {
	serveLog, offset := stackLog()
	code := m.Run()
	lines := append([]string(nil), functionLogs.lines...)
	if serveLog != "" {
		lines = append(lines, readFrom(serveLog, offset)...)
	}
	var found []string
	for _, l := range lines {
		if p := personalData(l); p != "" {
			found = append(found, fmt.Sprintf("%q in: %.300s", p, l))
		}
	}
	if len(found) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: log scan: %d of %d function log lines carry an email address, name or comment:\n", len(found), len(lines))
		for _, f := range found[:min(len(found), 20)] {
			fmt.Fprintln(os.Stderr, "  "+f)
		}
		code = 1
	} else {
		fmt.Printf("log scan: %d function log lines, no email address, name or comment\n", len(lines))
	}
	if code == 0 && len(lines) < 100 && flag.Lookup("test.run").Value.String() == "" {
		fmt.Fprintf(os.Stderr, "FAIL: log scan read only %d function log lines: the logs are not reaching it\n", len(lines))
		code = 1
	}
	os.Exit(code)
}

// stackLog is the running local stack's function log and its size now.
func stackLog() (string, int64) {
	cfg, err := localstack.FromEnv()
	if err != nil {
		return "", 0
	}
	path := filepath.Join(cfg.StateDir, "logs", "serve.log")
	st, err := os.Stat(path)
	if err != nil {
		return "", 0
	}
	return path, st.Size()
}

func readFrom(path string, offset int64) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil
	}
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<24)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func TestPersonalDataIsRecognisedInALogLine(t *testing.T) {
	for line, want := range map[string]bool{
		`{"msg":"decision","eventId":"order-1","contactId":"cust-42"}`:    false,
		`{"msg":"sent","to":"ana@example.com"}`:                           true,
		`{"msg":"team email","to":"team-1733@followup.example.com"}`:      false,
		`{"msg":"config","sender":"surveys@example.com"}`:                 false,
		`{"msg":"answer","comment":"El paquete llegó tarde"}`:             true,
		`{"msg":"hello Ana"}`:                                             true,
		`{"msg":"Analysis of 3 answers"}`:                                 false,
		`{"error":"contact.email: not a plain email address (name@...)"}`: false,
	} {
		if got := personalData(line) != ""; got != want {
			t.Errorf("personalData(%s) found %v, want %v", line, got, want)
		}
	}
}
