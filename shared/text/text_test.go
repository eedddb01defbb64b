package text

import "testing"

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text stays", "El paquete llegó tarde", "El paquete llegó tarde"},
		{"CRLF and CR become newlines", "a\r\nb\rc", "a\nb\nc"},
		{"tabs and newlines stay", "a\tb\nc", "a\tb\nc"},
		{"a right-to-left override is dropped", "great \u202eereht kcab", "great ereht kcab"},
		{"bidi embeddings and isolates are dropped", "\u202aa\u202bb\u202cc\u202dd\u2066e\u2067f\u2068g\u2069", "abcdefg"},
		{"zero-width space and joiners are dropped", "re\u200bfund\u200c\u200d", "refund"},
		{"word joiner, byte order mark and soft hyphen are dropped", "a\u2060b\ufeffc\u00add", "abcd"},
		{"control characters are dropped", "a\x00b\x07c\x1bd\u0085", "abcd"},
		{"line and paragraph separators are dropped", "a\u2028b\u2029c", "abc"},
		{"surrounding space is trimmed", "  \n hi \t ", "hi"},
		{"emoji stay", "👍 thanks", "👍 thanks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanLine(t *testing.T) {
	if got := CleanLine(" Ana\n\u202eMaría\t"); got != "Ana María" {
		t.Errorf("CleanLine = %q", got)
	}
}

func TestLenCountsCharactersNotBytes(t *testing.T) {
	for in, want := range map[string]int{"abc": 3, "ñandú": 5, "日本語": 3, "👍": 1, "": 0} {
		if got := Len(in); got != want {
			t.Errorf("Len(%q) = %d, want %d", in, got, want)
		}
	}
}
