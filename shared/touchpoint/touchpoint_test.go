package touchpoint

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

func event(name string) []byte {
	b, _ := json.Marshal(map[string]any{"eventId": "e-1", "touchpoint": "order.delivered", "occurredAt": "2026-11-23T10:00:00Z",
		"contact": map[string]any{"id": "c-1", "email": "ana@example.com", "name": name}})
	return b
}

func TestContactNamesAreCleanedAndLimitedInCharacters(t *testing.T) {
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in, want, badField string
	}{
		{"a plain name stays", "Ana", "Ana", ""},
		{"a bidi override and a zero-width space are dropped", "An\u202ea\u200b", "Ana", ""},
		{"newlines become spaces", "Ana\nMaría", "Ana María", ""},
		{"256 two-byte characters fit (512 bytes)", strings.Repeat("ñ", MaxTextLen), strings.Repeat("ñ", MaxTextLen), ""},
		{"257 characters do not", strings.Repeat("a", MaxTextLen+1), "", "contact.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Decode(event(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			_, err = ev.Validate(now)
			var fe *FieldError
			switch {
			case tt.badField != "":
				if !errors.As(err, &fe) || fe.Field != tt.badField {
					t.Fatalf("Validate = %v, want an error naming %s", err, tt.badField)
				}
			case err != nil:
				t.Fatalf("Validate = %v", err)
			case ev.Contact.Name != tt.want:
				t.Fatalf("name = %q, want %q", ev.Contact.Name, tt.want)
			}
		})
	}
}

func TestAddressesSESRefusesAreInvalidAtIntake(t *testing.T) {
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, email, wantReason string
	}{
		{"an ASCII address is accepted", "ana@example.com", ""},
		{"a Punycode domain is accepted", "ana@xn--bcher-kva.example", ""},
		{"a non-ASCII local part is refused", "añа@example.com", "before the @"},
		{"a Unicode domain is refused with the Punycode hint", "ana@bücher.example", "Punycode"},
		{"a Punycode local part is refused", "xn--a-ecp@example.com", "local part"},
		{"a display name is refused", "Ana <ana@example.com>", "plain email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := json.Marshal(map[string]any{"eventId": "e-1", "touchpoint": "order.delivered", "occurredAt": "2026-11-23T10:00:00Z",
				"contact": map[string]any{"id": "c-1", "email": tt.email}})
			ev, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ev.Validate(now)
			var fe *FieldError
			if tt.wantReason == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if !errors.As(err, &fe) || fe.Field != "contact.email" || !strings.Contains(fe.Reason, tt.wantReason) {
				t.Fatalf("Validate = %v, want contact.email refused with %q", err, tt.wantReason)
			}
		})
	}
}

func TestNamesMatchTheirPatterns(t *testing.T) {
	t.Parallel()
	checks := []struct {
		name    string
		check   func(string) bool
		pattern *regexp.Regexp
	}{
		{"touchpoint", touchpointName, regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)},
		{"locale", localeTag, regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)},
		{"attribute", attrName, regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)},
	}
	inputs := []string{"", "a", "A", "0", "-", "en", "es-MX", "en-", "-en", "en--us", "zh-Hant-TW", "e", "engl",
		"en-abcdefgh", "en-abcdefghi", "en-a", "order.delivered", "Order", "a b", "a\n", "é", "aé", "x_1.y-2",
		strings.Repeat("a", 64), strings.Repeat("a", 65), strings.Repeat("a", 100), strings.Repeat("a", 101)}
	// Random strings over the characters the patterns tell apart, lengths around the bounds.
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "aZ09._-é \n"
	for range 20000 {
		b := make([]rune, rng.IntN(12))
		if rng.IntN(10) == 0 {
			b = make([]rune, 60+rng.IntN(45))
		}
		for i := range b {
			b[i] = []rune(alphabet)[rng.IntN(len([]rune(alphabet)))]
		}
		inputs = append(inputs, string(b))
	}
	for _, c := range checks {
		for _, in := range inputs {
			if got, want := c.check(in), c.pattern.MatchString(in); got != want {
				t.Errorf("%s(%q) = %v, the pattern says %v", c.name, in, got, want)
			}
		}
	}
}
