// Package text cleans what people type before cxloop stores or shows it: customers' comments
// and names, agents' notes. Cleaning is the same everywhere, and limits count characters (what a
// person sees), not bytes.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean returns s with CRLF and CR as \n, control characters other than \n and \t dropped,
// Unicode format characters dropped (bidi embeddings, overrides and isolates U+202A-202E and
// U+2066-2069, zero-width space and joiners U+200B-200D, word joiner U+2060, the byte order mark,
// soft hyphens), line and paragraph separators dropped, and surrounding space trimmed. Bidi
// controls can make a comment read backwards in the console ("Trojan Source"); zero-width
// characters hide text from a reader and from searches. s must be valid UTF-8 (Valid).
func Clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == '\u2028', r == '\u2029':
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// CleanLine is Clean for one-line text (a name): newlines and tabs become spaces.
func CleanLine(s string) string {
	return Clean(strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s))
}

// Len is the length limits are counted in: characters (code points), not bytes.
func Len(s string) int { return utf8.RuneCountInString(s) }

// Valid reports whether s is valid UTF-8 (text that is not is refused, never repaired).
func Valid(s string) bool { return utf8.ValidString(s) }
