package lambdahost

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Invoker invokes a function by name. The HTTP API and the event sources take one, so tests
// can hand them a Host with only the functions they need.
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) (Result, error)
}

// ErrUnknownFunction is returned for a function the Host does not have.
var ErrUnknownFunction = errors.New("unknown function")

// Host holds the functions of one local deployment.
type Host struct {
	mu  sync.RWMutex
	fns map[string]*Function
}

var _ Invoker = (*Host)(nil)

// NewHost returns a Host for the given configs.
func NewHost(cfgs ...Config) *Host {
	h := &Host{fns: map[string]*Function{}}
	for _, c := range cfgs {
		h.fns[c.Name] = New(c)
	}
	return h
}

// Function returns the named function's pool.
func (h *Host) Function(name string) (*Function, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	f, ok := h.fns[name]
	return f, ok
}

// Names lists the functions, sorted.
func (h *Host) Names() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]string, 0, len(h.fns))
	for n := range h.fns {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Invoke invokes the named function.
func (h *Host) Invoke(ctx context.Context, function string, payload []byte) (Result, error) {
	f, ok := h.Function(function)
	if !ok {
		return Result{}, fmt.Errorf("invoke %s: %w", function, ErrUnknownFunction)
	}
	return f.Invoke(ctx, payload)
}

// Usage reports every function's usage since the host started, by name.
func (h *Host) Usage() map[string]Usage {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make(map[string]Usage, len(h.fns))
	for n, f := range h.fns {
		out[n] = f.Usage()
	}
	return out
}

// Close stops every function's instances.
func (h *Host) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []error
	for _, f := range h.fns {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}
