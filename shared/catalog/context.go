package catalog

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Context is the line of a survey email and page that says what the survey is about ("About your
// order A-1042."), declared per touchpoint rule. Line names touchpoint attributes as placeholders
// ({{orderId}}); each must be listed in Attributes, and Fallback (no placeholders) is used when
// the event lacks one of them. The values are the customer's data: the invitation stores them
// (Pick) and erasure removes them.
type Context struct {
	Attributes []string `yaml:"attributes"`
	Line       Text     `yaml:"line"`
	Fallback   Text     `yaml:"fallback"`
}

// MaxContextValue is the most characters of one attribute value a context line shows.
const MaxContextValue = 64

var placeholderRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`) })

// Pick keeps the declared attributes of a touchpoint event's attributes, as one-line strings of
// at most MaxContextValue characters; nil when the rule has no context or the event has none.
func (c *Context) Pick(attrs map[string]any) map[string]string {
	if c == nil {
		return nil
	}
	var out map[string]string
	for _, name := range c.Attributes {
		v, ok := scalar(attrs[name])
		v = strings.Join(strings.Fields(v), " ")
		if !ok || v == "" {
			continue
		}
		if utf8.RuneCountInString(v) > MaxContextValue {
			v = string([]rune(v)[:MaxContextValue-1]) + "…"
		}
		if out == nil {
			out = map[string]string{}
		}
		out[name] = v
	}
	return out
}

// Fill renders the context line in a locale with the stored values, or the fallback when one is
// missing. The result is plain text: the email and page templates escape it.
func (c *Context) Fill(locale string, values map[string]string) string {
	if c == nil {
		return ""
	}
	missing := false
	line := placeholderRE().ReplaceAllStringFunc(c.Line.In(locale), func(m string) string {
		v, ok := values[placeholderRE().FindStringSubmatch(m)[1]]
		if !ok || v == "" {
			missing = true
		}
		return v
	})
	if missing {
		return c.Fallback.In(locale)
	}
	return line
}

func (v *validator) context(p string, c *Context, locales []string) {
	if c == nil {
		return
	}
	if len(c.Attributes) == 0 {
		v.fail(p+".attributes", "is required: the touchpoint attributes the line may name")
	}
	for i, a := range c.Attributes {
		if !segmentRE().MatchString(a) {
			v.fail(p+".attributes", "attribute %d %q is not an attribute name: letters, digits and _ . -", i, a)
		}
	}
	v.text(p+".line", c.Line, locales, true)
	v.text(p+".fallback", c.Fallback, locales, true)
	for _, l := range sortedKeys(c.Line) {
		for _, m := range placeholderRE().FindAllStringSubmatch(c.Line[l], -1) {
			if !slices.Contains(c.Attributes, m[1]) {
				v.fail(p+".line."+l, "unknown placeholder {{%s}}: declare it under attributes (%s)", m[1], strings.Join(c.Attributes, ", "))
			}
		}
		if rest := placeholderRE().ReplaceAllString(c.Line[l], ""); strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
			v.fail(p+".line."+l, "has an unclosed placeholder: write {{name}}")
		}
	}
	for _, l := range sortedKeys(c.Fallback) {
		if strings.Contains(c.Fallback[l], "{{") {
			v.fail(p+".fallback."+l, "must not name placeholders: it is shown when the touchpoint lacks them")
		}
	}
}
