package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium (`make test-deps` installs it).
const chromiumPath = "/usr/bin/chromium"

// Viewports the pages are checked and photographed at.
var (
	phone   = viewport{"phone", 390, 844, true}
	desktop = viewport{"desktop", 1280, 800, false}
)

type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

// surveyBrowser is one headless Chromium tab that records every request it makes and every
// console or security message, so tests can assert the pages load nothing from elsewhere.
type surveyBrowser struct {
	t    *testing.T
	ctx  context.Context
	root string // repository root, for axe-core and screenshots

	mu       sync.Mutex
	requests []string
	logs     []string
	jsOff    bool
}

func newSurveyBrowser(t *testing.T) *surveyBrowser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("%s is missing (%v): install Debian chromium with `make test-deps` (apt-get install chromium)", chromiumPath, err)
	}
	root := repoRoot(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &surveyBrowser{t: t, root: root}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(b.listen))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start the browser and open the tab
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, struct{}{}); err != nil {
		t.Logf("enable the log domain: %v", err)
	}
	b.ctx = ctx
	return b
}

func (b *surveyBrowser) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, ev.Request.URL)
	case *log.EventEntryAdded:
		b.logs = append(b.logs, string(ev.Entry.Level)+" "+string(ev.Entry.Source)+": "+ev.Entry.Text)
	}
}

// requested returns the URLs requested so far.
func (b *surveyBrowser) requested() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...)
}

// weigh measures the page on screen as Chromium received it: its bytes (the navigation entry's
// decoded body) and the resources it loaded after the document (resource timing entries; an
// inline data: image is none). It fails a page over 20 KB or with any resource, and logs both.
func (b *surveyBrowser) weigh(page string) float64 {
	b.t.Helper()
	type weight struct {
		Bytes     float64  `json:"bytes"`
		Resources []string `json:"resources"`
	}
	w := eval[weight](b, `({bytes: performance.getEntriesByType("navigation")[0].decodedBodySize,
		resources: performance.getEntriesByType("resource").map(r => r.name)})`)
	if w.Bytes == 0 || w.Bytes > 20*1024 || len(w.Resources) > 0 {
		b.t.Errorf("%s: %.0f bytes and resources %v, want at most 20 KB and none", page, w.Bytes, w.Resources)
	}
	b.t.Logf("%s: %.0f bytes, 1 request", page, w.Bytes)
	return w.Bytes
}

// outsideAPI reports whether a URL the browser asked for is neither on the survey API nor the
// page's inline logo (a data: URL, which Chromium lists as a request but sends nowhere).
func outsideAPI(api, u string) bool {
	return !strings.HasPrefix(u, api+"/") && !strings.HasPrefix(u, "data:image/png;base64,")
}

// messages returns the console and security messages so far.
func (b *surveyBrowser) messages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.logs...)
}

// do runs steps with a bound, failing the test on error.
func (b *surveyBrowser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to url and returns the HTTP status of the page.
func (b *surveyBrowser) open(url string) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
	return resp.Status
}

// submit clicks a submit button and returns the HTTP status of the page it leads to.
func (b *surveyBrowser) submit(selector string) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(selector)))
	if err != nil {
		b.t.Fatalf("click %s: %v", selector, err)
	}
	return resp.Status
}

// eval evaluates a JavaScript expression and returns its value as a string.
func eval[T any](b *surveyBrowser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// size sets the viewport.
func (b *surveyBrowser) size(v viewport) {
	b.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if v.mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulatePortrait)
	}
	b.do("viewport "+v.name, chromedp.EmulateViewport(v.width, v.height, opts...))
}

// ScreenshotsEnv names the directory `make screenshots` asks the browser tests to photograph
// the pages into; unset (every ordinary run), shoot takes no pictures.
const ScreenshotsEnv = "CXLOOP_SCREENSHOTS"

// shoot saves full-page JPEG screenshots of the current page at phone and desktop widths into
// $CXLOOP_SCREENSHOTS (relative to the repository root) when it is set, and leaves the viewport
// at phone width either way.
func (b *surveyBrowser) shoot(name string) {
	b.t.Helper()
	dir := os.Getenv(ScreenshotsEnv)
	if dir == "" {
		b.size(phone)
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(b.root, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	for _, v := range []viewport{desktop, phone} {
		b.size(v)
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		jpeg, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
		cancel()
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(dir, name+"-"+v.name+".jpg")
		if err := os.WriteFile(path, jpeg, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("screenshot %s (%d bytes)", path, len(jpeg))
	}
}

// fits checks the current page at phone and desktop widths: no sideways scroll, and no serious
// or critical axe-core violation at either width. It leaves the viewport at phone width.
func (b *surveyBrowser) fits(page string) {
	b.t.Helper()
	for _, v := range []viewport{desktop, phone} {
		b.size(v)
		if eval[bool](b, "document.documentElement.scrollWidth > window.innerWidth") {
			b.t.Errorf("the %s scrolls sideways at %d px (%d px wide)", page, v.width,
				eval[int](b, "document.documentElement.scrollWidth"))
		}
		b.axe(fmt.Sprintf("%s at %d px", page, v.width))
	}
}

// javaScript turns the page's script execution on or off.
func (b *surveyBrowser) javaScript(on bool) {
	b.t.Helper()
	b.mu.Lock()
	b.jsOff = !on
	b.mu.Unlock()
	b.do("set script execution", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	}))
}

// axeViolation is one failed axe-core rule.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axe runs axe-core (infra/node_modules/axe-core) on the current page, logs every violation,
// and fails the test on serious or critical ones.
func (b *surveyBrowser) axe(page string) {
	b.t.Helper()
	src, err := os.ReadFile(filepath.Join(b.root, "infra", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		b.t.Fatalf("axe-core is missing (%v): run `make test-deps` (npm ci in infra/)", err)
	}
	// axe-core needs the page's scripts running (its promise never settles otherwise).
	b.mu.Lock()
	off := b.jsOff
	b.mu.Unlock()
	if off {
		b.javaScript(true)
		defer b.javaScript(false)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](string(src))); err != nil {
		b.t.Fatalf("inject axe-core into the %s: %v", page, err)
	}
	type result struct {
		Violations []axeViolation `json:"violations"`
		Passes     int            `json:"passes"`
		Version    string         `json:"version"`
	}
	r, err := chromedp.Run(ctx, chromedp.Evaluate[result](`axe.run(document).then(r => ({
		version: r.testEngine.version,
		passes: r.passes.length,
		violations: r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
			nodes: v.nodes.map(n => n.target.join(" "))}))}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("run axe-core on the %s: %v", page, err)
	}
	b.t.Logf("axe-core %s on the %s: %d rules passed, %d violated", r.Version, page, r.Passes, len(r.Violations))
	var bad []string
	for _, v := range r.Violations {
		b.t.Logf("  axe %s [%s] %s: %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", "))
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, v.ID)
		}
	}
	if len(bad) > 0 {
		b.t.Errorf("axe-core found serious or critical violations on the %s: %s", page, strings.Join(bad, ", "))
	}
	if r.Passes == 0 {
		b.t.Errorf("axe-core checked nothing on the %s", page)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal(errors.New("no go.mod above the working directory"))
		}
		dir = parent
	}
}
