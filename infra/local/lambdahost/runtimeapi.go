package lambdahost

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// The Runtime API endpoints the bootstrap calls, and the error documents Lambda returns.

// next is GET /runtime/invocation/next: it blocks until an invoke arrives.
func (in *Instance) next(w http.ResponseWriter, r *http.Request) {
	in.mu.Lock()
	p := in.proc
	in.mu.Unlock()
	if p != nil {
		p.once.Do(func() {
			p.init = time.Since(p.started)
			close(p.ready)
		})
	}
	select {
	case inv := <-in.work:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", in.fn.ARN())
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-"+inv.id[:8]+"-"+inv.id[9:13]+";Sampled=0")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

// response is POST /runtime/invocation/{id}/response.
func (in *Instance) response(w http.ResponseWriter, r *http.Request) {
	in.complete(w, r, func(body []byte) Result { return Result{Payload: body} })
}

// invocationError is POST /runtime/invocation/{id}/error.
func (in *Instance) invocationError(w http.ResponseWriter, r *http.Request) {
	typ := r.Header.Get("Lambda-Runtime-Function-Error-Type")
	in.complete(w, r, func(body []byte) Result { return errorResult(body, typ) })
}

func (in *Instance) complete(w http.ResponseWriter, r *http.Request, result func([]byte) Result) {
	id := r.PathValue("id")
	body, err := io.ReadAll(io.LimitReader(r.Body, 6<<20+1))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	in.mu.Lock()
	inv := in.pending[id]
	in.mu.Unlock()
	if inv == nil {
		writeJSON(w, http.StatusBadRequest, ErrorDoc{ErrorMessage: "unknown request id " + id, ErrorType: "InvalidRequestID"})
		return
	}
	res := result(body)
	if len(body) > 6<<20 {
		res = errorResult(nil, "Function.ResponseSizeTooLarge")
	}
	select {
	case inv.done <- res:
	default: // already answered
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

// initError is POST /runtime/init/error: kept and reported when the process exits.
func (in *Instance) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	in.mu.Lock()
	if in.proc != nil {
		in.proc.initErr = errorResult(body, r.Header.Get("Lambda-Runtime-Function-Error-Type")).Payload
	}
	in.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

// errorResult builds the failed Result for an error body posted by the runtime: the body itself
// when it is an error document, else a document with the header's error type.
func errorResult(body []byte, headerType string) Result {
	var doc ErrorDoc
	if json.Unmarshal(body, &doc) == nil && (doc.ErrorType != "" || doc.ErrorMessage != "") {
		return Result{Payload: body, FunctionError: FunctionErrorUnhandled, ErrorType: doc.ErrorType}
	}
	if headerType == "" {
		headerType = "Runtime.Unknown"
	}
	doc = ErrorDoc{ErrorMessage: string(body), ErrorType: headerType}
	b, _ := json.Marshal(doc)
	return Result{Payload: b, FunctionError: FunctionErrorUnhandled, ErrorType: headerType}
}

func failure(typ, msg string) Result {
	b, _ := json.Marshal(ErrorDoc{ErrorMessage: msg, ErrorType: typ})
	return Result{Payload: b, FunctionError: FunctionErrorUnhandled, ErrorType: typ}
}

func exitResult(id string, p *process) Result {
	if p.initErr != nil {
		return errorResult(p.initErr, "")
	}
	return failure("Runtime.ExitError", fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %v", id, p.exitErr))
}

func timeoutResult(id string, timeout time.Duration) Result {
	return failure("Sandbox.Timedout", fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", id, timeout.Seconds()))
}

func (e *initFailure) result(id string) Result {
	if e.timedOut {
		return failure("Sandbox.Timedout", fmt.Sprintf("RequestId: %s Error: init timed out after %.2f seconds", id, InitTimeout.Seconds()))
	}
	return exitResult(id, e.p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// newRequestID returns a random UUID v4 string, the shape of Lambda request ids.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
