// Package token signs and verifies the links in survey emails: /s/{token} opens the survey and
// /u/{token} unsubscribes. A token carries a version, its purpose, the invitation id and an expiry,
// and ends with a truncated HMAC-SHA256 over all of them. It imports no AWS package.
//
// Layout before base64url (no padding), 43 bytes, 58 characters:
//
//	version (1) | purpose (1) | invitation id (17: 26 base32 chars packed) | expiry unix s (8) | MAC (16)
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Purpose says what a token opens; a token made for one purpose is invalid for the other.
type Purpose byte

// The two purposes: the survey page and the unsubscribe page.
const (
	Survey      Purpose = 's'
	Unsubscribe Purpose = 'u'
)

// String names the purpose for error messages and logs.
func (p Purpose) String() string {
	switch p {
	case Survey:
		return "survey"
	case Unsubscribe:
		return "unsubscribe"
	}
	return fmt.Sprintf("purpose(%d)", byte(p))
}

// Sentinel errors, mapped to statuses by the survey page: ErrInvalid to 404, ErrExpired to 410.
var (
	// ErrInvalid: malformed, tampered, signed with another key, made for the other purpose, or of
	// an unknown version.
	ErrInvalid = errors.New("invalid token")
	// ErrExpired: a genuine token whose expiry has passed.
	ErrExpired = errors.New("expired token")
)

// MinKeySize is the shortest signing key accepted, in bytes.
const MinKeySize = 32

// IDLen is the length of an invitation id: 26 lower-case base32 characters (store.EventKey).
const IDLen = 26

const (
	version  = 1
	idBytes  = 17 // 26 base32 chars = 130 bits, packed into 17 bytes with 6 zero bits
	macBytes = 16 // 128 bits of HMAC-SHA256
	bodyLen  = 1 + 1 + idBytes + 8
	rawLen   = bodyLen + macBytes
)

// Len is the length of every token string: rawLen bytes in unpadded base64 (6 bits a character).
const Len = (rawLen*8 + 5) / 6

var (
	b64 = base64.RawURLEncoding.Strict() // Strict: one encoding per token, no malleable trailing bits
	b32 = base32.StdEncoding.WithPadding(base32.NoPadding)
)

// Signer signs and verifies tokens with one key.
type Signer struct {
	key []byte
}

// NewSigner makes a signer from a secret of at least MinKeySize bytes. The HMAC key is derived from
// it, so the same secret used elsewhere cannot produce a valid token by accident.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("token key is %d bytes: at least %d are required", len(key), MinKeySize)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("cxloop/token/v1"))
	return &Signer{key: m.Sum(nil)}, nil
}

// ValidID reports whether id has the form of an invitation id (26 characters a-z, 2-7).
func ValidID(id string) bool {
	_, ok := packID(id)
	return ok
}

// Sign makes a token for an invitation, valid until expires (to the second). The id must be an
// invitation id (see ValidID); anything else is a programming error and panics.
func (s *Signer) Sign(p Purpose, invitationID string, expires time.Time) string {
	id, ok := packID(invitationID)
	if !ok {
		panic(fmt.Sprintf("token: %q is not an invitation id", invitationID))
	}
	raw := make([]byte, bodyLen, rawLen)
	raw[0] = version
	raw[1] = byte(p)
	copy(raw[2:], id[:])
	binary.BigEndian.PutUint64(raw[2+idBytes:], uint64(expires.Unix()))
	raw = append(raw, s.mac(raw)...)
	return b64.EncodeToString(raw)
}

// Verify checks a token for purpose p and returns its invitation id. The signature is checked
// first, in constant time; only a genuine token is then checked for expiry. On ErrExpired the id is
// returned too, so the page can say which survey has closed.
func (s *Signer) Verify(p Purpose, tok string, now time.Time) (invitationID string, err error) {
	if len(tok) != Len {
		return "", fmt.Errorf("%w: length %d, want %d", ErrInvalid, len(tok), Len)
	}
	raw, err := b64.DecodeString(tok)
	if err != nil || len(raw) != rawLen {
		return "", fmt.Errorf("%w: not base64url", ErrInvalid)
	}
	body, sum := raw[:bodyLen], raw[bodyLen:]
	if !hmac.Equal(sum, s.mac(body)) {
		return "", fmt.Errorf("%w: bad signature", ErrInvalid)
	}
	if body[0] != version {
		return "", fmt.Errorf("%w: version %d", ErrInvalid, body[0])
	}
	if Purpose(body[1]) != p {
		return "", fmt.Errorf("%w: a %s token, not %s", ErrInvalid, Purpose(body[1]), p)
	}
	id, ok := unpackID([idBytes]byte(body[2 : 2+idBytes]))
	if !ok {
		return "", fmt.Errorf("%w: bad invitation id", ErrInvalid)
	}
	expires := int64(binary.BigEndian.Uint64(body[2+idBytes:]))
	if now.Unix() >= expires {
		return id, fmt.Errorf("%w: expired at %s", ErrExpired, time.Unix(expires, 0).UTC().Format(time.RFC3339))
	}
	return id, nil
}

func (s *Signer) mac(body []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write(body)
	return m.Sum(nil)[:macBytes]
}

// packID turns 26 base32 characters into 17 bytes (130 bits and 6 zero bits).
func packID(id string) (out [idBytes]byte, ok bool) {
	if len(id) != IDLen {
		return out, false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return out, false
		}
	}
	// Six 'A's (zero) pad 26 characters to 32, which decode to exactly 20 bytes.
	full, err := b32.DecodeString(strings.ToUpper(id) + "AAAAAA")
	if err != nil || len(full) != 20 {
		return out, false
	}
	copy(out[:], full)
	return out, true
}

// unpackID reverses packID; the 6 padding bits must be zero, so each id has one packing.
func unpackID(b [idBytes]byte) (string, bool) {
	if b[idBytes-1]&0x3f != 0 {
		return "", false
	}
	var full [20]byte
	copy(full[:], b[:])
	return strings.ToLower(b32.EncodeToString(full[:]))[:IDLen], true
}
