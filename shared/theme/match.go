package theme

import "slices"

// Declared is a theme a survey declares: its id and its words and phrases per language.
type Declared struct {
	ID    string
	Words map[string][]string
}

// Matcher matches comments against declared themes. Build it once (NewMatcher) per catalog:
// every word and phrase is stemmed and folded once, then matching a comment is one pass over its
// tokens per phrase.
type Matcher struct {
	themes []compiled
}

type compiled struct {
	id      string
	phrases map[string][][]string // language -> phrases as folded stems
}

// NewMatcher compiles the declared themes. A word or phrase is normalised like a comment
// (Tokens), so "Courier" and "couriers" declare the same stem; one that keeps no word (a number,
// an address) is left out, which catalog validation reports.
func NewMatcher(themes []Declared) *Matcher {
	m := &Matcher{}
	for _, t := range themes {
		c := compiled{id: t.ID, phrases: map[string][][]string{}}
		for lang, words := range t.Words {
			lang = Language(lang)
			for _, w := range words {
				if p := Phrase(w, lang); len(p) > 0 {
					c.phrases[lang] = append(c.phrases[lang], p)
				}
			}
		}
		m.themes = append(m.themes, c)
	}
	return m
}

// Phrase returns a declared word or phrase as the folded stems it is matched on; empty when
// nothing of it is a word (digits, an address).
func Phrase(words, lang string) []string {
	var out []string
	for _, t := range Tokens(words, lang) {
		out = append(out, t.Fold)
	}
	return out
}

// IDs lists the declared theme ids in declaration order.
func (m *Matcher) IDs() []string {
	ids := make([]string, len(m.themes))
	for i, t := range m.themes {
		ids[i] = t.id
	}
	return ids
}

// Match returns the ids of the declared themes a comment in lang mentions, in declaration order,
// each once. A phrase matches when its stems appear in a row in one clause of the comment, with
// the comment's stop words counted as words (so "on time" does not match "time on"). Only the
// words declared for the comment's language are used.
func (m *Matcher) Match(comment, lang string) []string {
	if m == nil || len(m.themes) == 0 {
		return nil
	}
	return m.MatchTokens(Tokens(comment, lang), lang)
}

// MatchTokens is Match on a comment already split by Tokens in lang (the scorer splits each
// comment once for both the declared and the found themes).
func (m *Matcher) MatchTokens(toks []Token, lang string) []string {
	if m == nil || len(m.themes) == 0 {
		return nil
	}
	lang = Language(lang)
	var ids []string
	for _, t := range m.themes {
		if slices.ContainsFunc(t.phrases[lang], func(p []string) bool { return contains(toks, p) }) {
			ids = append(ids, t.id)
		}
	}
	return ids
}

func contains(toks []Token, phrase []string) bool {
	for i := 0; i+len(phrase) <= len(toks); i++ {
		ok := true
		for j, s := range phrase {
			if toks[i+j].Fold != s || toks[i+j].Clause != toks[i].Clause {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Terms returns the distinct found-theme candidates of a comment in lang, in order of first use:
// the stems of its words and two-word phrases ("late deliveri") of neighbouring words of one
// clause. Stop words, likely names (Token.Proper) and the words of exclude (the contact's own
// name) are left out, and so is everything Tokens drops (numbers, addresses, URLs).
func Terms(comment, lang string, exclude ...string) []string {
	lang = Language(lang)
	var skip map[string]bool
	for _, e := range exclude {
		for _, t := range Tokens(e, lang) {
			if skip == nil {
				skip = map[string]bool{}
			}
			skip[t.Word] = true
		}
	}
	return TermsOf(Tokens(comment, lang), skip)
}

// TermsOf is Terms on a comment already split by Tokens, skipping the words of skip.
func TermsOf(toks []Token, skip map[string]bool) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	var prev *Token
	for _, t := range toks {
		if t.Stop || t.Proper || skip[t.Word] {
			if !t.Stop {
				prev = nil // a dropped name breaks the phrase; a stop word does not
			}
			continue
		}
		add(t.Stem)
		if prev != nil && prev.Clause == t.Clause {
			add(prev.Stem + " " + t.Stem)
		}
		prev = &t
	}
	return out
}
