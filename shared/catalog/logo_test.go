package catalog

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"
	"testing/fstest"
)

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLogoFilesAreCheckedForNameFormatSizeAndShape(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{
		"brand/ok.png":     {Data: pngOf(t, 240, 80)},
		"brand/small.png":  {Data: pngOf(t, 30, 30)},
		"brand/wide.png":   {Data: pngOf(t, 400, 80)},
		"brand/big.png":    {Data: append(pngOf(t, 80, 80), make([]byte, MaxLogoBytes)...)},
		"brand/text.png":   {Data: []byte("<svg/>")},
		"brand/Upper.png":  {Data: pngOf(t, 80, 80)},
		"brand/other.svg":  {Data: []byte("<svg/>")},
		"surveys.yaml.png": {Data: pngOf(t, 80, 80)},
	}
	tests := []struct{ name, want string }{
		{"ok.png", ""},
		{"small.png", "is 30x30 pixels"},
		{"wide.png", "at most 4 times the height"},
		{"big.png", "bytes; at most 6144"},
		{"text.png", "is not a PNG image"},
		{"Upper.png", "must be the name of a .png file"},
		{"other.svg", "must be the name of a .png file"},
		{"../surveys.yaml.png", "must be the name of a .png file"},
		{"none.png", "is not a file of the repository's brand/ folder"},
	}
	for _, tc := range tests {
		l, err := loadLogo(files, tc.name)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want == "" && (l.Width != 240 || l.Height != 80 || l.DisplayWidth() != 120 || len(l.Version) != 12 ||
			l.Path() != "/brand/ok.png?v="+l.Version):
			t.Errorf("%s: got %dx%d shown %d wide, path %s", tc.name, l.Width, l.Height, l.DisplayWidth(), l.Path())
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestTheShippedBrandHasItsLogo(t *testing.T) {
	t.Parallel()
	c := MustShipped()
	l := c.Brand.LogoImage()
	if l == nil {
		t.Fatalf("the shipped brand names logo %q, which does not load", c.Brand.Logo)
	}
	if !bytes.HasPrefix(l.PNG, []byte("\x89PNG")) || l.DisplayWidth() != LogoHeight {
		t.Errorf("logo %s: %d bytes, shown %dx%d", l.File, len(l.PNG), l.DisplayWidth(), LogoHeight)
	}
}
