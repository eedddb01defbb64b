package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cxloop/cxloop"
	"gopkg.in/yaml.v3"
)

// FileName names the catalog in error messages.
const FileName = "surveys.yaml"

// MaxSize bounds the catalog file; a larger one is refused before parsing.
const MaxSize = 1 << 20

// maxNodes bounds the nodes visited while checking keys, so aliases cannot blow up the walk.
const maxNodes = 100000

// FieldError is one problem in the catalog, located by line (0 when unknown) and key path.
type FieldError struct {
	Line int    // 1-based line in surveys.yaml, 0 when the catalog was not loaded from YAML
	Path string // key path such as surveys[1].touchpoints[0].sampleRate; empty for the whole file
	Msg  string
}

// Error renders "surveys.yaml:27: surveys[1].touchpoints[0].sampleRate: 1.5 is outside 0..1".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(FileName)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Shipped loads and validates the catalog embedded in the binary (the repo's surveys.yaml).
func Shipped() (*Catalog, error) { return Load(cxloop.SurveysYAML) }

// MustShipped is Shipped for a function's init: a broken catalog stops the function at start.
func MustShipped() *Catalog {
	c, err := Shipped()
	if err != nil {
		panic(fmt.Sprintf("catalog: %v", err))
	}
	return c
}

// Load parses surveys.yaml strictly (unknown or repeated keys, wrong types and bad durations are
// errors) and validates it. It returns every problem found, joined with errors.Join, each a
// *FieldError naming the line and the key.
func Load(data []byte) (*Catalog, error) {
	if len(data) > MaxSize {
		return nil, &FieldError{Msg: fmt.Sprintf("the file is %d bytes, more than the %d allowed", len(data), MaxSize)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, syntaxError(err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, &FieldError{Msg: "the file is empty"}
	}
	w := walker{pos: map[string]int{}, lines: map[int]string{}, bad: map[string]bool{}}
	w.walk(root.Content[0], reflect.TypeFor[Catalog](), "", root.Content[0].Line)
	if w.budget > maxNodes {
		return nil, &FieldError{Msg: "the file is too complex (too many nodes or aliases)"}
	}

	var c Catalog
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, syntaxError(err)
		}
		w.typeErrors(te)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		w.fail(0, "", "the file holds more than one YAML document (remove the second ---)")
	}
	c.pos = w.pos
	w.errs = append(w.errs, c.validate(w.bad)...)
	if len(w.errs) > 0 {
		slices.SortStableFunc(w.errs, func(a, b error) int { return lineOf(a) - lineOf(b) })
		return nil, errors.Join(w.errs...)
	}
	return &c, nil
}

func lineOf(err error) int {
	if fe, ok := err.(*FieldError); ok {
		return fe.Line
	}
	return 0
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// parserProblems are yaml.v3's parser (not scanner) messages, whose line it reports 0-based.
var parserProblems = []string{
	"did not find expected <stream-start>", "did not find expected <document start>",
	"did not find expected node content", "did not find expected '-' indicator",
	"did not find expected key", "did not find expected ',' or ']'", "did not find expected ',' or '}'",
}

// syntaxError turns a yaml.v3 parse error ("yaml: line 3: ...") into a FieldError.
func syntaxError(err error) error {
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		if slices.Contains(parserProblems, m[2]) {
			n++
		}
		return &FieldError{Line: n, Msg: "invalid YAML: " + m[2]}
	}
	return &FieldError{Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

// walker checks the node tree against the Go types: unknown and repeated keys, and a scalar where a
// list or mapping belongs. It records the line of every key path for Validate's messages.
type walker struct {
	pos    map[string]int  // key path -> line
	lines  map[int]string  // line -> deepest key path on it, to place the decoder's type errors
	bad    map[string]bool // paths already reported, so validation does not repeat them
	errs   []error
	budget int
}

func (w *walker) fail(line int, path, format string, args ...any) {
	w.bad[path] = true
	w.errs = append(w.errs, &FieldError{Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func (w *walker) walk(n *yaml.Node, t reflect.Type, path string, line int) {
	w.budget++
	if w.budget > maxNodes {
		return
	}
	w.pos[path] = line
	w.lines[line] = path
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return
		}
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return // Duration: its UnmarshalYAML reports bad values
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if !isNull(n) {
				w.fail(line, path, "must be a mapping of keys (key: value), not %s", describe(n))
			}
			return
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" {
				w.merge(v, t, path, line) // "<<: *defaults" shares keys between entries
				continue
			}
			name := k.Value
			sub := join(path, name)
			if first, dup := seen[name]; dup {
				w.fail(k.Line, sub, "repeated key (first at line %d)", first)
				continue
			}
			seen[name] = k.Line
			f, ok := fieldByTag(t, name)
			if !ok {
				w.fail(k.Line, sub, "unknown key %q (known keys: %s)", name, strings.Join(tagNames(t), ", "))
				continue
			}
			w.walk(v, f.Type, sub, k.Line)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if !isNull(n) {
				w.fail(line, path, "must be a list, not %s", describe(n))
			}
			return
		}
		for i, item := range n.Content {
			w.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), item.Line)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			if !isNull(n) {
				w.fail(line, path, "must be a mapping (key: value), not %s", describe(n))
			}
			return
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			sub := join(path, k.Value)
			if first, dup := seen[k.Value]; dup {
				w.fail(k.Line, sub, "repeated key (first at line %d)", first)
				continue
			}
			seen[k.Value] = k.Line
			if v.Kind != yaml.ScalarNode && v.Kind != yaml.AliasNode {
				w.fail(k.Line, sub, "must be a single value, not %s", describe(v))
				continue
			}
			w.pos[sub] = k.Line
			w.lines[k.Line] = sub
		}
	default:
		if n.Kind != yaml.ScalarNode {
			w.fail(line, path, "must be a single value, not %s", describe(n))
		}
	}
}

// merge walks the mappings merged in with "<<": an alias, or a list of aliases.
func (w *walker) merge(v *yaml.Node, t reflect.Type, path string, line int) {
	if v.Kind == yaml.SequenceNode {
		for _, item := range v.Content {
			w.walk(item, t, path, line)
		}
		return
	}
	w.walk(v, t, path, line)
}

// typeErrors places the decoder's messages ("line 27: cannot unmarshal ...") on their key paths,
// dropping those the walk already reported better (unknown and repeated keys).
func (w *walker) typeErrors(te *yaml.TypeError) {
	for _, msg := range te.Errors {
		m := lineRE.FindStringSubmatch(msg)
		if m == nil {
			w.fail(0, "", "%s", msg)
			continue
		}
		line, _ := strconv.Atoi(m[1])
		path := w.lines[line]
		if w.bad[path] || strings.Contains(m[2], "not found in type") || strings.Contains(m[2], "already defined") {
			continue
		}
		w.fail(line, path, "%s", plainTypeError(m[2]))
	}
}

var unmarshalRE = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")

// plainTypeError rewrites "cannot unmarshal !!str `lots` into int" as "\"lots\" is not a whole number".
func plainTypeError(msg string) string {
	m := unmarshalRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	want := map[string]string{
		"int": "a whole number", "float64": "a number", "string": "a single value", "bool": "true or false",
	}[m[3]]
	if want == "" {
		return msg
	}
	return fmt.Sprintf("%q is not %s", m[2], want)
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return strconv.Quote(n.Value)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for f := range t.Fields() {
		if f.IsExported() && tagName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func tagNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		if f.IsExported() {
			names = append(names, tagName(f))
		}
	}
	slices.Sort(names)
	return names
}

func tagName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}
