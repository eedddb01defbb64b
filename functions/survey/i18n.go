package main

import (
	"strings"

	"github.com/cxloop/cxloop/shared/locale"
)

// ui holds the fixed texts of the pages in one language (shared/locale, with the email's texts and
// the scale labels); the survey's own texts (title, question, comment question) come from the
// catalog.
type ui = locale.Page

// textsFor picks the page language for a locale ("es-MX" -> es), English if there is none.
func textsFor(l string) *ui { return &locale.For(l).Page }

// acceptLanguage picks a page language from an Accept-Language header, for pages shown before the
// invitation (and its language) is known: an unknown or tampered link.
func acceptLanguage(header string) *ui {
	for _, part := range strings.Split(header, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if tag == "" || tag == "*" {
			continue
		}
		if t := textsFor(tag); t.Lang != "en" || strings.HasPrefix(strings.ToLower(tag), "en") {
			return t
		}
	}
	return textsFor("en")
}
