// Package touchpoint is the producer's contract (docs/CONTRACTS.md 3): the Touchpoint event, its
// validation with errors that name the field, and the fingerprint that recognises a touchpoint
// repeated under a new eventId. It imports no AWS package.
package touchpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cxloop/cxloop/shared/text"
)

// Limits on what one event may carry; larger values are refused, not truncated.
const (
	MaxEventIDLen   = 200
	MaxTextLen      = 256
	MaxAttributes   = 50
	MaxBatch        = 100
	MaxEventBytes   = 16 << 10
	maxFutureSkew   = 24 * time.Hour
	maxEventAgeDays = 365
)

// Event is the `detail` of an EventBridge Touchpoint event, or one element of POST /touchpoints.
type Event struct {
	EventID    string         `json:"eventId"`
	Touchpoint string         `json:"touchpoint"`
	OccurredAt string         `json:"occurredAt"`
	Contact    Contact        `json:"contact"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// Contact is who the touchpoint happened to.
type Contact struct {
	ID     string `json:"id"`
	Email  string `json:"email"`
	Name   string `json:"name,omitempty"`
	Locale string `json:"locale,omitempty"`
}

// FieldError names the field that made an event invalid.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// ErrInvalid wraps every validation failure, so callers map all of them to one outcome.
var ErrInvalid = errors.New("invalid touchpoint")

// The names are checked by hand, not by regular expressions: compiling ^[a-z0-9][a-z0-9._-]{0,99}$
// and its two siblings at init cost every function ~0.3 ms of cold start (the counted repeat
// unrolls into a hundred states). TestNamesMatchTheirPatterns holds them to the patterns.

// touchpointName: ^[a-z0-9][a-z0-9._-]{0,99}$
func touchpointName(s string) bool {
	return asciiName(s, 100, isLowerDigit, func(c byte) bool { return isLowerDigit(c) || c == '.' || c == '_' || c == '-' })
}

// attrName: ^[A-Za-z][A-Za-z0-9_.-]{0,63}$
func attrName(s string) bool {
	return asciiName(s, 64, isLetter, func(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' || c == '.' || c == '-' })
}

// localeTag: ^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$
func localeTag(s string) bool {
	lang, rest, more := strings.Cut(s, "-")
	if !asciiName(lang, 3, isLetter, isLetter) || len(lang) < 2 {
		return false
	}
	for more {
		var sub string
		sub, rest, more = strings.Cut(rest, "-")
		if len(sub) < 2 || !asciiName(sub, 8, isAlnum, isAlnum) {
			return false
		}
	}
	return true
}

// asciiName reports whether s is 1 to maxLen bytes, the first one first and the others rest.
func asciiName(s string, maxLen int, first, rest func(byte) bool) bool {
	if len(s) == 0 || len(s) > maxLen || !first(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !rest(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isLetter(c byte) bool     { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isLowerDigit(c byte) bool { return 'a' <= c && c <= 'z' || isDigit(c) }
func isAlnum(c byte) bool      { return isLetter(c) || isDigit(c) }

// Decode parses one event strictly: unknown top-level fields are refused so typos surface.
func Decode(raw []byte) (Event, error) {
	var ev Event
	if len(raw) > MaxEventBytes {
		return ev, fmt.Errorf("%w: %w", ErrInvalid, &FieldError{"event", fmt.Sprintf("%d bytes, at most %d", len(raw), MaxEventBytes)})
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil {
		return ev, fmt.Errorf("%w: %w", ErrInvalid, &FieldError{"event", "not a touchpoint object: " + err.Error()})
	}
	// The name is shown to agents and greets the customer in emails: cleaned like every text a
	// person typed (no bidi overrides or zero-width characters, one line).
	if text.Valid(ev.Contact.Name) {
		ev.Contact.Name = text.CleanLine(ev.Contact.Name)
	}
	return ev, nil
}

// Validate checks the event and returns the occurrence time. The error wraps ErrInvalid and a
// *FieldError naming the first bad field.
func (ev *Event) Validate(now time.Time) (time.Time, error) {
	bad := func(field, reason string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("%w: %w", ErrInvalid, &FieldError{field, reason})
	}
	switch {
	case ev.EventID == "":
		return bad("eventId", "required")
	case len(ev.EventID) > MaxEventIDLen || !utf8.ValidString(ev.EventID):
		return bad("eventId", fmt.Sprintf("at most %d bytes of UTF-8", MaxEventIDLen))
	case ev.Touchpoint == "":
		return bad("touchpoint", "required")
	case !touchpointName(ev.Touchpoint):
		return bad("touchpoint", "lower-case letters, digits, '.', '_' and '-' only")
	case ev.OccurredAt == "":
		return bad("occurredAt", "required")
	}
	at, err := time.Parse(time.RFC3339, ev.OccurredAt)
	if err != nil {
		return bad("occurredAt", fmt.Sprintf("%q is not an RFC 3339 time", ev.OccurredAt))
	}
	if at.After(now.Add(maxFutureSkew)) {
		return bad("occurredAt", "more than a day in the future")
	}
	if at.Before(now.AddDate(0, 0, -maxEventAgeDays)) {
		return bad("occurredAt", "more than a year in the past")
	}
	c := ev.Contact
	switch {
	case c.ID == "":
		return bad("contact.id", "required")
	case len(c.ID) > MaxTextLen || strings.ContainsAny(c.ID, "#\x00"):
		return bad("contact.id", fmt.Sprintf("at most %d bytes, no '#'", MaxTextLen))
	case c.Email == "":
		return bad("contact.email", "required")
	case len(c.Email) > MaxTextLen:
		return bad("contact.email", "too long")
	case !text.Valid(c.Name):
		return bad("contact.name", "not valid UTF-8")
	case text.Len(c.Name) > MaxTextLen:
		return bad("contact.name", fmt.Sprintf("at most %d characters", MaxTextLen))
	case c.Locale != "" && !localeTag(c.Locale):
		return bad("contact.locale", fmt.Sprintf("%q is not a language tag like en or es-MX", c.Locale))
	}
	if addr, err := mail.ParseAddress(c.Email); err != nil || addr.Address != c.Email || addr.Name != "" {
		// The reason never repeats the address: it is stored on the invalid decision.
		return bad("contact.email", "not a plain email address (name@domain, no display name)")
	}
	// SES does not support SMTPUTF8 (RFC 6531): an address must be 7-bit ASCII, a Unicode domain
	// written in Punycode, and a non-ASCII local part cannot be sent to at all. Refusing it here
	// names the field; accepting it would only fail at the send.
	if i := strings.IndexFunc(c.Email, func(r rune) bool { return r > 0x7e || r < 0x20 }); i >= 0 {
		if strings.LastIndex(c.Email, "@") < i {
			return bad("contact.email", "SES sends only to ASCII addresses: write the domain in Punycode (xn--...)")
		}
		return bad("contact.email", "SES cannot send to an address with non-ASCII characters before the @")
	}
	if local, _, _ := strings.Cut(c.Email, "@"); strings.HasPrefix(strings.ToLower(local), "xn--") {
		// Punycode is for domains only: SES refuses it before the @.
		return bad("contact.email", "SES cannot send to a Punycode (xn--) local part")
	}
	if len(ev.Attributes) > MaxAttributes {
		return bad("attributes", fmt.Sprintf("%d attributes, at most %d", len(ev.Attributes), MaxAttributes))
	}
	for k, v := range ev.Attributes {
		if !attrName(k) {
			return bad("attributes."+k, "attribute names are letters, digits, '_', '.', '-'")
		}
		if _, ok := AttributeString(v); !ok {
			return bad("attributes."+k, "only strings and numbers (up to 256 bytes)")
		}
	}
	return at.UTC(), nil
}

// AttributeString renders an attribute value as the string segments are keyed by: strings as
// they are, numbers in their shortest form. ok is false for other types.
func AttributeString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, len(x) <= MaxTextLen
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return "", false
		}
		return strconv.FormatFloat(f, 'f', -1, 64), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	default:
		return "", false
	}
}

// Fingerprint identifies the real-world touchpoint independently of the producer's eventId: the
// same touchpoint for the same contact at the same moment. A new eventId with a fingerprint
// already invited for the survey is decided `duplicate`.
func (ev *Event) Fingerprint(occurredAt time.Time) string {
	return ev.Touchpoint + "@" + occurredAt.UTC().Format(time.RFC3339)
}
