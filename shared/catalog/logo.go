package catalog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image/png"
	"io/fs"
	"regexp"
	"sync"

	"github.com/cxloop/cxloop"
)

// Logo is the brand's logo: a PNG file of the repository's brand/ folder, built into every
// binary. The survey page carries it inline and the survey email loads it from the survey API's
// own origin (GET /brand/{file}); PNG because the common mail clients show no SVG.
type Logo struct {
	File          string // its name in brand/ ("acme.png")
	PNG           []byte
	Width, Height int // of the image, in pixels
	// Version is the start of the file's SHA-256: the email's URL carries it (Path), so a new
	// file under the same name is a new URL and the old one may be cached for a year.
	Version string
}

// Logo limits. The page carries the logo inline (base64, a third larger) and must stay under
// 20 KB; LogoHeight is the height it is shown at (CSS pixels), so a file twice as tall is sharp
// on a high-density screen.
const (
	MaxLogoBytes  = 6 * 1024
	LogoHeight    = 40
	minLogoHeight = LogoHeight
	maxLogoHeight = 400
	maxLogoRatio  = 4 // width at most 4 times the height: at most 160 CSS px wide
)

var logoFileRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}\.png$`) })

// DisplayWidth is the width the logo is shown at, in CSS pixels, at LogoHeight.
func (l *Logo) DisplayWidth() int { return (l.Width*LogoHeight + l.Height/2) / l.Height }

// Path is the logo's path on the survey API, versioned: /brand/acme.png?v=0123456789ab.
func (l *Logo) Path() string { return "/brand/" + l.File + "?v=" + l.Version }

// LogoImage is the brand's logo, nil when the brand names none (or names a file that the
// catalog's validation refuses).
func (b *Brand) LogoImage() *Logo {
	if b == nil || b.Logo == "" {
		return nil
	}
	if l, ok := shippedLogos.Load(b.Logo); ok {
		return l.(*Logo)
	}
	l, err := loadLogo(cxloop.BrandFiles, b.Logo)
	if err != nil {
		return nil
	}
	shippedLogos.Store(b.Logo, l)
	return l
}

// shippedLogos caches the checked logos of brand/ by name: the files are built into the binary,
// so a page or an email need not decode the PNG again.
var shippedLogos sync.Map

// loadLogo reads and checks a logo file of brand/.
func loadLogo(files fs.FS, name string) (*Logo, error) {
	if !logoFileRE().MatchString(name) {
		return nil, fmt.Errorf("%q must be the name of a .png file in the repository's brand/ folder (lower-case letters, digits, - and _)", name)
	}
	b, err := fs.ReadFile(files, "brand/"+name)
	if err != nil {
		return nil, fmt.Errorf("%q is not a file of the repository's brand/ folder", name)
	}
	if len(b) > MaxLogoBytes {
		return nil, fmt.Errorf("brand/%s has %d bytes; at most %d (the page carries it inline and stays under 20 KB)", name, len(b), MaxLogoBytes)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("brand/%s is not a PNG image: %v", name, err)
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	if h < minLogoHeight || h > maxLogoHeight || w < 1 || w > maxLogoRatio*h {
		return nil, fmt.Errorf("brand/%s is %dx%d pixels; it needs a height of %d to %d pixels (%d is shown, twice that is sharp on dense screens) and a width of at most %d times the height", name, w, h, minLogoHeight, maxLogoHeight, LogoHeight, maxLogoRatio)
	}
	sum := sha256.Sum256(b)
	return &Logo{File: name, PNG: b, Width: w, Height: h, Version: hex.EncodeToString(sum[:6])}, nil
}
