package catalog

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// FileName names the catalog in error messages.
const FileName = "surveys.yaml"

// MaxSize bounds the catalog file; a larger one is refused before parsing.
const MaxSize = 1 << 20

// maxNodes bounds the nodes the position index visits; aliases are not followed.
const maxNodes = 100000

// maxProblems bounds the decoding passes: each pass finds one problem the decoder stops at.
const maxProblems = 50

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

//go:generate go run -tags catalog_nocompiled ./internal/compile shipped.go

// Shipped is the repository's surveys.yaml as compiled into shipped.go by go generate: loaded and
// validated when the file was generated, so a function starts without parsing YAML. The
// catalog's tests fail while shipped.go and surveys.yaml differ. The error is always nil; it
// stays for callers that load a catalog from elsewhere the same way.
func Shipped() (*Catalog, error) { return compiled(), nil }

// MustShipped is Shipped for a function's init.
func MustShipped() *Catalog { return compiled() }

// Load parses surveys.yaml strictly (unknown or repeated keys, wrong types and bad durations are
// errors) and validates it. It returns every problem found, joined with errors.Join, each a
// *FieldError naming the line and the key.
//
// The YAML library (goccy/go-yaml) reports each problem with its token's position but stops at the
// first one, so Load decodes in passes: it records the problem, drops the key it sits on from the
// syntax tree and decodes again, until the tree decodes. A small index of the tree gives each
// token its key path and finds repeated keys, which the parser is told to let through so that all
// of them are reported at once.
func Load(data []byte) (*Catalog, error) {
	if len(data) > MaxSize {
		return nil, &FieldError{Msg: fmt.Sprintf("the file is %d bytes, more than the %d allowed", len(data), MaxSize)}
	}
	file, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		return nil, syntaxError(data, err)
	}
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		return nil, &FieldError{Msg: "the file is empty"}
	}
	root := file.Docs[0].Body
	x := newIndex()
	x.walk(root, "")
	if x.budget > maxNodes {
		return nil, &FieldError{Msg: "the file is too complex (too many nodes)"}
	}
	if len(file.Docs) > 1 {
		x.fail(0, "", "the file holds more than one YAML document (remove the second ---)")
	}
	var c Catalog
	for pass := 0; ; pass++ {
		c = Catalog{}
		err := yaml.NodeToValue(root, &c, yaml.DisallowUnknownField(), yaml.AllowDuplicateMapKey())
		if err == nil {
			break
		}
		tk, msg := decodeProblem(err)
		path := x.pathOf(tk)
		x.fail(lineOfToken(tk), path, "%s", msg)
		if pass == maxProblems || !x.drop(root, tk) {
			return nil, x.joined()
		}
	}
	c.pos = x.pos
	x.errs = append(x.errs, c.validate(x.bad)...)
	if len(x.errs) > 0 {
		return nil, x.joined()
	}
	return &c, nil
}

// syntaxError turns the parser's error into a FieldError. The parser names the token where it
// gave up; for a [ or { left open, that is the line after the mistake, so the error names the
// line the bracket opens on.
func syntaxError(data []byte, err error) error {
	var se *yaml.SyntaxError
	if !errors.As(err, &se) {
		return &FieldError{Msg: "invalid YAML: " + err.Error()}
	}
	if open := unclosedFlow(data, se.Token); open != nil {
		return &FieldError{Line: lineOfToken(open), Msg: fmt.Sprintf("invalid YAML: the %s opened here is not closed (%s)", open.Value, se.Message)}
	}
	return &FieldError{Line: lineOfToken(se.Token), Msg: "invalid YAML: " + se.Message}
}

// unclosedFlow is the innermost [ or { still open when the parser stopped at tk, or nil.
func unclosedFlow(data []byte, tk *token.Token) *token.Token {
	if tk == nil || tk.Position == nil {
		return nil
	}
	var open []*token.Token
	for _, t := range lexer.Tokenize(string(data)) {
		if t.Position == nil || t.Position.Offset >= tk.Position.Offset {
			break
		}
		switch t.Type {
		case token.SequenceStartType, token.MappingStartType:
			open = append(open, t)
		case token.SequenceEndType, token.MappingEndType:
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		}
	}
	if len(open) == 0 {
		return nil
	}
	return open[len(open)-1]
}

// valueError is a bad scalar found by one of the catalog's own types (Duration), at its token.
type valueError struct {
	tk  *token.Token
	msg string
}

func (e *valueError) Error() string { return e.msg }

// decodeProblem says, in the catalog's words, what the decoder stopped at and where.
func decodeProblem(err error) (*token.Token, string) {
	var (
		ve *valueError
		te *yaml.TypeError
		ne *yaml.UnexpectedNodeTypeError
		ue *yaml.UnknownFieldError
		oe *yaml.OverflowError
		ye yaml.Error
	)
	switch {
	case errors.As(err, &ve):
		return ve.tk, ve.msg
	case errors.As(err, &ue):
		return ue.Token, fmt.Sprintf("unknown key %q (docs/CATALOG.md lists the keys)", ue.Token.Value)
	case errors.As(err, &te):
		return te.Token, fmt.Sprintf("%s is not %s", describeToken(te.Token), kindWord(te.DstType))
	case errors.As(err, &oe):
		return oe.Token, fmt.Sprintf("%s is too large for %s", oe.SrcNum, kindWord(oe.DstType))
	case errors.As(err, &ne):
		return ne.Token, fmt.Sprintf("must be %s, not %s", nodeWord(ne.Expected), nodeWord(ne.Actual))
	case errors.As(err, &ye):
		return ye.GetToken(), ye.GetMessage()
	}
	return nil, err.Error()
}

func lineOfToken(tk *token.Token) int {
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Line
}

// kindWord names what a Go type holds in the catalog's words.
func kindWord(t reflect.Type) string {
	if t == nil {
		return "the right type"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a single value"
	case reflect.Map:
		return "a mapping (key: value)"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Pointer:
		return "a mapping of keys (key: value)"
	}
	return "a " + t.String()
}

func nodeWord(t ast.NodeType) string {
	switch t {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping of keys (key: value)"
	case ast.SequenceType:
		return "a list"
	case ast.NullType:
		return "empty"
	}
	return "a single value"
}

func describeToken(tk *token.Token) string {
	switch {
	case tk == nil:
		return "the value"
	case tk.Type == token.MappingStartType || tk.Type == token.MappingValueType:
		return "a mapping"
	case tk.Type == token.SequenceStartType || tk.Type == token.SequenceEntryType:
		return "a list"
	}
	return strconv.Quote(tk.Value)
}

// index is the position lookup: the key path of every token under a key, the line of every path,
// and the problems found so far.
type index struct {
	paths   map[*token.Token]string // key and scalar value tokens -> key path
	pos     map[string]int          // key path -> line
	anchors map[string]ast.Node     // anchor name -> the node it names, for merged aliases
	merging int                     // > 0 while walking a merged alias: its tokens keep the anchor's path
	bad     map[string]bool         // paths already reported, so validation does not repeat them
	errs    []error
	budget  int
}

func newIndex() *index {
	return &index{paths: map[*token.Token]string{}, pos: map[string]int{}, anchors: map[string]ast.Node{}, bad: map[string]bool{}}
}

func (x *index) fail(line int, path, format string, args ...any) {
	x.bad[path] = true
	x.errs = append(x.errs, &FieldError{Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (x *index) joined() error {
	slices.SortStableFunc(x.errs, func(a, b error) int { return lineOf(a) - lineOf(b) })
	return errors.Join(x.errs...)
}

func lineOf(err error) int {
	if fe, ok := err.(*FieldError); ok {
		return fe.Line
	}
	return 0
}

// pathOf is the key path a token sits on ("" for the whole file).
func (x *index) pathOf(tk *token.Token) string {
	if p, ok := x.paths[tk]; ok {
		return p
	}
	// A token inside a value (a flow list's bracket, a nested scalar) belongs to the closest
	// key before it on its line, else to the last key on an earlier line.
	best, bestLine, bestCol := "", 0, 0
	for t, p := range x.paths {
		if t.Position == nil || tk == nil || tk.Position == nil {
			continue
		}
		l, c := t.Position.Line, t.Position.Column
		before := l < tk.Position.Line || (l == tk.Position.Line && c <= tk.Position.Column)
		if before && (l > bestLine || (l == bestLine && c > bestCol)) {
			best, bestLine, bestCol = p, l, c
		}
	}
	return best
}

// walk records the paths and lines of n's keys and reports repeated keys. Aliases are followed
// only when merged ("<<: *defaults"): the merged keys count as keys of the mapping they merge
// into, as written ones do; the node budget bounds what aliases can multiply.
func (x *index) walk(n ast.Node, path string) {
	x.budget++
	if x.budget > maxNodes || n == nil {
		return
	}
	if _, ok := x.pos[path]; !ok {
		x.pos[path] = lineOfToken(n.GetToken())
	}
	switch v := n.(type) {
	case *ast.AnchorNode:
		if v.Name != nil {
			x.anchors[v.Name.GetToken().Value] = v.Value
		}
		x.walk(v.Value, path)
	case *ast.TagNode:
		x.walk(v.Value, path)
	case *ast.AliasNode:
	case *ast.MappingNode:
		seen := map[string]int{}
		for _, mv := range v.Values {
			x.pair(mv, path, seen)
		}
	case *ast.MappingValueNode:
		x.pair(v, path, map[string]int{})
	case *ast.SequenceNode:
		for i, item := range v.Values {
			sub := fmt.Sprintf("%s[%d]", path, i)
			if item != nil {
				x.pos[sub] = lineOfToken(item.GetToken())
			}
			x.walk(item, sub)
		}
	default:
		x.record(n.GetToken(), path)
	}
}

func (x *index) record(tk *token.Token, path string) {
	if x.merging == 0 {
		x.paths[tk] = path
	}
}

func (x *index) pair(mv *ast.MappingValueNode, path string, seen map[string]int) {
	if _, ok := mv.Key.(*ast.MergeKeyNode); ok {
		x.merge(mv.Value, path)
		return
	}
	kt := mv.Key.GetToken()
	name := kt.Value
	sub := join(path, name)
	line := lineOfToken(kt)
	if x.merging > 0 {
		// A merged key is overridden by a written one and never repeats it.
		if _, written := seen[name]; written {
			return
		}
		if _, known := x.pos[sub]; !known {
			x.pos[sub] = line
		}
		x.walk(mv.Value, sub)
		return
	}
	x.record(kt, sub)
	if first, dup := seen[name]; dup {
		x.fail(line, sub, "repeated key (first at line %d)", first)
		return
	}
	seen[name] = line
	x.pos[sub] = line
	x.walk(mv.Value, sub)
	x.pos[sub] = line
}

// merge indexes the mappings merged in with "<<": a mapping, an alias, or a list of them.
func (x *index) merge(v ast.Node, path string) {
	switch m := v.(type) {
	case *ast.AliasNode:
		if m.Value == nil {
			return
		}
		target, ok := x.anchors[m.Value.GetToken().Value]
		if !ok {
			return
		}
		x.merging++
		x.walk(target, path)
		x.merging--
	case *ast.SequenceNode:
		for _, item := range m.Values {
			x.merge(item, path)
		}
	default:
		x.walk(v, path)
	}
}

// drop removes from the tree the key-value pair that tk (its key or its value) belongs to, so
// the next decoding pass goes past it. It reports whether it found one.
func (x *index) drop(n ast.Node, tk *token.Token) bool {
	if tk == nil {
		return false
	}
	var found bool
	var visit func(n ast.Node, depth int)
	visit = func(n ast.Node, depth int) {
		if found || n == nil || depth > 200 {
			return
		}
		switch v := n.(type) {
		case *ast.AnchorNode:
			visit(v.Value, depth+1)
		case *ast.TagNode:
			visit(v.Value, depth+1)
		case *ast.MappingNode:
			for i, mv := range v.Values {
				if holds(mv, tk) {
					v.Values = slices.Delete(v.Values, i, i+1)
					found = true
					return
				}
				visit(mv.Value, depth+1)
			}
		case *ast.MappingValueNode:
			visit(v.Value, depth+1)
		case *ast.SequenceNode:
			for i, item := range v.Values {
				if item != nil && item.GetToken() == tk {
					v.Values = slices.Delete(v.Values, i, i+1)
					found = true
					return
				}
				visit(item, depth+1)
			}
		}
	}
	visit(n, 0)
	return found
}

// holds reports whether tk is mv's key or its value's own token (a scalar, or the bracket that
// opens a flow list or mapping).
func holds(mv *ast.MappingValueNode, tk *token.Token) bool {
	return mv.Key.GetToken() == tk || (mv.Value != nil && mv.Value.GetToken() == tk)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
