// Package locale holds every fixed text cxloop shows a customer, in each language it speaks: the
// survey pages, the survey email and the names of the scale's two ends. A language is one file
// (en.go, es.go, fr.go) that registers its Texts; the catalog validates that every survey language
// has one. The survey's own texts (title, question, comment question) come from the catalog.
package locale

import (
	"slices"
	"strings"
)

// Texts are one language's fixed texts.
type Texts struct {
	Lang string
	Page Page
	Mail Mail
	// Scale names the lowest and highest score of each metric (nps, csat, ces).
	Scale map[string][2]string
}

// Page holds the survey pages' texts; Lang is the page's language (set when registered).
type Page struct {
	Lang                                              string
	Optional, CommentHint, CommentDefault, Submit     string // CommentHint's %d is MaxComment
	ScaleHint                                         string // one end of the scale: "%d = %s"
	ThanksTitle, ThanksBody, ThanksChange, ChangeLink string // ThanksChange's %s: until when
	YourAnswer                                        string
	FinalTitle, FinalBody                             string
	ErrNoScore, ErrScoreRange, ErrTooLong, ErrForm    string
	NotFoundTitle, NotFoundBody                       string
	ExpiredTitle, ExpiredBody                         string
	NotReadyTitle, NotReadyBody                       string
	BusyTitle, BusyBody                               string
	TooLargeTitle, TooLargeBody                       string
	ErrorTitle, ErrorBody                             string
	UnsubTitle, UnsubBody, UnsubButton, UnsubLink     string
	UnsubDoneTitle, UnsubDoneBody                     string
	UnsubWho                                          string // %s the company, %s the masked address
	UnsubExpiredTitle, UnsubExpiredBody               string
	ErrorSummary                                      string
	PickFirst, YourScore, Privacy                     string
	SendN                                             string // %d is the chosen score
	Stored                                            string // %d the stored score, %s until when it can change
	ThanksLow, ThanksMid, ThanksHigh, InTouch         string // by score band; InTouch when a ticket opens
	BackToSurvey, HomeLink                            string
	ReviewLink                                        string // the high band's invitation to review us
	ResubOffer, ResubButton                           string // on the unsubscribed page
	ResubDoneTitle, ResubDoneBody                     string
	ResubBlockedTitle                                 string // resubscribed, but the address stays suppressed:
	ResubBounced, ResubComplained, ResubSuppressed    string // why, by suppression reason
	OriginTitle, OriginBody                           string // a resubscribe POST not from our page
}

// Mail holds the survey email's texts.
type Mail struct {
	Subject, ReminderSubject string // %s is the survey title
	Hello, HelloName         string // helloName's %s is the contact's name
	Intro, ReminderIntro     string
	Choose                   string // text part: the line above the score links
	UnsubText, UnsubLink     string
	Privacy                  string
}

var languages = map[string]*Texts{}

func register(t *Texts) {
	t.Page.Lang = t.Lang
	languages[t.Lang] = t
}

// For picks the texts for a locale: the exact language ("pt-br"), else its language part
// ("es-MX" finds es), else English.
func For(locale string) *Texts {
	locale = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(locale), "_", "-"))
	if t, ok := languages[locale]; ok {
		return t
	}
	if lang, _, ok := strings.Cut(locale, "-"); ok {
		if t, ok := languages[lang]; ok {
			return t
		}
	}
	return languages["en"]
}

// Has reports whether cxloop has texts for locale (its exact language or its language part).
func Has(locale string) bool {
	t := For(locale)
	return t.Lang != "en" || strings.HasPrefix(strings.ToLower(strings.TrimSpace(locale)), "en")
}

// Languages lists the languages cxloop has texts for, sorted.
func Languages() []string {
	out := make([]string, 0, len(languages))
	for l := range languages {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}
