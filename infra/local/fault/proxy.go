package fault

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Proxy is an HTTP server in front of one local service (DynamoDB Local, the SES stand-in) that
// injects the Injector's faults into the traffic of processes it cannot reach in-process: the real
// bootstrap binaries point AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL_SESV2 at URL. A lost
// response or a timeout is a connection closed without an answer, which is what the SDK sees
// when the network drops one.
type Proxy struct {
	// URL is the proxy's address, http://127.0.0.1:port.
	URL string
	// Injector decides and counts the faults.
	Injector *Injector
	// Rewrite, when set before traffic starts, returns the body to forward instead of the
	// client's (the bench asks DynamoDB for ReturnConsumedCapacity this way); nil keeps it.
	Rewrite func(Call) []byte
	// Observe, when set before traffic starts, sees every answer the service gave (status and
	// body), including those whose response a fault then loses.
	Observe func(c Call, status int, body []byte)

	target *url.URL
	ln     net.Listener
	srv    *http.Server
}

// NewProxy starts a proxy to target (http://127.0.0.1:8000) with its own Injector.
func NewProxy(target string, cfg Config) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	p := &Proxy{URL: "http://" + ln.Addr().String(), Injector: New(tr, cfg), target: u, ln: ln}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed on Close
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := p.srv.Shutdown(ctx); err != nil {
		return p.srv.Close()
	}
	return nil
}

// ServeHTTP forwards one request, or fails it as the Injector decides.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = p.target.Scheme, p.target.Host
	out.Host = r.Host // SigV4 signed the client's Host header; keep it
	c, err := Describe(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if p.Rewrite != nil {
		if b := p.Rewrite(c); b != nil {
			out.Body = io.NopCloser(bytes.NewReader(b))
			out.ContentLength = int64(len(b))
			out.Header.Set("Content-Length", strconv.Itoa(len(b)))
		}
	}
	k := p.Injector.Decide(c)
	switch k {
	case Throttle, ServerError, Unavailable:
		copyResponse(w, ErrorResponse(out, c, k, p.Injector.pick()))
		return
	case TimeoutBefore:
		time.Sleep(p.Injector.cfg.Delay)
		drop(w)
		return
	case Hang:
		<-r.Context().Done()
		return
	}
	resp, err := p.Injector.next.RoundTrip(out)
	if err != nil {
		// The service may have acted (a keep-alive connection it closed while answering): the
		// client must see what the network would show it, an unknown outcome, not a refusal.
		p.Injector.upstreamError()
		drop(w)
		return
	}
	if p.Observe != nil {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		p.Observe(c, resp.StatusCode, body)
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	if k == TimeoutAfter {
		io.Copy(io.Discard, resp.Body) //nolint:errcheck // the service acted; its answer is lost
		resp.Body.Close()
		time.Sleep(p.Injector.cfg.Delay)
		drop(w)
		return
	}
	copyResponse(w, resp)
}

func copyResponse(w http.ResponseWriter, resp *http.Response) {
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body) //nolint:errcheck // the client went away
}

// drop closes the client's connection without an answer.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) //nolint:errcheck // a reset, like a dropped connection
	}
	conn.Close()
}
