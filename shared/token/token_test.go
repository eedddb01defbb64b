package token

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	testKey = []byte("0123456789abcdef0123456789abcdef")
	testID  = "abcdefghijklmnopqrstuvwxyz"
	otherID = "a234567a234567a234567a2345"
	now     = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
)

func mustSigner(t testing.TB, key []byte) *Signer {
	t.Helper()
	s, err := NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewSignerRefusesShortKeys(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 16, 31} {
		if _, err := NewSigner(bytes.Repeat([]byte{7}, n)); err == nil {
			t.Errorf("a %d-byte key was accepted", n)
		}
	}
	if _, err := NewSigner(bytes.Repeat([]byte{7}, 32)); err != nil {
		t.Errorf("a 32-byte key was refused: %v", err)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, testKey)
	other := mustSigner(t, []byte("another key, also thirty-two bytes"))
	valid := s.Sign(Survey, testID, now.Add(time.Hour))
	flip := func(tok string, i int) string {
		b := []byte(tok)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name    string
		purpose Purpose
		tok     string
		now     time.Time
		wantID  string
		wantErr error
	}{
		{"a fresh survey token gives its invitation id", Survey, valid, now, testID, nil},
		{"an unsubscribe token works for unsubscribe", Unsubscribe, s.Sign(Unsubscribe, otherID, now.Add(time.Minute)), now, otherID, nil},
		{"a token one second before expiry still works", Survey, valid, now.Add(time.Hour - time.Second), testID, nil},
		{"a token at its expiry is expired and still names the invitation", Survey, valid, now.Add(time.Hour), testID, ErrExpired},
		{"a token long past expiry is expired", Survey, valid, now.Add(90 * 24 * time.Hour), testID, ErrExpired},
		{"a survey token is not an unsubscribe token", Unsubscribe, valid, now, "", ErrInvalid},
		{"an unsubscribe token is not a survey token", Survey, s.Sign(Unsubscribe, testID, now.Add(time.Hour)), now, "", ErrInvalid},
		{"a token signed with another key is invalid", Survey, other.Sign(Survey, testID, now.Add(time.Hour)), now, "", ErrInvalid},
		{"an expired token signed with another key is invalid, not expired", Survey, other.Sign(Survey, testID, now.Add(-time.Hour)), now, "", ErrInvalid},
		{"an empty token is invalid", Survey, "", now, "", ErrInvalid},
		{"a truncated token is invalid", Survey, valid[:len(valid)-1], now, "", ErrInvalid},
		{"a token with an extra character is invalid", Survey, valid + "A", now, "", ErrInvalid},
		{"a huge token is invalid", Survey, strings.Repeat(valid, 1000), now, "", ErrInvalid},
		{"a token with standard base64 characters is invalid", Survey, valid[:len(valid)-2] + "+/", now, "", ErrInvalid},
		{"a token with padding is invalid", Survey, valid[:len(valid)-1] + "=", now, "", ErrInvalid},
		{"a token with a changed last character is invalid", Survey, flip(valid, len(valid)-1), now, "", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := s.Verify(tt.purpose, tt.tok, tt.now)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if id != tt.wantID {
				t.Fatalf("id = %q, want %q", id, tt.wantID)
			}
		})
	}
}

func TestEveryTamperedCharacterIsRejected(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, testKey)
	tok := s.Sign(Survey, testID, now.Add(time.Hour))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range len(tok) {
		for _, c := range []byte(alphabet) {
			if c == tok[i] {
				continue
			}
			b := []byte(tok)
			b[i] = c
			if id, err := s.Verify(Survey, string(b), now); !errors.Is(err, ErrInvalid) {
				t.Fatalf("changing character %d to %q gave id %q, err %v", i, c, id, err)
			}
		}
	}
}

func TestEveryFlippedBitIsRejected(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, testKey)
	raw, err := b64.DecodeString(s.Sign(Survey, testID, now.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(raw) * 8 {
		b := bytes.Clone(raw)
		b[i/8] ^= 1 << (i % 8)
		if _, err := s.Verify(Survey, b64.EncodeToString(b), now); !errors.Is(err, ErrInvalid) {
			t.Fatalf("flipping bit %d was accepted: %v", i, err)
		}
	}
}

func TestTokensAreCompactAndURLSafe(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, testKey)
	tok := s.Sign(Unsubscribe, testID, now.AddDate(100, 0, 0))
	if len(tok) != Len || Len != 58 {
		t.Fatalf("len = %d (Len %d), want 58", len(tok), Len)
	}
	if strings.Trim(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		t.Fatalf("%q has characters outside base64url", tok)
	}
}

func TestIDsSurviveTheRoundTrip(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, testKey)
	for _, id := range []string{testID, otherID, strings.Repeat("a", 26), strings.Repeat("7", 26), "zzzzzzzzzzzzzzzzzzzzzzzzz7", "77777777777777777777777772"} {
		got, err := s.Verify(Survey, s.Sign(Survey, id, now.Add(time.Second)), now)
		if err != nil || got != id {
			t.Errorf("id %q came back as %q, %v", id, got, err)
		}
	}
}

func TestValidID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"26 lower-case base32 characters are an id", testID, true},
		{"digits 2 to 7 are allowed", "a234567a234567a234567a2345", true},
		{"an empty string is not an id", "", false},
		{"25 characters are not an id", testID[:25], false},
		{"27 characters are not an id", testID + "a", false},
		{"upper case is not an id", strings.ToUpper(testID), false},
		{"the digit 1 is not base32", "1bcdefghijklmnopqrstuvwxyz", false},
		{"the digit 8 is not base32", "abcdefghijklmnopqrstuvwxy8", false},
	}
	for _, tt := range tests {
		if got := ValidID(tt.id); got != tt.want {
			t.Errorf("%s: ValidID(%q) = %v", tt.name, tt.id, got)
		}
	}
}

func TestSignPanicsOnSomethingThatIsNotAnInvitationID(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("Sign accepted a malformed id")
		}
	}()
	mustSigner(t, testKey).Sign(Survey, "inv-1", now)
}

func BenchmarkVerify(b *testing.B) {
	s := mustSigner(b, testKey)
	tok := s.Sign(Survey, testID, now.Add(time.Hour))
	for b.Loop() {
		if _, err := s.Verify(Survey, tok, now); err != nil {
			b.Fatal(err)
		}
	}
}
