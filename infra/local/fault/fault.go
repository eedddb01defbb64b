// Package fault injects failures into the AWS SDK's HTTP traffic, the way the network and the
// services fail in AWS: throttling (DynamoDB ThrottlingException and
// ProvisionedThroughputExceededException as 400s, SES TooManyRequestsException as a 429), 5xx
// answers, and timeouts, either before the request reaches the service or after (the write
// happened, the response was lost). An Injector is an http.RoundTripper for an SDK client built
// in-process; a Proxy puts the same Injector in front of DynamoDB Local or the SES stand-in so the
// real bootstrap binaries, pointed at it by AWS_ENDPOINT_URL_*, meet the same faults. Which
// request fails is drawn from a seeded source, so a run can be repeated; every fault is counted.
package fault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is one kind of fault.
type Kind int

// Kinds of fault. The zero Kind is no fault.
const (
	None Kind = iota
	// Throttle answers with the service's throttling error without forwarding the request.
	Throttle
	// ServerError answers 500 (DynamoDB InternalServerError, SES InternalFailure) without forwarding.
	ServerError
	// Unavailable answers 503 ServiceUnavailable without forwarding.
	Unavailable
	// TimeoutBefore waits Delay and fails the request without forwarding it: the client cannot tell
	// whether the service saw it.
	TimeoutBefore
	// TimeoutAfter forwards the request, lets the service act on it, and loses the response.
	TimeoutAfter
	// Hang forwards nothing and blocks until the request's context ends (a process killed mid-call).
	Hang
)

var kindNames = [...]string{"none", "throttle", "5xx", "503", "timeout-before", "timeout-after", "hang"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Random are the kinds a Config without Kinds draws from. Hang is only ever scripted.
var Random = []Kind{Throttle, ServerError, Unavailable, TimeoutBefore, TimeoutAfter}

// Call is what the injector knows about one request when it decides.
type Call struct {
	// Service is the SigV4 signing name: "dynamodb" or "ses" (SES v2 signs as "ses").
	Service string
	// Operation is the DynamoDB X-Amz-Target operation (PutItem, ...) or, for REST services,
	// "SendEmail" for POST /v2/email/outbound-emails and "METHOD /path" otherwise.
	Operation string
	// Body is the request body (JSON), read before the decision.
	Body []byte
}

// Config says which requests fail and how.
type Config struct {
	// Rate is the probability that a request matched by Match fails (0 turns random faults off).
	Rate float64
	// Seed makes the draws repeatable.
	Seed uint64
	// Kinds are drawn uniformly for random faults (default Random).
	Kinds []Kind
	// Delay is how long a timeout waits before failing (default 20 ms).
	Delay time.Duration
	// Match limits random faults to some calls (default: every call).
	Match func(Call) bool
	// Script, when set, is asked first about every call; a Kind other than None is injected as is.
	Script func(Call) Kind
}

// Injector is an http.RoundTripper that injects faults into the requests it forwards to Next.
type Injector struct {
	next    http.RoundTripper
	cfg     Config
	enabled atomic.Bool

	mu     sync.Mutex
	rng    *rand.Rand
	counts map[string]int // "service/operation/kind" -> faults injected
	calls  map[string]int // "service/operation" -> requests seen
	// upstream counts requests the Proxy could not complete with the service (not injected).
	upstream int
}

func (in *Injector) upstreamError() {
	in.mu.Lock()
	in.upstream++
	in.mu.Unlock()
}

// UpstreamErrors returns how many forwarded requests failed between the Proxy and the service
// (passed on to the client as a dropped connection, not counted as injected faults).
func (in *Injector) UpstreamErrors() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.upstream
}

// New returns an Injector forwarding to next (http.DefaultTransport if nil), enabled.
func New(next http.RoundTripper, cfg Config) *Injector {
	if next == nil {
		next = http.DefaultTransport
	}
	if len(cfg.Kinds) == 0 {
		cfg.Kinds = Random
	}
	if cfg.Delay <= 0 {
		cfg.Delay = 20 * time.Millisecond
	}
	in := &Injector{next: next, cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		counts: map[string]int{}, calls: map[string]int{}}
	in.enabled.Store(true)
	return in
}

// Enable turns injection on or off (requests are always forwarded and counted).
func (in *Injector) Enable(on bool) { in.enabled.Store(on) }

// Decide returns the fault for one call and counts it. It is what RoundTrip and the Proxy use.
func (in *Injector) Decide(c Call) Kind {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.calls[c.Service+"/"+c.Operation]++
	if !in.enabled.Load() {
		return None
	}
	k := None
	if in.cfg.Script != nil {
		k = in.cfg.Script(c)
	}
	if k == None && in.cfg.Rate > 0 && (in.cfg.Match == nil || in.cfg.Match(c)) && in.rng.Float64() < in.cfg.Rate {
		k = in.cfg.Kinds[in.rng.IntN(len(in.cfg.Kinds))]
	}
	if k != None {
		in.counts[c.Service+"/"+c.Operation+"/"+k.String()]++
	}
	return k
}

// RoundTrip implements http.RoundTripper.
func (in *Injector) RoundTrip(req *http.Request) (*http.Response, error) {
	c, err := Describe(req)
	if err != nil {
		return nil, err
	}
	switch k := in.Decide(c); k {
	case None:
		return in.next.RoundTrip(req)
	case Throttle, ServerError, Unavailable:
		return ErrorResponse(req, c, k, in.pick()), nil
	case TimeoutBefore:
		return nil, wait(req.Context(), in.cfg.Delay)
	case TimeoutAfter:
		resp, err := in.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck // the response is lost on purpose
		resp.Body.Close()
		return nil, wait(req.Context(), in.cfg.Delay)
	case Hang:
		<-req.Context().Done()
		return nil, req.Context().Err()
	default:
		return nil, fmt.Errorf("fault: unknown kind %d", int(k))
	}
}

// pick is a coin for choosing between equivalent error codes.
func (in *Injector) pick() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.rng.IntN(2) == 0
}

// ErrTimeout is the error of an injected timeout; it reports Timeout() like a network timeout.
var ErrTimeout error = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string   { return "fault: injected timeout (no response)" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return ErrTimeout
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Counts returns the faults injected so far by "service/operation/kind".
func (in *Injector) Counts() map[string]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[string]int, len(in.counts))
	for k, v := range in.counts {
		out[k] = v
	}
	return out
}

// Calls returns the requests seen so far by "service/operation".
func (in *Injector) Calls() map[string]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[string]int, len(in.calls))
	for k, v := range in.calls {
		out[k] = v
	}
	return out
}

// Total returns the number of faults injected and of requests seen.
func (in *Injector) Total() (faults, calls int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, v := range in.counts {
		faults += v
	}
	for _, v := range in.calls {
		calls += v
	}
	return faults, calls
}

// ByKind sums Counts per kind.
func (in *Injector) ByKind() map[Kind]int {
	out := map[Kind]int{}
	for key, v := range in.Counts() {
		name := key[strings.LastIndex(key, "/")+1:]
		for i, n := range kindNames {
			if n == name {
				out[Kind(i)] += v
			}
		}
	}
	return out
}

// Summary is a one-line account of the faults injected, for logs and reports.
func (in *Injector) Summary() string {
	faults, calls := in.Total()
	byKind := in.ByKind()
	kinds := make([]Kind, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i] < kinds[j] })
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, byKind[k]))
	}
	return fmt.Sprintf("%d faults in %d calls (%s), %d upstream errors", faults, calls, strings.Join(parts, ", "), in.UpstreamErrors())
}

// errNoBody is returned when a request body cannot be read for the decision.
var errNoBody = errors.New("fault: cannot read request body")
