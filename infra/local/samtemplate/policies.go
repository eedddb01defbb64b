package samtemplate

import (
	"sort"
	"strings"
)

// Statement is one Allow statement of a function's Policies, with its resources resolved to
// comparable strings: the table's ARN is "Table", its indexes "Table/index/<name>", other ARNs
// as far as they resolve locally. A SAM policy template (SQSSendMessagePolicy, ...) is kept by
// name in Template with no actions.
type Statement struct {
	Actions   []string
	Resources []string
	Template  string
}

// Allows reports whether a statement of the function allows action on resource (exact match, or
// a trailing "*" in the statement's action or resource).
func (fn *Function) Allows(action, resource string) bool {
	for _, st := range fn.Policies {
		if matchAny(st.Actions, action) && matchAny(st.Resources, resource) {
			return true
		}
	}
	return false
}

func matchAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if p == s || p == "*" || (strings.HasSuffix(p, "*") && strings.HasPrefix(s, strings.TrimSuffix(p, "*"))) {
			return true
		}
	}
	return false
}

// policies reads a function's Policies property.
func (t *Template) policies(raw any) []Statement {
	// Each resource's logical id stands for its ARN (!Ref TokenSecret -> "TokenSecret"), also
	// inside !If (an adopted secret or table when a parameter names one).
	refs := map[string]string{"Table.Arn": "Table", "Table.StreamArn": "Table/stream"}
	for _, id := range t.resources {
		if _, named := t.res.refs[id]; !named {
			refs[id] = id
		}
	}
	r := t.res.with(refs)
	var out []Statement
	list, _ := raw.([]any)
	for _, p := range list {
		m := mapOf(p)
		if stmts, ok := m["Statement"].([]any); ok {
			for _, s := range stmts {
				sm := mapOf(s)
				if e := scalar(sm["Effect"]); e != "" && e != "Allow" {
					continue
				}
				st := Statement{Actions: strList(r, sm["Action"]), Resources: strList(r, sm["Resource"])}
				sort.Strings(st.Actions)
				out = append(out, st)
			}
			continue
		}
		for name := range m {
			out = append(out, Statement{Template: name})
		}
	}
	return out
}

// strList resolves a string or a list of strings (intrinsics included); unresolvable entries are
// kept as "?" so they never match by accident.
func strList(r *resolver, v any) []string {
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	var out []string
	for _, it := range items {
		if s, ok := r.str(it); ok {
			out = append(out, s)
		} else if ref, isRef := mapOf(it)["Ref"]; isRef {
			out = append(out, scalar(ref)) // !Ref TokenSecret -> "TokenSecret"
		} else {
			out = append(out, "?")
		}
	}
	return out
}
