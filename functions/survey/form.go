package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/cxloop/cxloop/shared/text"
	"github.com/cxloop/cxloop/shared/web"
)

// Form limits. A comment is at most MaxComment characters; the body limit leaves room for that
// comment in the worst case (4 UTF-8 bytes per character, each byte percent-encoded as 3) plus
// the score, so the limit never refuses a comment the page allows.
const (
	MaxComment = 1000
	MaxForm    = MaxComment*4*3 + 1024
)

// Errors of DecodeForm. They are all the customer's to fix, so the page says which.
var (
	ErrFormSyntax      = errors.New("form is not valid url-encoding")
	ErrNoScore         = errors.New("no score chosen")
	ErrBadScore        = errors.New("score is not a whole number")
	ErrRepeated        = errors.New("a field is repeated")
	ErrCommentTooLong  = fmt.Errorf("comment is longer than %d characters", MaxComment)
	ErrCommentEncoding = errors.New("comment is not valid UTF-8")
)

// Form is a decoded survey submit. The score's range depends on the survey and is checked by the
// handler; everything else is checked here.
type Form struct {
	Score   int
	Comment string
}

// DecodeForm parses an application/x-www-form-urlencoded survey submit: exactly one integer
// `score`, at most one `comment` (normalized: newlines to \n, other control characters dropped,
// surrounding space trimmed, at most MaxComment characters). Unknown fields are ignored.
func DecodeForm(body []byte) (Form, error) {
	if len(body) > MaxForm {
		return Form{}, fmt.Errorf("%d bytes: %w", len(body), web.ErrTooLarge)
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return Form{}, fmt.Errorf("%w: %v", ErrFormSyntax, err)
	}
	scores, comments := vals["score"], vals["comment"]
	if len(scores) > 1 || len(comments) > 1 {
		return Form{}, ErrRepeated
	}
	if len(scores) == 0 || strings.TrimSpace(scores[0]) == "" {
		return Form{}, ErrNoScore
	}
	score, err := parseScore(scores[0])
	if err != nil {
		return Form{}, err
	}
	var comment string
	if len(comments) == 1 {
		if comment, err = NormalizeComment(comments[0]); err != nil {
			return Form{}, err
		}
	}
	return Form{Score: score, Comment: comment}, nil
}

// parseScore accepts a small decimal integer: "7", " 7 ". Scales are 0..10 at most, so anything
// longer than two digits is refused before it can overflow anything.
func parseScore(s string) (int, error) {
	s = strings.TrimSpace(s)
	if len(s) == 0 || len(s) > 2 {
		return 0, ErrBadScore
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, ErrBadScore
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, ErrBadScore
	}
	return n, nil
}

// ParseScoreParam reads the ?score=N of an email link; ok is false for anything else. Links are
// followed by scanners and typed by hand, so a bad value just preselects nothing.
func ParseScoreParam(s string) (int, bool) {
	n, err := parseScore(s)
	return n, err == nil
}

// NormalizeComment cleans a comment the way the page shows it (text.Clean: CRLF and CR become \n,
// tabs stay, control and format characters such as bidi overrides and zero-width characters go,
// surrounding space is trimmed). It refuses invalid UTF-8 and comments over MaxComment characters.
func NormalizeComment(s string) (string, error) {
	if !text.Valid(s) {
		return "", ErrCommentEncoding
	}
	s = text.Clean(s)
	if text.Len(s) > MaxComment {
		return "", ErrCommentTooLong
	}
	return s, nil
}
