package token

import (
	"errors"
	"testing"
	"time"
)

// FuzzVerify: Verify never panics, fails only with ErrInvalid or ErrExpired, and never accepts a
// token this test did not sign (the seed corpus in testdata/fuzz holds genuine and broken ones).
func FuzzVerify(f *testing.F) {
	s := mustSigner(f, testKey)
	signed := map[string]string{} // token -> id
	for _, p := range []Purpose{Survey, Unsubscribe} {
		for _, exp := range []time.Time{now.Add(time.Hour), now.Add(-time.Hour)} {
			for _, id := range []string{testID, otherID} {
				tok := s.Sign(p, id, exp)
				signed[tok] = id
				f.Add(byte(p), tok)
			}
		}
	}
	f.Add(byte(Survey), "")
	f.Add(byte(Survey), "AAAA")
	f.Add(byte('x'), s.Sign(Survey, testID, now.Add(time.Hour)))
	f.Fuzz(func(t *testing.T, p byte, tok string) {
		id, err := s.Verify(Purpose(p), tok, now)
		switch {
		case err == nil, errors.Is(err, ErrExpired):
			if want, ok := signed[tok]; !ok || want != id {
				t.Fatalf("accepted a token it did not sign: %q -> %q, %v", tok, id, err)
			}
		case errors.Is(err, ErrInvalid):
			if id != "" {
				t.Fatalf("an invalid token returned id %q", id)
			}
		default:
			t.Fatalf("unexpected error %v", err)
		}
	})
}
