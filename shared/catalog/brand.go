package catalog

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/cxloop/cxloop"
)

// Brand is who is asking: the survey email's sender name, and what the email and the survey page
// show at the top (company name, accent colour) and in the footer (postal address, privacy notice).
type Brand struct {
	SenderName string `yaml:"senderName"`
	Company    string `yaml:"company"`
	Address    string `yaml:"address"`
	PrivacyURL string `yaml:"privacyUrl"`
	HomeURL    string `yaml:"homeUrl"`
	// Accent colours the score buttons and links (#rrggbb). It carries white text and sits on
	// white, so it must reach 4.5:1 against white (WCAG 1.4.3).
	Accent string `yaml:"accent"`
	// Logo names a PNG file of the repository's brand/ folder ("acme.png"), shown at the top of
	// the email and the page (logo.go). Optional.
	Logo string `yaml:"logo"`
	// ReviewURL is where a customer who gave a high score may leave a public review (https only),
	// linked from the thank-you page of the high band; a survey's own reviewUrl wins. Optional.
	ReviewURL string `yaml:"reviewUrl"`
}

// MinAccentContrast is the contrast the accent colour must have against white.
const MinAccentContrast = 4.5

var hexColorRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^#[0-9a-fA-F]{6}$`) })

func (v *validator) brand(p string, b *Brand) {
	if b == nil {
		return
	}
	for _, f := range []struct {
		key, val string
		max      int
	}{{"senderName", b.SenderName, 64}, {"company", b.Company, 100}, {"address", b.Address, 200}} {
		switch s := strings.TrimSpace(f.val); {
		case s == "":
			v.fail(p+"."+f.key, "is required")
		case len(s) > f.max || strings.ContainsAny(s, "\r\n<>\"") || strings.IndexFunc(s, isControl) >= 0:
			v.fail(p+"."+f.key, "must be one line of at most %d characters without < > \" or control characters", f.max)
		}
	}
	for _, f := range []struct{ key, val string }{{"privacyUrl", b.PrivacyURL}, {"homeUrl", b.HomeURL}} {
		if u, err := url.Parse(f.val); err != nil || u.Scheme != "https" || u.Host == "" {
			v.fail(p+"."+f.key, "%q must be an https:// address", f.val)
		}
	}
	if b.Logo != "" {
		if _, err := loadLogo(cxloop.BrandFiles, b.Logo); err != nil {
			v.fail(p+".logo", "%v", err)
		}
	}
	v.reviewURL(p+".reviewUrl", b.ReviewURL)
	if !hexColorRE().MatchString(b.Accent) {
		v.fail(p+".accent", "%q must be a colour written #rrggbb", b.Accent)
	} else if c := Contrast(b.Accent, "#ffffff"); c < MinAccentContrast {
		v.fail(p+".accent", "%s has a contrast of %.2f:1 against white; it carries white text, so it needs at least %.1f:1: choose a darker colour", b.Accent, c, MinAccentContrast)
	}
}

// reviewURL checks an optional review link: an https:// address with a host, nothing else.
func (v *validator) reviewURL(p, s string) {
	if s == "" {
		return
	}
	if u, err := url.Parse(s); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(s) > 500 ||
		strings.IndexFunc(s, isControl) >= 0 || strings.ContainsAny(s, " <>\"") {
		v.fail(p, "%q must be an https:// address (at most 500 characters)", s)
	}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// Contrast is the WCAG 2 contrast ratio of two #rrggbb colours (1 to 21).
func Contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance is the WCAG relative luminance of a #rrggbb colour.
func luminance(hex string) float64 {
	var l float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		n, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			panic(fmt.Sprintf("luminance of %q: %v", hex, err))
		}
		c := float64(n) / 255
		if c <= 0.04045 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += w * c
	}
	return l
}
