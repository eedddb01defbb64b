package samtemplate

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Production rules: what template.yaml must keep true for a deploy into a real account (nothing
// dropped, a person told, nothing lost on delete, no fixed names, no quota-dependent settings).
// They are written over every resource of a kind, so a function, queue or alarm added later has
// to comply too. CheckRules returns one line per broken rule; an empty result is a pass.

// LoadRaw parses a template into plain values with intrinsics in their long form, unresolved.
func LoadRaw(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	v, err := value(&doc)
	if err != nil {
		return nil, err
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: the document is not a mapping", path)
	}
	return root, nil
}

// asyncEvents are the event sources that invoke a function asynchronously: Lambda retries them
// itself and then drops them unless an on-failure destination keeps them.
var asyncEvents = map[string]bool{"EventBridgeRule": true, "CloudWatchEvent": true, "Schedule": true,
	"ScheduleV2": true, "SNS": true, "S3": true, "SES": true}

var scheduleEvents = map[string]bool{"Schedule": true, "ScheduleV2": true}

// streamEvents are polled by an event source mapping; a failed batch goes to its DestinationConfig.
var streamEvents = map[string]bool{"DynamoDB": true, "Kinesis": true}

// retainedTypes hold what cannot be re-created: the data and the key every sent link is signed with.
var retainedTypes = map[string]bool{"AWS::DynamoDB::Table": true, "AWS::SecretsManager::Secret": true}

// metricLevels are the application log levels that keep EMF metric lines (Lambda files a JSON
// line without a level as INFO).
var metricLevels = map[string]bool{"TRACE": true, "DEBUG": true, "INFO": true}

// maxTickAge is the longest a scheduled tick may wait: the next tick does the work.
const maxTickAge = 300

// CheckRules checks a template parsed by LoadRaw.
func CheckRules(root map[string]any) []string {
	var out []string
	fail := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	resources := mapOf(root["Resources"])
	params := mapOf(root["Parameters"])
	globals := mapOf(mapOf(root["Globals"])["Function"])
	ids := sortedKeys(resources)

	alarmed := map[string]map[string]bool{} // metric name -> dimension values referenced
	for _, id := range ids {
		r := mapOf(resources[id])
		if r["Type"] != "AWS::CloudWatch::Alarm" {
			continue
		}
		props := mapOf(r["Properties"])
		if actions, _ := props["AlarmActions"].([]any); len(actions) == 0 {
			fail("alarm %s has no AlarmActions: nobody would hear about it", id)
		}
		metric := scalar(props["MetricName"])
		if alarmed[metric] == nil {
			alarmed[metric] = map[string]bool{}
		}
		dims, _ := props["Dimensions"].([]any)
		for _, d := range dims {
			alarmed[metric][refTarget(mapOf(d)["Value"])] = true
		}
	}

	for _, id := range ids {
		r := mapOf(resources[id])
		typ := scalar(r["Type"])
		props := mapOf(r["Properties"])
		if retainedTypes[typ] && (scalar(r["DeletionPolicy"]) != "Retain" || scalar(r["UpdateReplacePolicy"]) != "Retain") {
			fail("%s (%s) must have DeletionPolicy and UpdateReplacePolicy Retain", id, typ)
		}
		switch typ {
		case "AWS::SQS::Queue":
			if !alarmed["ApproximateNumberOfMessagesVisible"][id] {
				fail("queue %s has no alarm on ApproximateNumberOfMessagesVisible: failures would wait unseen", id)
			}
		case "AWS::Serverless::Function":
			out = append(out, checkFunction(id, props, globals, params, alarmed)...)
		}
	}

	for _, name := range sortedKeys(params) {
		p := mapOf(params[name])
		if d, ok := p["Default"]; ok && strings.Contains(strings.ToLower(scalar(d)), "example.") {
			fail("parameter %s defaults to an example value (%s)", name, scalar(d))
		}
		switch scalar(p["Type"]) {
		case "String":
			if p["AllowedPattern"] == nil && p["AllowedValues"] == nil {
				fail("parameter %s has no AllowedPattern or AllowedValues", name)
			}
		case "Number":
			if p["AllowedValues"] == nil && (p["MinValue"] == nil || p["MaxValue"] == nil) {
				fail("parameter %s has no MinValue and MaxValue", name)
			}
		}
	}
	return out
}

func checkFunction(id string, props, globals, params map[string]any, alarmed map[string]map[string]bool) []string {
	var out []string
	fail := func(format string, args ...any) { out = append(out, id+": "+fmt.Sprintf(format, args...)) }

	if rc, ok := props["ReservedConcurrentExecutions"]; ok {
		if _, isIf := mapOf(rc)["Fn::If"]; !isIf {
			fail("ReservedConcurrentExecutions must depend on a condition (accounts with a small concurrency quota reject it)")
		}
	}
	if !alarmed["Errors"][id] {
		fail("no Errors alarm")
	}
	logging := mapOf(props["LoggingConfig"])
	if mapOf(logging["LogGroup"])["Ref"] == nil {
		fail("LoggingConfig.LogGroup must name a log group of the template (its retention is a parameter)")
	}
	level := scalar(mapOf(globals["LoggingConfig"])["ApplicationLogLevel"])
	if l, ok := logging["ApplicationLogLevel"]; ok {
		level = scalar(l)
	}
	if level != "" && !metricLevels[strings.ToUpper(level)] {
		fail("ApplicationLogLevel %s would drop the EMF metric lines the alarms and dashboard read", level)
	}

	invoke := mapOf(props["EventInvokeConfig"])
	events := mapOf(props["Events"])
	async, scheduled := false, false
	for _, name := range sortedKeys(events) {
		ev := mapOf(events[name])
		typ := scalar(ev["Type"])
		ep := mapOf(ev["Properties"])
		if asyncEvents[typ] {
			async = true
		}
		switch {
		case scheduleEvents[typ]:
			scheduled = true
			if ep["Name"] != nil || ep["OmitName"] != true {
				fail("schedule %s needs OmitName: true and no Name (a second stage in the account would clash)", name)
			}
			if n, ok := intOf(mapOf(ep["RetryPolicy"])["MaximumRetryAttempts"]); !ok || n != 0 {
				fail("schedule %s must not be retried by Scheduler (RetryPolicy.MaximumRetryAttempts 0)", name)
			}
			if expr, ok := ep["ScheduleExpression"].(map[string]any); ok {
				out = append(out, checkRateParam(id, name, expr, params)...)
			}
		case typ == "EventBridgeRule" || typ == "CloudWatchEvent":
			if ep["DeadLetterConfig"] == nil || ep["RetryPolicy"] == nil {
				fail("rule %s needs RetryPolicy and DeadLetterConfig (events EventBridge cannot deliver are kept)", name)
			}
			// SAM refuses Type together with Arn, and a queue SAM generates (Type alone) has no alarm.
			if dlq := mapOf(ep["DeadLetterConfig"]); dlq["Type"] != nil || (ep["DeadLetterConfig"] != nil && dlq["Arn"] == nil) {
				fail("rule %s: DeadLetterConfig must be Arn of a queue declared in the template (and no Type)", name)
			}
			pattern := mapOf(ep["Pattern"])
			// Application events (anything but aws.* sources) come from producers on a bus the
			// deployer chooses: on one shared bus a second stage would take every event too.
			sources, _ := pattern["source"].([]any)
			if len(sources) == 0 || !strings.HasPrefix(scalar(sources[0]), "aws.") {
				if _, ok := mapOf(ep["EventBusName"])["Ref"]; !ok {
					fail("rule %s takes application events without EventBusName from a parameter (a second stage would take them too)", name)
				}
			}
			if len(sources) > 0 && scalar(sources[0]) == "aws.ses" {
				tags := mapOf(mapOf(mapOf(pattern["detail"])["mail"])["tags"])
				if tags["ses:configuration-set"] == nil {
					fail("rule %s takes SES events of every configuration set in the account (match this stack's)", name)
				}
			}
		case streamEvents[typ]:
			dest := mapOf(mapOf(ep["DestinationConfig"])["OnFailure"])
			if dest["Destination"] == nil {
				fail("stream %s has no DestinationConfig.OnFailure: a failing batch would be dropped", name)
			}
			if n, ok := intOf(ep["MaximumRetryAttempts"]); !ok || n < 0 {
				fail("stream %s must state MaximumRetryAttempts (else it retries until the record expires)", name)
			}
		}
	}
	if async {
		if mapOf(mapOf(invoke["DestinationConfig"])["OnFailure"])["Destination"] == nil {
			fail("invoked asynchronously without EventInvokeConfig.DestinationConfig.OnFailure: failed events would be dropped")
		}
		if _, ok := intOf(invoke["MaximumRetryAttempts"]); !ok {
			fail("EventInvokeConfig.MaximumRetryAttempts must be stated")
		}
		if _, ok := intOf(invoke["MaximumEventAgeInSeconds"]); !ok {
			fail("EventInvokeConfig.MaximumEventAgeInSeconds must be stated")
		}
	}
	if scheduled {
		if n, ok := intOf(invoke["MaximumRetryAttempts"]); !ok || n != 0 {
			fail("a scheduled function must not be retried by Lambda (EventInvokeConfig.MaximumRetryAttempts 0): the next tick does the work")
		}
		if n, ok := intOf(invoke["MaximumEventAgeInSeconds"]); !ok || n > maxTickAge {
			fail("a scheduled function's EventInvokeConfig.MaximumEventAgeInSeconds must be at most %d", maxTickAge)
		}
	}
	return out
}

var rateSub = regexp.MustCompile(`^rate\(\$\{(\w+)\} minutes\)$`)

// checkRateParam: rate(${P} minutes) needs P >= 2, since "rate(1 minutes)" is refused.
func checkRateParam(id, event string, expr map[string]any, params map[string]any) []string {
	sub, _ := expr["Fn::Sub"].(string)
	m := rateSub.FindStringSubmatch(sub)
	if m == nil {
		return nil
	}
	if n, ok := intOf(mapOf(params[m[1]])["MinValue"]); !ok || n < 2 {
		return []string{fmt.Sprintf("%s: schedule %s: parameter %s needs MinValue 2 (rate(1 minutes) is not a valid expression)", id, event, m[1])}
	}
	return nil
}

// refTarget is the logical id a value refers to (!Ref X, !GetAtt X.Attr), else its text.
func refTarget(v any) string {
	m := mapOf(v)
	if r, ok := m["Ref"]; ok {
		return scalar(r)
	}
	if g, ok := m["Fn::GetAtt"].([]any); ok && len(g) > 0 {
		return scalar(g[0])
	}
	return scalar(v)
}

func intOf(v any) (int, bool) {
	if v == nil {
		return 0, false
	}
	n, err := strconv.Atoi(scalar(v))
	return n, err == nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
