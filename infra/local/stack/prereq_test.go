package stack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The README's prerequisites must be what the pinned packages need: the Go version go.mod asks
// for, and a Node.js version every package in infra/package-lock.json accepts (npm only warns
// about an engine mismatch, so nothing else would notice).
func TestReadmePrerequisitesMatchPinnedPackages(t *testing.T) {
	root, err := FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Prerequisites: Go (\d+\.\d+), Java (\d+), Node (\d+\.\d+) or later`).FindSubmatch(readme)
	if m == nil {
		t.Fatal(`README.md has no line "Prerequisites: Go X.Y, Java N, Node X.Y or later ..."`)
	}
	goVersion, node := string(m[1]), string(m[3])

	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if want := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod); want == nil || string(want[1]) != goVersion {
		t.Errorf("README says Go %s; go.mod says %s", goVersion, want)
	}

	raw, err := os.ReadFile(filepath.Join(root, "infra/package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Engines json.RawMessage `json:"engines"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(raw, &lock); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for name, p := range lock.Packages {
		var engines struct {
			Node string `json:"node"`
		}
		if len(p.Engines) == 0 || json.Unmarshal(p.Engines, &engines) != nil || engines.Node == "" {
			continue
		}
		checked++
		if !satisfies(node+".0", engines.Node) {
			t.Errorf("%s needs node %q; README promises Node %s or later", name, engines.Node, node)
		}
	}
	if checked < 10 {
		t.Fatalf("only %d packages with a node engine in the lock file: the lock file format changed?", checked)
	}
}

func TestSatisfies(t *testing.T) {
	tests := []struct {
		version, rng string
		want         bool
	}{
		{"20.19.0", ">=18.2.0", true},
		{"20.19.0", ">=22.22.2", false},
		{"20.19.0", "^20.19.0 || ^22.12.0 || >=23", true},
		{"20.18.0", "^20.19.0 || ^22.12.0 || >=23", false},
		{"21.0.0", "^20.19.0", false},
		{"20.19.0", "6.* || 8.* || >= 10.*", true},
		{"20.19.0", ">= 0.8", true},
		{"20.19.0", ">=20", true},
	}
	for _, tt := range tests {
		if got := satisfies(tt.version, tt.rng); got != tt.want {
			t.Errorf("satisfies(%q, %q) = %v, want %v", tt.version, tt.rng, got, tt.want)
		}
	}
}

// satisfies reports whether version meets an npm engines range made of `||` alternatives of
// `>=v`, `^v`, `v.*` and `v` comparators (the forms the lock file holds; anything else fails).
func satisfies(version, rng string) bool {
	v := parseVersion(version)
	for _, alt := range strings.Split(rng, "||") {
		alt = strings.ReplaceAll(strings.TrimSpace(alt), ">= ", ">=")
		ok := alt != ""
		for _, c := range strings.Fields(alt) {
			switch {
			case strings.HasPrefix(c, ">="):
				ok = ok && compare(v, parseVersion(c[2:])) >= 0
			case strings.HasPrefix(c, "^"):
				min := parseVersion(c[1:])
				ok = ok && v[0] == min[0] && compare(v, min) >= 0
			case strings.HasSuffix(c, ".*"):
				ok = ok && v[0] == parseVersion(strings.TrimSuffix(c, ".*"))[0]
			default:
				ok = ok && compare(v, parseVersion(c)) == 0
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func parseVersion(s string) [3]int {
	var v [3]int
	for i, part := range strings.SplitN(strings.TrimSuffix(s, ".*"), ".", 3) {
		n, err := strconv.Atoi(part)
		if err != nil {
			return [3]int{1 << 30} // unparseable: never satisfied by a real version
		}
		v[i] = n
	}
	return v
}

func compare(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			return a[i] - b[i]
		}
	}
	return 0
}
