package main

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestPublicAddress(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"93.184.215.14", true},
		{"2606:4700::1111", true},
		{"127.0.0.1", false},
		{"127.8.9.10", false},
		{"::1", false},
		{"10.1.2.3", false},
		{"172.20.0.1", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // the instance metadata service
		{"100.64.0.1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"224.0.0.1", false},
		{"fe80::1", false},
		{"fd00::1", false},
		{"::ffff:127.0.0.1", false}, // IPv4-mapped loopback
		{"::ffff:10.0.0.1", false},
		{"::ffff:93.184.215.14", true},
	}
	for _, tt := range tests {
		if got := publicAddress(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("publicAddress(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestTheWebhookClientRefusesWhatItMayNotReach(t *testing.T) {
	t.Parallel()
	var hits int
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.URL.Path == "/elsewhere" {
			// Same port, another host name: a redirect to another host.
			http.Redirect(w, r, "http://localhost"+r.Host[strings.LastIndex(r.Host, ":"):]+"/ok", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	tlsReceiver := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.WriteHeader(http.StatusNoContent)
	}))
	defer tlsReceiver.Close()

	deployed := NewWebhookClient(2*time.Second, false)
	deployed.Transport.(schemeGuard).next.(*http.Transport).TLSClientConfig = tlsReceiver.Client().Transport.(*http.Transport).TLSClientConfig
	local := NewWebhookClient(2*time.Second, true)

	tests := []struct {
		name   string
		client *http.Client
		url    string
		ok     bool
	}{
		{"a deployed build refuses plain http", deployed, receiver.URL + "/ok", false},
		{"a deployed build refuses https to a loopback address at connect time", deployed, tlsReceiver.URL + "/ok", false},
		{"a deployed build refuses a name that resolves to loopback", deployed, strings.Replace(tlsReceiver.URL, "127.0.0.1", "localhost", 1) + "/ok", false},
		{"the local build reaches the local receiver", local, receiver.URL + "/ok", true},
		{"no build follows a redirect to another host", local, receiver.URL + "/elsewhere", false},
	}
	for _, tt := range tests {
		before := hits
		resp, err := tt.client.Post(tt.url, "application/json", strings.NewReader("{}"))
		if resp != nil {
			resp.Body.Close()
		}
		switch {
		case tt.ok && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case !tt.ok && err == nil:
			t.Errorf("%s: delivered (%s)", tt.name, resp.Status)
		case !tt.ok && !refused(err):
			t.Errorf("%s: failed with %v, want a refusal", tt.name, err)
		}
		if !tt.ok && strings.Contains(tt.name, "connect") && hits != before {
			t.Errorf("%s: the receiver was reached", tt.name)
		}
	}
}
