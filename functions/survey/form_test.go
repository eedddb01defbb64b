package main

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cxloop/cxloop/shared/web"
)

func TestDecodeFormReadsWhatBrowsersSendAndRefusesTheRest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		body        string
		wantScore   int
		wantComment string
		wantErr     error
	}{
		{"a score alone", "score=7", 7, "", nil},
		{"a score and a comment", "score=0&comment=Too+slow%21", 0, "Too slow!", nil},
		{"the submit button's name is ignored", "score=10&comment=&send=", 10, "", nil},
		{"CRLF newlines become LF", "score=3&comment=a%0D%0Ab%0Dc", 3, "a\nb\nc", nil},
		{"surrounding space is trimmed", "score=+4+&comment=+%20hi%20%0A", 4, "hi", nil},
		{"control characters are dropped", "score=4&comment=a%00b%1Bc%E2%80%A8d", 4, "abcd", nil},
		{"tabs stay", "score=4&comment=a%09b", 4, "a\tb", nil},
		{"a bidi override is dropped", "score=2&comment=bad%E2%80%AEdoog", 2, "baddoog", nil},
		{"zero-width characters are dropped", "score=2&comment=re%E2%80%8Bfund%E2%81%A0", 2, "refund", nil},
		{"the limit counts characters, not bytes", "score=1&comment=" + strings.Repeat("%E6%97%A5", MaxComment), 1, strings.Repeat("日", MaxComment), nil},
		{"exactly the longest comment", "score=1&comment=" + strings.Repeat("%C3%A9", MaxComment), 1, strings.Repeat("é", MaxComment), nil},
		{"one character too long", "score=1&comment=" + strings.Repeat("x", MaxComment+1), 0, "", ErrCommentTooLong},
		{"no score", "comment=hi", 0, "", ErrNoScore},
		{"an empty score", "score=", 0, "", ErrNoScore},
		{"an empty body", "", 0, "", ErrNoScore},
		{"a word for a score", "score=ten", 0, "", ErrBadScore},
		{"a negative score", "score=-1", 0, "", ErrBadScore},
		{"a huge score", "score=99999999999999999999", 0, "", ErrBadScore},
		{"a fractional score", "score=7.5", 0, "", ErrBadScore},
		{"two scores", "score=1&score=9", 0, "", ErrRepeated},
		{"two comments", "score=1&comment=a&comment=b", 0, "", ErrRepeated},
		{"a bad escape", "score=1&comment=%G0", 0, "", ErrFormSyntax},
		{"invalid UTF-8", "score=1&comment=%FF%FE", 0, "", ErrCommentEncoding},
		{"a body over the limit", "score=1&comment=" + strings.Repeat("a", MaxForm), 0, "", web.ErrTooLarge},
		{"semicolons are not separators", "score=1;comment=x", 0, "", ErrFormSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeForm([]byte(tt.body))
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err == nil && (got.Score != tt.wantScore || got.Comment != tt.wantComment) {
				t.Fatalf("got %d %q, want %d %q", got.Score, got.Comment, tt.wantScore, tt.wantComment)
			}
		})
	}
}

// formErrors are the only errors DecodeForm may return.
var formErrors = []error{ErrFormSyntax, ErrNoScore, ErrBadScore, ErrRepeated, ErrCommentTooLong, ErrCommentEncoding, web.ErrTooLarge}

// FuzzDecodeForm: any body either decodes to a score of at most two digits and a clean comment
// (valid UTF-8, no CR or other control characters, at most MaxComment characters) or fails with
// one of the named errors. Never a panic. The seed corpus is below and in testdata/fuzz.
func FuzzDecodeForm(f *testing.F) {
	for _, seed := range []string{
		"score=9", "score=9&comment=Fast+delivery%2C+friendly+driver.", "score=0&comment=",
		"score=10&comment=%E2%9C%93%F0%9F%91%8D", "score=1&score=2", "comment=x", "score=%zz",
		"score=3&comment=a%0D%0Ab", "score=-0", "score=0x1", "score=%00", "=&=&&", "%", "score=1;x=2",
		"score=5&comment=" + strings.Repeat("%F0%9F%98%80", MaxComment), "List-Unsubscribe=One-Click",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := DecodeForm(body)
		if err != nil {
			for _, e := range formErrors {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("unnamed error %v", err)
		}
		if got.Score < 0 || got.Score > 99 {
			t.Fatalf("score %d", got.Score)
		}
		if !utf8.ValidString(got.Comment) || utf8.RuneCountInString(got.Comment) > MaxComment {
			t.Fatalf("comment not clean: %q", got.Comment)
		}
		for _, r := range got.Comment {
			if r == '\r' || (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
				t.Fatalf("control character %U left in %q", r, got.Comment)
			}
		}
		if got.Comment != strings.TrimSpace(got.Comment) {
			t.Fatalf("comment not trimmed: %q", got.Comment)
		}
	})
}
