package access

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token is who an API token (or a console session) speaks for: a role and a unique name. Only
// the SHA-256 of a token is ever stored; Hash is its hex form ("" for a console session).
type Token struct {
	Role      string `dynamodbav:"role"`
	Name      string `dynamodbav:"name"`
	CreatedAt string `dynamodbav:"createdAt"`
	Hash      string `dynamodbav:"-"`
}

// ErrNameTaken is a token name that another token already has: names are unique, since
// "Assign to me", the "mine" filter and the audit trail go by the name.
var ErrNameTaken = errors.New("another token already has that name")

// maxTokenName is the longest token name, in characters.
const maxTokenName = 64

// NameKey is how token names are compared: trimmed, inner spaces collapsed, case folded, so
// "Ana  Lopez" and "ana lopez" are one name.
func NameKey(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), " ")) }

// TokenName is the name a new token is stored under (inner spaces collapsed), or why name cannot
// be one: empty, overlong or unprintable.
func TokenName(name string) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	switch {
	case name == "":
		return "", errors.New("a token needs a name: the person or the system that uses it")
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxTokenName:
		return "", fmt.Errorf("a token name is at most %d characters of UTF-8", maxTokenName)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", errors.New("a token name has no control characters")
	}
	return name, nil
}
