package httpapi

import (
	"strings"

	"github.com/cxloop/cxloop/infra/local/samtemplate"
)

// Route sends requests for Method and Path to Function. Method "ANY" matches every method;
// Path segments may be {name} (one segment) or, last, {name+} (the rest of the path).
type Route struct {
	Function string
	Method   string
	Path     string
}

// Key is the route key API Gateway puts in the event ("GET /s/{token}").
func (r Route) Key() string { return r.Method + " " + r.Path }

// RoutesFromTemplate lists every HttpApi route of t's functions.
func RoutesFromTemplate(t *samtemplate.Template) []Route {
	var out []Route
	for _, fn := range t.Functions {
		for _, r := range fn.HTTP {
			out = append(out, Route{Function: fn.LogicalID, Method: strings.ToUpper(r.Method), Path: r.Path})
		}
	}
	return out
}

// match reports whether r matches method and the path as API Gateway sees it (Path: decoded and
// cut at a decoded '?'), with the path parameters and
// a score for API Gateway's "most specific route wins": literal segments beat {param}, which
// beats {proxy+}; an exact method beats ANY.
func (r Route) match(method, path string) (params map[string]string, score []int, ok bool) {
	if r.Method != "ANY" && r.Method != method {
		return nil, nil, false
	}
	pat := splitPath(r.Path)
	segs := splitPath(path)
	for i, p := range pat {
		name, isParam := strings.CutPrefix(p, "{")
		name, _ = strings.CutSuffix(name, "}")
		switch {
		case isParam && strings.HasSuffix(name, "+") && i == len(pat)-1:
			if i >= len(segs) {
				return nil, nil, false
			}
			params = set(params, strings.TrimSuffix(name, "+"), strings.Join(segs[i:], "/"))
			return params, append(score, 0, methodScore(r.Method)), true
		case i >= len(segs):
			return nil, nil, false
		case isParam:
			params = set(params, name, segs[i])
			score = append(score, 1)
		case p == segs[i]:
			score = append(score, 2)
		default:
			return nil, nil, false
		}
	}
	if len(segs) != len(pat) {
		return nil, nil, false
	}
	return params, append(score, 3, methodScore(r.Method)), true
}

func methodScore(m string) int {
	if m == "ANY" {
		return 0
	}
	return 1
}

// better reports whether score a is more specific than b (segment by segment).
func better(a, b []int) bool {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return len(a) > len(b)
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func set(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}
