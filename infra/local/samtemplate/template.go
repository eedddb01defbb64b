// Package samtemplate reads template.yaml, the single source of truth for cxloop's functions,
// routes, schedules, rules, streams and table. It is the one place the local tools (the stack,
// the runtime host, the HTTP API, the event sources) learn what AWS would deploy, so a function
// declared in the template is wired locally without a second list anywhere.
package samtemplate

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Template is the parsed template with parameters and conditions resolved.
type Template struct {
	// Root is the absolute directory holding template.yaml; Function.Dir is relative to it.
	Root string
	// Parameters holds every parameter's value: its Default, or the override given to Load.
	Parameters map[string]string
	// Functions lists the AWS::Serverless::Function resources in logical id order.
	Functions []Function

	res       *resolver
	table     *tableSpec
	resources []string
}

// Function is one AWS::Serverless::Function as the local tools need it.
type Function struct {
	LogicalID string
	// Dir is the function's package, relative to Template.Root: TouchpointFunction -> functions/touchpoint.
	Dir      string
	Timeout  time.Duration
	MemoryMB int
	// LogFormat and LogLevel are LoggingConfig's LogFormat and ApplicationLogLevel (the function's
	// own over Globals'); the local host applies them as Lambda does.
	LogFormat, LogLevel string
	// Env is Globals' variables merged with the function's, intrinsics resolved ("" where they
	// cannot be resolved locally, such as !Ref TokenSecret).
	Env       map[string]string
	HTTP      []Route
	Schedules []Schedule
	Rules     []Rule
	Streams   []Stream
	// Policies are the function's IAM policy statements (policies.go).
	Policies []Statement
	// Async is how Lambda handles the function's asynchronous invocations (schedules, rules).
	Async AsyncConfig

	rawEnv map[string]any
}

// AsyncConfig is a function's EventInvokeConfig: Lambda's retries of a failed asynchronous
// invocation, how old an event may get, and where the failure record goes.
type AsyncConfig struct {
	// MaxRetryAttempts is Lambda's default 2 unless the template states it (0 to 2).
	MaxRetryAttempts int
	// MaxEventAge is Lambda's default 6 hours unless the template states it.
	MaxEventAge time.Duration
	// OnFailure is the logical id of the on-failure destination ("" when none).
	OnFailure string
}

// Route is an HttpApi event: Method is upper case ("ANY" matches every method), Path may hold
// {param} and {proxy+} segments.
type Route struct {
	Name   string
	Method string
	Path   string
}

// Schedule is a ScheduleV2 (or Schedule) event. Every is 0 for expressions other than rate(...).
type Schedule struct {
	Name       string
	Expression string
	Every      time.Duration
}

// Rule is an EventBridgeRule event with its event pattern.
type Rule struct {
	Name    string
	Pattern map[string]any
}

// Stream is a DynamoDB stream event source mapping.
type Stream struct {
	Name        string
	BatchSize   int
	BatchWindow time.Duration
	// Filters are the FilterCriteria patterns as raw JSON; a record is delivered when any matches.
	Filters                 []string
	ReportBatchItemFailures bool
	// MaxRetryAttempts is -1 when the template leaves it unset (AWS retries until the record expires).
	MaxRetryAttempts int
	Bisect           bool
	StartingPosition string
}

// LocalValues are what the local tools use for the parameters a deploy must be given (they have
// no default, so nobody deploys a placeholder domain by accident). example.com is reserved for
// documentation and never receives mail.
var LocalValues = map[string]string{
	"SenderDomain":     "example.com",
	"OpsNotifyAddress": "ops@example.com",
}

// Load reads the template at path. overrides sets parameter values; a key naming a resource
// instead sets what !Ref of that resource yields (e.g. "Table": "cxloop-local").
func Load(path string, overrides map[string]string) (*Template, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	v, err := value(&doc)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse %s: the document is not a mapping", path)
	}
	t := &Template{Root: filepath.Dir(abs), Parameters: map[string]string{}}
	if err := t.parse(root, overrides); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Function returns the function with logical id id.
func (t *Template) Function(id string) (*Function, bool) {
	for i := range t.Functions {
		if t.Functions[i].LogicalID == id {
			return &t.Functions[i], true
		}
	}
	return nil, false
}

func (t *Template) parse(root map[string]any, overrides map[string]string) error {
	params := mapOf(root["Parameters"])
	for name, p := range params {
		if d, ok := mapOf(p)["Default"]; ok {
			t.Parameters[name] = scalar(d)
		} else {
			t.Parameters[name] = LocalValues[name]
		}
	}
	refs := map[string]string{}
	for k, v := range overrides {
		if _, ok := params[k]; ok {
			t.Parameters[k] = v
		} else {
			refs[k] = v
		}
	}
	t.res = &resolver{params: t.Parameters, refs: refs, conditions: mapOf(root["Conditions"])}

	globals := mapOf(mapOf(root["Globals"])["Function"])
	resources := mapOf(root["Resources"])
	// !Ref of an SES configuration set is its name, known when the template names it: functions
	// get it as CONFIGURATION_SET and SES's events carry it as the ses:configuration-set tag.
	for id, r := range resources {
		if mapOf(r)["Type"] != "AWS::SES::ConfigurationSet" {
			continue
		}
		if _, set := refs[id]; set {
			continue
		}
		if name, ok := t.res.str(mapOf(mapOf(r)["Properties"])["Name"]); ok && name != "" {
			refs[id] = name
		}
	}
	ids := make([]string, 0, len(resources))
	for id := range resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	t.resources = ids
	// A resource named in the template (the SES configuration set) is known locally by that
	// name, as !Ref yields it in AWS.
	for _, id := range ids {
		r := mapOf(resources[id])
		if _, overridden := refs[id]; overridden || r["Type"] != "AWS::SES::ConfigurationSet" {
			continue
		}
		if name, ok := t.res.str(mapOf(r["Properties"])["Name"]); ok && name != "" {
			refs[id] = name
		}
	}
	for _, id := range ids {
		r := mapOf(resources[id])
		switch r["Type"] {
		case "AWS::Serverless::Function":
			fn, err := t.function(id, globals, mapOf(r["Properties"]))
			if err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			t.Functions = append(t.Functions, fn)
		case "AWS::DynamoDB::Table":
			if t.table != nil && id != "Table" {
				continue
			}
			spec, err := t.parseTable(mapOf(r["Properties"]))
			if err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			t.table = spec
		}
	}
	return nil
}

func (t *Template) function(id string, globals, props map[string]any) (Function, error) {
	fn := Function{
		LogicalID: id,
		Dir:       "functions/" + strings.ToLower(strings.TrimSuffix(id, "Function")),
		rawEnv:    map[string]any{},
	}
	timeout, err := t.intProp("Timeout", 3, props, globals)
	if err != nil {
		return fn, err
	}
	fn.Timeout = time.Duration(timeout) * time.Second
	if fn.MemoryMB, err = t.intProp("MemorySize", 128, props, globals); err != nil {
		return fn, err
	}
	for _, src := range []map[string]any{globals, props} {
		for k, v := range mapOf(mapOf(mapOf(src["Environment"])["Variables"])) {
			fn.rawEnv[k] = v
		}
	}
	for _, src := range []map[string]any{globals, props} {
		lc := mapOf(src["LoggingConfig"])
		if v, ok := lc["LogFormat"].(string); ok {
			fn.LogFormat = v
		}
		if v, ok := lc["ApplicationLogLevel"].(string); ok {
			fn.LogLevel = v
		}
	}
	fn.Env = t.resolveEnv(fn.rawEnv, nil)
	fn.Policies = t.policies(props["Policies"])
	if fn.Async, err = t.asyncConfig(mapOf(props["EventInvokeConfig"])); err != nil {
		return fn, fmt.Errorf("EventInvokeConfig: %w", err)
	}
	events := mapOf(props["Events"])
	names := make([]string, 0, len(events))
	for n := range events {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := t.event(&fn, name, mapOf(events[name])); err != nil {
			return fn, fmt.Errorf("event %s: %w", name, err)
		}
	}
	return fn, nil
}

// intProp reads an integer property from the function, else Globals, else def.
func (t *Template) intProp(name string, def int, props, globals map[string]any) (int, error) {
	v, ok := props[name]
	if !ok {
		if v, ok = globals[name]; !ok {
			return def, nil
		}
	}
	s, ok := t.res.str(v)
	if !ok {
		return 0, fmt.Errorf("%s cannot be resolved", name)
	}
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		return 0, fmt.Errorf("%s: %q is not an integer", name, s)
	}
	return n, nil
}

// resolveEnv resolves raw environment values; extra refs (such as the table's name) win over Load's.
func (t *Template) resolveEnv(raw map[string]any, refs map[string]string) map[string]string {
	r := t.res
	if len(refs) > 0 {
		r = r.with(refs)
	}
	env := make(map[string]string, len(raw))
	for k, v := range raw {
		s, _ := r.str(v)
		env[k] = s
	}
	return env
}

func (t *Template) asyncConfig(cfg map[string]any) (AsyncConfig, error) {
	a := AsyncConfig{MaxRetryAttempts: 2, MaxEventAge: 6 * time.Hour}
	retries, err := t.intProp("MaximumRetryAttempts", a.MaxRetryAttempts, cfg, nil)
	if err != nil {
		return a, err
	}
	age, err := t.intProp("MaximumEventAgeInSeconds", int(a.MaxEventAge/time.Second), cfg, nil)
	if err != nil {
		return a, err
	}
	a.MaxRetryAttempts, a.MaxEventAge = retries, time.Duration(age)*time.Second
	a.OnFailure = refTarget(mapOf(mapOf(mapOf(cfg["DestinationConfig"])["OnFailure"])["Destination"]))
	return a, nil
}
