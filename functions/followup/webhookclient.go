package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// errWebhookTarget is a webhook delivery refused by cxloop itself: the URL or the address it
// resolved to is not one a notification may go to. It is not retried.
var errWebhookTarget = errors.New("webhook target refused")

// blocked are the address ranges a webhook may never connect to: this host, private networks,
// link-local (the instance metadata service among them), shared and reserved space, multicast.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
	netip.MustParsePrefix("64:ff9b::/96"),
}

// publicAddress reports whether a webhook may connect to addr. IPv4-mapped IPv6 addresses are
// judged as the IPv4 address they carry.
func publicAddress(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() ||
		addr.IsLinkLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return false
	}
	for _, p := range blocked {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// NewWebhookClient returns the client webhooks are delivered with. The address is checked when
// the connection is made, on the IP actually dialled (the dialer's Control hook), so a name that
// resolves to a private address, or re-resolves to one later (DNS rebinding), is refused; only
// https is spoken; and a redirect is followed only to the same host over https. allowLoopback lets
// the local stack's own receivers on 127.0.0.1 work over http: only a build with the cxloop.local
// tag (the local Lambda host's) sets it, never `sam build`'s.
func NewWebhookClient(timeout time.Duration, allowLoopback bool) *http.Client {
	dialer := &net.Dialer{
		Timeout: timeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s is not an IP address and port", errWebhookTarget, address)
			}
			if allowLoopback && ap.Addr().Unmap().IsLoopback() {
				return nil
			}
			if !publicAddress(ap.Addr()) {
				return fmt.Errorf("%w: %s is not a public address", errWebhookTarget, ap.Addr())
			}
			return nil
		},
	}
	transport := &http.Transport{
		DialContext:         dialer.DialContext,
		TLSHandshakeTimeout: timeout,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        4,
		IdleConnTimeout:     30 * time.Second,
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: schemeGuard{next: transport, allowLoopback: allowLoopback},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			first := via[0].URL
			switch {
			case len(via) >= 3:
				return fmt.Errorf("%w: more than 3 redirects", errWebhookTarget)
			case req.URL.Hostname() != first.Hostname():
				return fmt.Errorf("%w: redirect from %s to another host %s", errWebhookTarget, first.Hostname(), req.URL.Hostname())
			case first.Scheme == "https" && req.URL.Scheme != "https":
				return fmt.Errorf("%w: redirect from https to %s", errWebhookTarget, req.URL.Scheme)
			}
			return nil
		},
	}
}

// schemeGuard refuses every request that is not https (http to a loopback address only where
// loopback is allowed).
type schemeGuard struct {
	next          http.RoundTripper
	allowLoopback bool
}

func (g schemeGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "https" {
		return g.next.RoundTrip(req)
	}
	if addr, err := netip.ParseAddr(req.URL.Hostname()); g.allowLoopback && req.URL.Scheme == "http" && err == nil && addr.IsLoopback() {
		return g.next.RoundTrip(req)
	}
	if req.URL.Scheme == "http" && g.allowLoopback && req.URL.Hostname() == "localhost" {
		return g.next.RoundTrip(req)
	}
	return nil, fmt.Errorf("%w: %s://%s: webhooks are sent over https only", errWebhookTarget, req.URL.Scheme, req.URL.Host)
}

// refused reports whether err is cxloop refusing the target (not worth retrying).
func refused(err error) bool { return errors.Is(err, errWebhookTarget) }
