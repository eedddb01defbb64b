package samtemplate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// event adds one entry of a function's Events to fn; event types the local tools do not run
// (SQS, S3, ...) are ignored.
func (t *Template) event(fn *Function, name string, ev map[string]any) error {
	props := mapOf(ev["Properties"])
	switch ev["Type"] {
	case "HttpApi", "Api":
		method, path := "ANY", "$default"
		if v, ok := props["Method"]; ok {
			method = strings.ToUpper(scalar(v))
		}
		if v, ok := props["Path"]; ok {
			path = scalar(v)
		}
		fn.HTTP = append(fn.HTTP, Route{Name: name, Method: method, Path: path})
	case "ScheduleV2", "Schedule":
		expr, ok := t.res.str(props["ScheduleExpression"])
		if !ok || expr == "" {
			return fmt.Errorf("ScheduleExpression cannot be resolved")
		}
		every, err := ParseRate(expr)
		if err != nil && strings.HasPrefix(expr, "rate(") {
			return err
		}
		fn.Schedules = append(fn.Schedules, Schedule{Name: name, Expression: expr, Every: every})
	case "EventBridgeRule", "CloudWatchEvent":
		pattern, err := t.res.resolveTree(props["Pattern"])
		if err != nil {
			return fmt.Errorf("Pattern: %w", err)
		}
		fn.Rules = append(fn.Rules, Rule{Name: name, Pattern: mapOf(pattern)})
	case "DynamoDB":
		s, err := t.stream(name, props)
		if err != nil {
			return err
		}
		fn.Streams = append(fn.Streams, s)
	}
	return nil
}

func (t *Template) stream(name string, props map[string]any) (Stream, error) {
	s := Stream{Name: name, BatchSize: 100, MaxRetryAttempts: -1, StartingPosition: scalar(props["StartingPosition"])}
	num := func(key string, dst *int) error {
		v, ok := props[key]
		if !ok {
			return nil
		}
		str, _ := t.res.str(v)
		n, err := strconv.Atoi(str)
		if err != nil {
			return fmt.Errorf("%s: %q is not an integer", key, str)
		}
		*dst = n
		return nil
	}
	window := 0
	for key, dst := range map[string]*int{"BatchSize": &s.BatchSize, "MaximumBatchingWindowInSeconds": &window,
		"MaximumRetryAttempts": &s.MaxRetryAttempts} {
		if err := num(key, dst); err != nil {
			return s, err
		}
	}
	s.BatchWindow = time.Duration(window) * time.Second
	if b, ok := props["BisectBatchOnFunctionError"].(bool); ok {
		s.Bisect = b
	}
	types, _ := props["FunctionResponseTypes"].([]any)
	for _, ty := range types {
		if scalar(ty) == "ReportBatchItemFailures" {
			s.ReportBatchItemFailures = true
		}
	}
	filters, _ := mapOf(props["FilterCriteria"])["Filters"].([]any)
	for _, f := range filters {
		p, ok := t.res.str(mapOf(f)["Pattern"])
		if !ok || p == "" {
			return s, fmt.Errorf("a FilterCriteria pattern cannot be resolved")
		}
		s.Filters = append(s.Filters, p)
	}
	return s, nil
}

var rateExpr = regexp.MustCompile(`^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$`)

// ParseRate turns an EventBridge rate expression ("rate(1 minute)", "rate(15 minutes)",
// "rate(2 hours)") into its interval. cron(...) and at(...) are not rates and return an error.
func ParseRate(expr string) (time.Duration, error) {
	m := rateExpr.FindStringSubmatch(strings.TrimSpace(expr))
	if m == nil {
		return 0, fmt.Errorf("%q is not a rate expression", expr)
	}
	n, _ := strconv.Atoi(m[1])
	if n < 1 {
		return 0, fmt.Errorf("%q: the rate must be positive", expr)
	}
	// EventBridge insists on the singular for 1 and the plural otherwise.
	if singular := !strings.HasSuffix(m[2], "s"); singular != (n == 1) {
		return 0, fmt.Errorf("%q: use %q for 1 and the plural otherwise", expr, strings.TrimSuffix(m[2], "s"))
	}
	unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(m[2], "s")]
	return time.Duration(n) * unit, nil
}
