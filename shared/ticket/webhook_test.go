package ticket

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	key := WebhookKey([]byte("0123456789abcdef0123456789abcdef"))
	body := []byte(`{"id":"a-x","priority":"high"}`)
	sent := time.Unix(1_790_000_000, 0)
	good := Sign(key, body, sent)

	cases := []struct {
		name   string
		key    []byte
		body   []byte
		header string
		now    time.Time
		want   error
	}{
		{"a fresh signature of the same body verifies", key, body, good, sent.Add(2 * time.Second), nil},
		{"a signature just inside the skew verifies", key, body, good, sent.Add(MaxSkew), nil},
		{"a replay after the skew is refused", key, body, good, sent.Add(MaxSkew + time.Second), ErrStale},
		{"a timestamp from the future is refused", key, body, good, sent.Add(-MaxSkew - time.Second), ErrStale},
		{"a changed body is refused", key, []byte(`{"id":"a-x","priority":"low"}`), good, sent, ErrSignature},
		{"another key is refused", []byte("another key"), body, good, sent, ErrSignature},
		{"a moved timestamp is refused", key, body, strings.Replace(good, "t=1790000000", "t=1790000001", 1), sent, ErrSignature},
		{"a second v1 value that matches passes (key rotation)", key, body, "t=1790000000,v1=00ff," + strings.SplitN(good, ",", 2)[1], sent, nil},
		{"a header without v1 is malformed", key, body, "t=1790000000", sent, ErrSignatureFormat},
		{"a header without a timestamp is malformed", key, body, "v1=abcd", sent, ErrSignatureFormat},
		{"garbage is malformed", key, body, "nonsense", sent, ErrSignatureFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Verify(c.key, c.body, c.header, c.now)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

func TestWebhookKeyIsNotTheMasterKey(t *testing.T) {
	t.Parallel()
	master := []byte("0123456789abcdef0123456789abcdef")
	if k := WebhookKey(master); string(k) == string(master) || len(k) != 64 {
		t.Errorf("WebhookKey = %q: want a 64-hex-digit key different from the master", k)
	}
}
