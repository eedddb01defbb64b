package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Personal data never reaches the logs (docs/SECURITY.md): contact ids, invitation (event key)
// ids, ticket ids, survey and touchpoint names may appear; email addresses, names and comments
// may not. TestMain scans every line the local stack's functions wrote to its log while this
// package's tests ran (a full e2e run in `make test`) and fails the run on a finding.

// addressPattern matches an email address anywhere in a line.
var addressPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+`)

// fixturePersonal are the names and comments the e2e tests and events/*.json send: whole words,
// case-sensitive, so "Ana" does not match "Analytics".
var fixturePersonal = regexp.MustCompile(`\b(Ana|Ana Lopez|Never arrived|El paquete llegó tarde|The parcel arrived two days late)\b`)

// scanLogLines returns the lines of r that carry an email address or a fixture's name or comment.
func scanLogLines(r io.Reader) (findings []string, lines int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<22)
	for sc.Scan() {
		line := sc.Text()
		lines++
		if m := addressPattern.FindString(line); m != "" {
			findings = append(findings, "address "+m+": "+line)
		} else if m := fixturePersonal.FindString(line); m != "" {
			findings = append(findings, "fixture text "+m+": "+line)
		}
	}
	return findings, lines, sc.Err()
}

// serveLog is the local stack's function log (infra/local/stack: <state dir>/logs/serve.log).
func serveLog() string {
	dir := os.Getenv("CXLOOP_STATE_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", ".local")
	}
	return filepath.Join(dir, "logs", "serve.log")
}

func TestMain(m *testing.M) {
	path := serveLog()
	var start int64
	if fi, err := os.Stat(path); err == nil {
		start = fi.Size()
	}
	code := m.Run()
	f, err := os.Open(path)
	if err != nil {
		os.Exit(code) // no local stack: the stack tests above already said so
	}
	defer f.Close()
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		fmt.Fprintln(os.Stderr, "log scan:", err)
		os.Exit(1)
	}
	findings, lines, err := scanLogLines(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "log scan:", err)
		os.Exit(1)
	}
	if len(findings) > 0 {
		fmt.Fprintf(os.Stderr, "log scan: %d of %d function log lines of this run carry personal data:\n%s\n",
			len(findings), lines, strings.Join(findings, "\n"))
		os.Exit(1)
	}
	if testing.Verbose() {
		fmt.Printf("log scan: %d function log lines of this run, no addresses, names or comments\n", lines)
	}
	os.Exit(code)
}

func TestTheLogScanFindsAddressesNamesAndComments(t *testing.T) {
	t.Parallel()
	cases := []struct {
		line string
		want bool
	}{
		{`{"level":"INFO","msg":"answer ticket","ticket":"a-q5c3mvd2k7xw4ujz6hb3f7y2aa","contact":"cust-42"}`, false},
		{`{"level":"ERROR","msg":"SES refused","err":"not verified: ana-1@example.com"}`, true},
		{`{"level":"ERROR","msg":"SES refused","err":"not verified: [address]"}`, false},
		{`{"msg":"ticket","comment":"The parcel arrived two days late."}`, true},
		{`{"msg":"greeting","text":"Hola Ana,"}`, true},
		{`{"msg":"Analytics run","survey":"nps-relationship"}`, false},
		{`{"msg":"answer","comment":"El paquete llegó tarde"}`, true},
	}
	for _, c := range cases {
		got, _, err := scanLogLines(strings.NewReader(c.line))
		if err != nil || (len(got) > 0) != c.want {
			t.Errorf("scan(%s) = %v %v, want finding=%v", c.line, got, err, c.want)
		}
	}
}
