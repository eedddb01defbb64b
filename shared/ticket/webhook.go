package ticket

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries the webhook signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>">`. Signing the timestamp with the body lets a receiver reject replays.
const SignatureHeader = "X-Cxloop-Signature"

// MaxSkew is how old (or how far in the future) a signed timestamp may be before Verify refuses it.
const MaxSkew = 5 * time.Minute

// Signature verification outcomes.
var (
	ErrSignatureFormat = errors.New("malformed signature header")
	ErrSignature       = errors.New("signature does not match")
	ErrStale           = errors.New("signature timestamp too old or in the future")
)

// WebhookKey derives the webhook signing key from the deployment's token secret, so a webhook
// receiver never holds the key that signs survey links.
func WebhookKey(master []byte) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte("cxloop webhook v1"))
	return []byte(hex.EncodeToString(m.Sum(nil)))
}

// Sign returns the signature header value for body sent at t.
func Sign(key, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(key, ts, body)
}

func mac(key []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header against body at time now: the MAC must match (compared in
// constant time) and the timestamp must be within MaxSkew of now. Several v1 values are accepted
// (key rotation); any match passes.
func Verify(key, body []byte, header string, now time.Time) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrSignatureFormat
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrSignatureFormat
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return fmt.Errorf("%w: %s", ErrStale, d.Round(time.Second))
	}
	want := []byte(mac(key, ts, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrSignature
}
