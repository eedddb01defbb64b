package touchpoint

import (
	"encoding/json"
	"errors"
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
