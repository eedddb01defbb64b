// Package sources is the local stand-in for what AWS does around the functions: it fires
// template.yaml's schedules (Scheduler), feeds the table's DynamoDB stream to stream functions
// with their FilterCriteria, batching and retry settings (Poller), and routes EventBridge events
// to the functions whose rule pattern matches (Bus). Everything is read from the template, so a
// function declared there is wired locally with nothing else to edit.
package sources

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Pattern is an EventBridge event pattern, the language of EventBridge rules and of Lambda's
// FilterCriteria. It supports what the template uses and a little more: exact values (strings,
// numbers, booleans, null), exists, prefix, suffix, equals-ignore-case, anything-but (values or a
// prefix) and numeric ranges. A field's array of matchers matches when any one does; an event
// array value matches when any element does.
type Pattern map[string]any

// ParsePattern parses a JSON pattern.
func ParsePattern(s string) (Pattern, error) {
	var p Pattern
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, fmt.Errorf("parse pattern %s: %w", s, err)
	}
	return p, nil
}

// PatternOf normalises a pattern decoded from YAML (ints, nested maps) into JSON types.
func PatternOf(m map[string]any) (Pattern, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("pattern %v: %w", m, err)
	}
	return ParsePattern(string(b))
}

// Match reports whether event (decoded from JSON) matches p.
func (p Pattern) Match(event map[string]any) bool { return matchObject(p, event) }

// MatchJSON reports whether the JSON event matches p.
func (p Pattern) MatchJSON(event []byte) bool {
	var ev map[string]any
	if json.Unmarshal(event, &ev) != nil {
		return false
	}
	return p.Match(ev)
}

// MatchAny reports whether event matches any of the patterns (Lambda ORs its filters); no
// patterns at all match everything.
func MatchAny(patterns []Pattern, event map[string]any) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if p.Match(event) {
			return true
		}
	}
	return false
}

func matchObject(pat map[string]any, ev map[string]any) bool {
	for k, pv := range pat {
		v, present := ev[k]
		switch p := pv.(type) {
		case map[string]any:
			sub, ok := v.(map[string]any)
			if !ok || !matchObject(p, sub) {
				return false
			}
		case []any:
			if !matchField(p, v, present) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func matchField(matchers []any, v any, present bool) bool {
	values := []any{v}
	if arr, ok := v.([]any); ok {
		values = arr
	}
	for _, m := range matchers {
		if op, ok := m.(map[string]any); ok {
			if want, ok := op["exists"].(bool); ok {
				// exists:true wants a leaf value, as EventBridge does.
				_, isObj := v.(map[string]any)
				if want == (present && !isObj) {
					return true
				}
				continue
			}
		}
		if !present {
			continue
		}
		for _, x := range values {
			if matchValue(m, x) {
				return true
			}
		}
	}
	return false
}

func matchValue(m any, x any) bool {
	op, ok := m.(map[string]any)
	if !ok {
		return m == x
	}
	for name, arg := range op {
		switch name {
		case "prefix":
			s, ok := x.(string)
			return ok && stringOp(arg, s, strings.HasPrefix)
		case "suffix":
			s, ok := x.(string)
			return ok && stringOp(arg, s, strings.HasSuffix)
		case "equals-ignore-case":
			s, ok := x.(string)
			a, ok2 := arg.(string)
			return ok && ok2 && strings.EqualFold(s, a)
		case "anything-but":
			return !anyOf(arg, x)
		case "numeric":
			f, ok := x.(float64)
			return ok && numeric(arg, f)
		}
	}
	return false
}

// stringOp applies f to s and the operand, which may be {"equals-ignore-case": "x"}.
func stringOp(arg any, s string, f func(s, affix string) bool) bool {
	switch a := arg.(type) {
	case string:
		return f(s, a)
	case map[string]any:
		if v, ok := a["equals-ignore-case"].(string); ok {
			return f(strings.ToLower(s), strings.ToLower(v))
		}
	}
	return false
}

// anyOf reports whether x is one of the anything-but operand's values or matches its operator.
func anyOf(arg any, x any) bool {
	switch a := arg.(type) {
	case []any:
		for _, v := range a {
			if v == x {
				return true
			}
		}
		return false
	case map[string]any:
		return matchValue(a, x)
	default:
		return a == x
	}
}

// numeric checks f against [op, n, op, n...] with ops =, <, <=, >, >=.
func numeric(arg any, f float64) bool {
	terms, ok := arg.([]any)
	if !ok || len(terms)%2 != 0 {
		return false
	}
	for i := 0; i < len(terms); i += 2 {
		op, _ := terms[i].(string)
		n, ok := terms[i+1].(float64)
		if !ok {
			return false
		}
		var hold bool
		switch op {
		case "=":
			hold = f == n
		case "<":
			hold = f < n
		case "<=":
			hold = f <= n
		case ">":
			hold = f > n
		case ">=":
			hold = f >= n
		}
		if !hold {
			return false
		}
	}
	return true
}
