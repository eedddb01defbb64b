package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/infra/local/stack"
)

// signalWriter collects what the demo prints and closes done once the demo says it is serving.
type signalWriter struct {
	mu   sync.Mutex
	b    strings.Builder
	once sync.Once
	done chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if strings.Contains(w.b.String(), "Serving until interrupted") {
		w.once.Do(func() { close(w.done) })
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// The demo runs against the stack `make test` started: it must tell each step in words and end
// with a survey link that opens, the local console token and the command that scores now.
func TestDemoTellsEachStepAndWhatToDoNext(t *testing.T) {
	cfg, err := stack.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	env, err := stack.ReadEnv(cfg.EnvPath())
	if err != nil {
		t.Fatalf("the local stack must be up (make test starts it): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w := &signalWriter{done: make(chan struct{})}
	errc := make(chan error, 1)
	go func() { errc <- runDemo(ctx, w) }()
	select {
	case <-w.done:
		cancel()
		<-errc
	case err := <-errc:
		t.Fatalf("demo stopped before serving: %v\n%s", err, w)
	}
	out := w.String()
	for _, want := range []string{
		`locale "es" (Spanish)`,
		`TouchpointFunction decided "invited"`,
		"The email was sent",
		"pick a score, then tap Send",
		"opens a ticket",
		"make score-now",
		env["OPS_TOKEN"],
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, `{"`) {
		t.Errorf("the demo prints raw JSON:\n%s", out)
	}
	link := regexp.MustCompile(`http://\S+/s/\S+\?score=9`).FindString(out)
	if link == "" {
		t.Fatalf("no score=9 survey link in the output:\n%s", out)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s, want the survey page", link, resp.Status)
	}
}
