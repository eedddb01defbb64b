package lambdahost

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

const runtimeAPI = "/2018-06-01/runtime"

// Instance is one execution environment: a bootstrap process and the Runtime API endpoint it polls.
// A process that exits (crash, panic, timeout kill) is started again on the instance's next invoke.
type Instance struct {
	fn  *Function
	seq int
	ln  net.Listener
	srv *http.Server
	// work hands an invocation to the process's pending /next poll.
	work chan *invocation

	mu      sync.Mutex
	proc    *process
	pending map[string]*invocation
}

// process is one run of the bootstrap binary.
type process struct {
	cmd     *exec.Cmd
	started time.Time
	ready   chan struct{} // closed at the first /next poll
	once    sync.Once
	init    time.Duration // set before ready closes
	exited  chan struct{} // closed when the process has exited
	exitErr error         // set before exited closes
	initErr []byte        // body posted to /runtime/init/error, if any
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan Result // buffered: the runtime's response or error
}

func newInstance(f *Function, seq int) (*Instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime api listener for %s: %w", f.cfg.Name, err)
	}
	in := &Instance{fn: f, seq: seq, ln: ln, work: make(chan *invocation), pending: map[string]*invocation{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+runtimeAPI+"/invocation/next", in.next)
	mux.HandleFunc("POST "+runtimeAPI+"/invocation/{id}/response", in.response)
	mux.HandleFunc("POST "+runtimeAPI+"/invocation/{id}/error", in.invocationError)
	mux.HandleFunc("POST "+runtimeAPI+"/init/error", in.initError)
	in.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go in.srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed on close
	return in, nil
}

// Addr is the host:port of the instance's Runtime API (AWS_LAMBDA_RUNTIME_API).
func (in *Instance) Addr() string { return in.ln.Addr().String() }

// ensureStarted starts the process if none is running and waits for its first poll. It returns
// the init duration when it started one, 0 when the instance was warm.
func (in *Instance) ensureStarted(ctx context.Context) (time.Duration, error) {
	in.mu.Lock()
	p := in.proc
	cold := p == nil || p.hasExited()
	if cold {
		var err error
		if p, err = in.start(); err != nil {
			in.mu.Unlock()
			return 0, err
		}
		in.proc = p
	}
	in.mu.Unlock()
	if !cold {
		return 0, nil
	}
	timer := time.NewTimer(InitTimeout)
	defer timer.Stop()
	select {
	case <-p.ready:
		return p.init, nil
	case <-p.exited:
		return 0, &initFailure{p: p}
	case <-timer.C:
		p.kill()
		return 0, &initFailure{p: p, timedOut: true}
	case <-ctx.Done():
		p.kill()
		return 0, ctx.Err()
	}
}

// initFailure is a process that exited or hung before its first poll: Lambda reports it as a
// function error of the invoke that triggered the init.
type initFailure struct {
	p        *process
	timedOut bool
}

func (e *initFailure) Error() string {
	if e.timedOut {
		return "init timed out"
	}
	return fmt.Sprintf("runtime exited during init: %v", e.p.exitErr)
}

func (in *Instance) invoke(ctx context.Context, payload []byte) (Result, error) {
	id := newRequestID()
	var initDur time.Duration
	for attempt := 0; ; attempt++ {
		d, err := in.ensureStarted(ctx)
		var initFail *initFailure
		if errors.As(err, &initFail) {
			return initFail.result(id), nil
		}
		if err != nil {
			return Result{RequestID: id}, err
		}
		initDur += d
		res, delivered, err := in.dispatch(ctx, id, payload, initDur)
		// A process that exits before taking the event (after a panic it reports, then exits)
		// never saw it: start a fresh one and hand it over there, as Lambda resets the sandbox.
		if delivered || attempt == 1 {
			return res, err
		}
	}
}

// dispatch hands the event to the running process and waits for its outcome. delivered is
// false when the process exited before it took the event.
func (in *Instance) dispatch(ctx context.Context, id string, payload []byte, initDur time.Duration) (Result, bool, error) {
	in.mu.Lock()
	p := in.proc
	in.mu.Unlock()

	timeout := in.fn.cfg.Timeout
	inv := &invocation{id: id, payload: payload, done: make(chan Result, 1)}
	start := time.Now()
	inv.deadline = start.Add(timeout)
	timer := time.NewTimer(timeout)
	defer timer.Stop()

	finish := func(r Result) (Result, bool, error) {
		r.RequestID, r.InitDuration, r.Duration = id, initDur, time.Since(start)
		return r, true, nil
	}
	in.mu.Lock()
	in.pending[id] = inv
	in.mu.Unlock()
	defer func() {
		in.mu.Lock()
		delete(in.pending, id)
		in.mu.Unlock()
	}()

	select {
	case in.work <- inv:
	case <-p.exited:
		r, _, _ := finish(exitResult(id, p))
		return r, false, nil
	case <-timer.C:
		p.kill()
		return finish(timeoutResult(id, timeout))
	case <-ctx.Done():
		p.kill()
		return Result{RequestID: id}, true, ctx.Err()
	}
	select {
	case r := <-inv.done:
		return finish(r)
	case <-p.exited:
		// The response may have landed just before the exit (a panic posts, then exits).
		select {
		case r := <-inv.done:
			return finish(r)
		default:
			return finish(exitResult(id, p))
		}
	case <-timer.C:
		p.kill()
		return finish(timeoutResult(id, timeout))
	case <-ctx.Done():
		p.kill()
		return Result{RequestID: id}, true, ctx.Err()
	}
}

func (in *Instance) start() (*process, error) {
	cfg := in.fn.cfg
	bin, err := filepath.Abs(cfg.Binary)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Dir = filepath.Dir(bin)
	cmd.Env = in.environ(bin)
	logs := filterLevel(cfg.Logs, cfg.LogFormat, cfg.LogLevel)
	cmd.Stdout, cmd.Stderr = logs, logs
	p := &process{cmd: cmd, ready: make(chan struct{}), exited: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", cfg.Name, bin, err)
	}
	go func() {
		p.exitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// environ is the process environment: the Lambda-reserved variables, the AWS credentials the
// host has (Lambda hands the function its role's), then the function's own variables.
func (in *Instance) environ(bin string) []string {
	cfg := in.fn.cfg
	env := map[string]string{
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"LAMBDA_TASK_ROOT":                filepath.Dir(bin),
		"_HANDLER":                        "bootstrap",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"AWS_REGION":                      cfg.Region,
		"AWS_DEFAULT_REGION":              cfg.Region,
		"AWS_LAMBDA_FUNCTION_NAME":        cfg.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(cfg.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + cfg.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      fmt.Sprintf("local/[$LATEST]%d", in.seq),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_RUNTIME_API":          in.Addr(),
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	if cfg.LogFormat != "" {
		env["AWS_LAMBDA_LOG_FORMAT"] = cfg.LogFormat
	}
	if cfg.LogLevel != "" {
		env["AWS_LAMBDA_LOG_LEVEL"] = cfg.LogLevel
	}
	for k, v := range cfg.Env {
		env[k] = v
	}
	env["AWS_LAMBDA_RUNTIME_API"] = in.Addr()
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

func (in *Instance) close() error {
	in.mu.Lock()
	p := in.proc
	in.mu.Unlock()
	if p != nil {
		p.kill()
		<-p.exited
	}
	return in.srv.Close()
}

func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

func (p *process) kill() {
	if p.cmd.Process != nil && !p.hasExited() {
		_ = p.cmd.Process.Kill()
	}
}
