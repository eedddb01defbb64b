// Package theme finds what comments talk about: Unicode normalisation, tokenising, stemming and
// stop words in English, Spanish and French, the declared themes of a survey matched against a
// comment, and the found themes, the terms that most distinguish low-band comments from
// high-band ones (Fightin' Words, Monroe, Colaresi and Quinn 2008). It is pure: no AWS, no clock.
package theme

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Token is one word of a comment, normalised (NFKC, lower case) and stemmed in the comment's
// language. Fold is the stem without diacritics, the form declared words are matched on.
type Token struct {
	Word string
	Stem string
	Fold string
	// Stop is a stop word of the language: kept for phrase matching, never a found theme.
	Stop bool
	// Proper is a capitalised word inside a sentence, likely a name, a place or a brand: it may
	// match a declared word but never becomes a found theme.
	Proper bool
	// Clause counts the clauses of the comment (punctuation and dropped chunks split them): a
	// two-word phrase is only made of words of the same clause.
	Clause int
}

// maxWordRunes is the longest word kept: longer ones are codes, hashes or glued words.
const maxWordRunes = 30

// Tokens splits a comment into its words in lang ("en", "es" or "fr"; see Language). Whole
// chunks (text between spaces) that are an email address, a handle, a URL or a domain, or that
// hold a digit (numbers, order ids, phone numbers, post codes, dates) are dropped and never reach
// a theme; so are words longer than 30 letters and single letters.
func Tokens(comment, lang string) []Token {
	lang = Language(lang)
	text := norm.NFKC.String(comment)
	var out []Token
	clause, sentenceStart := 0, true
	for _, chunk := range strings.Fields(text) {
		if personalChunk(chunk) {
			clause++
			// A dropped chunk at the end of a sentence still ends it.
			sentenceStart = endsSentence(chunk)
			continue
		}
		start := 0
		flush := func(end int) {
			if end <= start {
				return
			}
			raw := chunk[start:end]
			n := utf8.RuneCountInString(raw)
			first, _ := utf8.DecodeRuneInString(raw)
			// Title case inside a sentence reads as a name; an all-capitals word is shouting or an acronym.
			proper := unicode.IsUpper(first) && !sentenceStart && strings.ContainsFunc(raw, unicode.IsLower)
			sentenceStart = false
			if n < 2 || n > maxWordRunes {
				return
			}
			w := strings.ToLower(raw)
			st := stem(w, lang)
			out = append(out, Token{Word: w, Stem: st, Fold: fold(st), Stop: isStop(w, lang), Proper: proper, Clause: clause})
		}
		for i, r := range chunk {
			if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
				continue
			}
			flush(i)
			start = i + utf8.RuneLen(r)
			if r == '\'' || r == '’' || r == '-' {
				continue // elision (l'appli) or a compound: same clause
			}
			clause++
			if r == '.' || r == '!' || r == '?' || r == '¡' || r == '¿' {
				sentenceStart = true
			}
		}
		flush(len(chunk))
	}
	return out
}

func endsSentence(chunk string) bool {
	r, _ := utf8.DecodeLastRuneInString(chunk)
	return r == '.' || r == '!' || r == '?'
}

// personalChunk reports whether a chunk between spaces looks like personal or identifying data:
// an email address or handle (@), a URL or a domain, or anything with a digit.
func personalChunk(chunk string) bool {
	if strings.ContainsRune(chunk, '@') || strings.Contains(chunk, "://") || strings.HasPrefix(strings.ToLower(chunk), "www.") {
		return true
	}
	if strings.ContainsFunc(chunk, unicode.IsDigit) {
		return true
	}
	// A domain: letters, a dot, letters, with no space (example.com, shop.example.es).
	trimmed := strings.TrimRight(chunk, ".,;:!?)]}\"'»")
	if i := strings.LastIndexByte(trimmed, '.'); i > 0 && i < len(trimmed)-1 {
		tld := trimmed[i+1:]
		if len(tld) >= 2 && len(tld) <= 6 && !strings.ContainsFunc(tld, func(r rune) bool { return !unicode.IsLower(r) }) &&
			!strings.ContainsFunc(trimmed[:i], func(r rune) bool { return !unicode.IsLetter(r) && r != '.' && r != '-' }) {
			return true
		}
	}
	return false
}

// fold removes diacritics (é -> e, ñ -> n), so "envio" matches "envío".
func fold(s string) string {
	d := norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(d))
	for _, r := range d {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// chunkRE finds the chunks between spaces of a text.
var chunkRE = regexp.MustCompile(`\S+`)

// Redact returns comment with every chunk that Tokens would drop as personal data (an email
// address or handle, a URL or domain, anything with a digit) and every word it takes for a name
// (Title case inside a sentence) replaced by mask, the rest as written.
func Redact(comment, mask string) string {
	sentenceStart := true
	return chunkRE.ReplaceAllStringFunc(comment, func(c string) string {
		start := sentenceStart
		sentenceStart = endsSentence(c)
		if personalChunk(c) {
			return mask
		}
		word := strings.TrimFunc(c, func(r rune) bool { return !unicode.IsLetter(r) })
		first, _ := utf8.DecodeRuneInString(word)
		if !start && unicode.IsUpper(first) && strings.ContainsFunc(word, unicode.IsLower) {
			return strings.Replace(c, word, mask, 1)
		}
		return c
	})
}
