package samtemplate

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// value turns a YAML node into plain Go values (map[string]any, []any, scalars). CloudFormation's
// short-form tags become their long form: !Ref X -> {"Ref": "X"}, !Sub s -> {"Fn::Sub": s},
// !GetAtt A.B -> {"Fn::GetAtt": ["A", "B"]}, !Condition C -> {"Condition": "C"}.
func value(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return value(n.Content[0])
	case yaml.AliasNode:
		return value(n.Alias)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return intrinsic(n)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := value(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := value(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	default:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	}
}

func intrinsic(n *yaml.Node) (any, error) {
	name := strings.TrimPrefix(n.Tag, "!")
	key := "Fn::" + name
	if name == "Ref" || name == "Condition" {
		key = name
	}
	if n.Kind == yaml.ScalarNode {
		if name == "GetAtt" {
			id, attr, _ := strings.Cut(n.Value, ".")
			return map[string]any{key: []any{id, attr}}, nil
		}
		return map[string]any{key: n.Value}, nil
	}
	plain := *n
	plain.Tag = ""
	inner, err := value(&plain)
	if err != nil {
		return nil, err
	}
	return map[string]any{key: inner}, nil
}

// mapOf returns v as a map, or an empty map.
func mapOf(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{}
}

// scalar renders a plain scalar as a string ("" for anything else).
func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int, int64, float64, bool:
		return fmt.Sprint(v)
	}
	return ""
}

// pseudo are the values of AWS pseudo parameters locally.
var pseudo = map[string]string{
	"AWS::Region":    "us-east-1",
	"AWS::Partition": "aws",
	"AWS::URLSuffix": "amazonaws.com",
	"AWS::AccountId": "000000000000",
	"AWS::StackName": "cxloop",
	"AWS::StackId":   "cxloop",
}

// resolver evaluates intrinsic functions against parameter values and known resource names.
type resolver struct {
	params     map[string]string
	refs       map[string]string
	conditions map[string]any
}

func (r *resolver) with(refs map[string]string) *resolver {
	merged := make(map[string]string, len(r.refs)+len(refs))
	for k, v := range r.refs {
		merged[k] = v
	}
	for k, v := range refs {
		merged[k] = v
	}
	return &resolver{params: r.params, refs: merged, conditions: r.conditions}
}

func (r *resolver) ref(name string) (string, bool) {
	if v, ok := r.refs[name]; ok {
		return v, true
	}
	if v, ok := r.params[name]; ok {
		return v, true
	}
	if v, ok := pseudo[name]; ok {
		return v, true
	}
	return "", false
}

// str resolves v to a string; ok is false when it depends on something only AWS knows
// (a secret's ARN, an API id, an attribute).
func (r *resolver) str(v any) (string, bool) {
	m, isMap := v.(map[string]any)
	if !isMap {
		if _, isList := v.([]any); isList {
			return "", false
		}
		return scalar(v), true
	}
	if len(m) != 1 {
		return "", false
	}
	for fn, arg := range m {
		switch fn {
		case "Ref":
			return r.ref(scalar(arg))
		case "Fn::Sub":
			return r.sub(arg)
		case "Fn::If":
			args, _ := arg.([]any)
			if len(args) != 3 {
				return "", false
			}
			c, ok := r.condition(map[string]any{"Condition": args[0]})
			if !ok {
				return "", false
			}
			if c {
				return r.str(args[1])
			}
			return r.str(args[2])
		case "Fn::Join":
			args, _ := arg.([]any)
			if len(args) != 2 {
				return "", false
			}
			items, _ := args[1].([]any)
			parts := make([]string, len(items))
			for i, it := range items {
				s, ok := r.str(it)
				if !ok {
					return "", false
				}
				parts[i] = s
			}
			return strings.Join(parts, scalar(args[0])), true
		case "Fn::GetAtt":
			parts, _ := arg.([]any)
			if len(parts) == 2 {
				v, ok := r.refs[scalar(parts[0])+"."+scalar(parts[1])]
				return v, ok
			}
		}
	}
	return "", false
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub evaluates Fn::Sub in both forms: "text ${Name}" and ["text ${Var}", {Var: value}].
func (r *resolver) sub(arg any) (string, bool) {
	text, vars := "", map[string]any{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		if len(a) != 2 {
			return "", false
		}
		text, vars = scalar(a[0]), mapOf(a[1])
	default:
		return "", false
	}
	ok := true
	out := subVar.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		if v, found := vars[name]; found {
			s, resolved := r.str(v)
			ok = ok && resolved
			return s
		}
		if id, attr, isAtt := strings.Cut(name, "."); isAtt {
			s, resolved := r.str(map[string]any{"Fn::GetAtt": []any{id, attr}})
			ok = ok && resolved
			return s
		}
		s, resolved := r.ref(name)
		ok = ok && resolved
		return s
	})
	if !ok {
		return "", false
	}
	return out, true
}

// condition evaluates a condition expression: {"Condition": name}, Fn::Equals, Fn::Not, Fn::And, Fn::Or.
func (r *resolver) condition(v any) (bool, bool) {
	m := mapOf(v)
	if len(m) != 1 {
		return false, false
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Condition":
			name := scalar(arg)
			def, found := r.conditions[name]
			if !found {
				return false, false
			}
			return r.condition(def)
		case "Fn::Equals":
			if len(args) != 2 {
				return false, false
			}
			a, ok1 := r.str(args[0])
			b, ok2 := r.str(args[1])
			return a == b, ok1 && ok2
		case "Fn::Not":
			if len(args) != 1 {
				return false, false
			}
			c, ok := r.condition(args[0])
			return !c, ok
		case "Fn::And", "Fn::Or":
			and := fn == "Fn::And"
			result := and
			for _, a := range args {
				c, ok := r.condition(a)
				if !ok {
					return false, false
				}
				if and {
					result = result && c
				} else {
					result = result || c
				}
			}
			return result, true
		}
	}
	return false, false
}

// resolveTree returns v with every intrinsic inside it resolved to its string (an event pattern
// naming the configuration set); one that cannot be resolved locally is an error, since a
// pattern holding it would silently never match.
func (r *resolver) resolveTree(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					s, ok := r.str(x)
					if !ok {
						return nil, fmt.Errorf("%v cannot be resolved locally", x)
					}
					return s, nil
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			rv, err := r.resolveTree(e)
			if err != nil {
				return nil, err
			}
			out[k] = rv
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			rv, err := r.resolveTree(e)
			if err != nil {
				return nil, err
			}
			out[i] = rv
		}
		return out, nil
	}
	return v, nil
}
