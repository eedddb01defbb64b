package samtemplate

import (
	"regexp"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/telemetry"
)

func rawRepo(t *testing.T) map[string]any {
	t.Helper()
	root, err := LoadRaw(repoTemplate)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestTheRepositoryTemplateKeepsTheProductionRules(t *testing.T) {
	for _, v := range CheckRules(rawRepo(t)) {
		t.Error(v)
	}
}

// Each rule is shown to catch what it is for: a copy of template.yaml is broken one way and the
// check must name the break. A rule that stops catching its break fails here.
func TestTheProductionRulesCatchEachBreak(t *testing.T) {
	res := func(root map[string]any, id string) map[string]any { return mapOf(mapOf(root["Resources"])[id]) }
	props := func(root map[string]any, id string) map[string]any { return mapOf(res(root, id)["Properties"]) }
	event := func(root map[string]any, fn, ev string) map[string]any {
		return mapOf(mapOf(mapOf(props(root, fn)["Events"])[ev])["Properties"])
	}
	tests := []struct {
		name   string
		break_ func(root map[string]any)
		want   string
	}{
		{"an event function without a failure destination", func(r map[string]any) {
			delete(mapOf(props(r, "TouchpointFunction")["EventInvokeConfig"]), "DestinationConfig")
		}, "TouchpointFunction: invoked asynchronously without EventInvokeConfig.DestinationConfig.OnFailure"},
		{"a new EventBridge-triggered function without any EventInvokeConfig", func(r map[string]any) {
			mapOf(r["Resources"])["NewFunction"] = map[string]any{"Type": "AWS::Serverless::Function", "Properties": map[string]any{
				"Events": map[string]any{"E": map[string]any{"Type": "EventBridgeRule", "Properties": map[string]any{"Pattern": map[string]any{"source": []any{"x"}}}}}}}
		}, "NewFunction: invoked asynchronously without"},
		{"unstated retry attempts", func(r map[string]any) {
			delete(mapOf(props(r, "MailEventsFunction")["EventInvokeConfig"]), "MaximumRetryAttempts")
		}, "MailEventsFunction: EventInvokeConfig.MaximumRetryAttempts must be stated"},
		{"a rule without a dead-letter queue", func(r map[string]any) {
			delete(event(r, "TouchpointFunction", "Touchpoint"), "DeadLetterConfig")
		}, "rule Touchpoint needs RetryPolicy and DeadLetterConfig"},
		{"a rule dead-letter queue SAM would generate (no alarm) next to an Arn", func(r map[string]any) {
			mapOf(event(r, "MailEventsFunction", "MailEvent")["DeadLetterConfig"])["Type"] = "SQS"
		}, "rule MailEvent: DeadLetterConfig must be Arn of a queue declared in the template"},
		{"a touchpoint rule on whatever bus every stage shares", func(r map[string]any) {
			delete(event(r, "TouchpointFunction", "Touchpoint"), "EventBusName")
		}, "rule Touchpoint takes application events without EventBusName"},
		{"a stream without an on-failure destination", func(r map[string]any) {
			delete(event(r, "FollowupFunction", "Answers"), "DestinationConfig")
		}, "stream Answers has no DestinationConfig.OnFailure"},
		{"an alarm without an action", func(r map[string]any) {
			delete(props(r, "BounceRateAlarm"), "AlarmActions")
		}, "alarm BounceRateAlarm has no AlarmActions"},
		{"a function without an errors alarm", func(r map[string]any) {
			delete(mapOf(r["Resources"]), "SurveyErrorsAlarm")
		}, "SurveyFunction: no Errors alarm"},
		{"a failure queue nobody watches", func(r map[string]any) {
			delete(mapOf(r["Resources"]), "TouchpointRuleDLQAlarm")
		}, "queue TouchpointRuleDLQ has no alarm"},
		{"a fixed schedule name", func(r map[string]any) {
			ev := event(r, "DispatchFunction", "Tick")
			delete(ev, "OmitName")
			ev["Name"] = "cxloop-dispatch"
		}, "schedule Tick needs OmitName: true"},
		{"a retried tick", func(r map[string]any) {
			mapOf(props(r, "ScoreFunction")["EventInvokeConfig"])["MaximumRetryAttempts"] = 2
		}, "ScoreFunction: a scheduled function must not be retried by Lambda"},
		{"a tick that may wait an hour", func(r map[string]any) {
			mapOf(props(r, "ScoreFunction")["EventInvokeConfig"])["MaximumEventAgeInSeconds"] = 3600
		}, "MaximumEventAgeInSeconds must be at most"},
		{"unconditional reserved concurrency", func(r map[string]any) {
			props(r, "DispatchFunction")["ReservedConcurrentExecutions"] = 2
		}, "DispatchFunction: ReservedConcurrentExecutions must depend on a condition"},
		{"the table loses its retain policy", func(r map[string]any) {
			delete(res(r, "Table"), "UpdateReplacePolicy")
		}, "Table (AWS::DynamoDB::Table) must have DeletionPolicy and UpdateReplacePolicy Retain"},
		{"the secret loses its retain policy", func(r map[string]any) {
			res(r, "TokenSecret")["DeletionPolicy"] = "Delete"
		}, "TokenSecret (AWS::SecretsManager::Secret) must have"},
		{"a log level that silences metrics", func(r map[string]any) {
			mapOf(mapOf(mapOf(r["Globals"])["Function"])["LoggingConfig"])["ApplicationLogLevel"] = "WARN"
		}, "ApplicationLogLevel WARN would drop the EMF metric lines"},
		{"a function logging to a group without retention", func(r map[string]any) {
			delete(mapOf(props(r, "TicketsFunction")["LoggingConfig"]), "LogGroup")
		}, "TicketsFunction: LoggingConfig.LogGroup must name a log group"},
		{"an SES rule for every configuration set", func(r map[string]any) {
			delete(mapOf(event(r, "MailEventsFunction", "MailEvent")["Pattern"]), "detail")
		}, "rule MailEvent takes SES events of every configuration set"},
		{"an example default", func(r map[string]any) {
			mapOf(mapOf(r["Parameters"])["SenderDomain"])["Default"] = "example.com"
		}, "parameter SenderDomain defaults to an example value"},
		{"a parameter without a constraint", func(r map[string]any) {
			delete(mapOf(mapOf(r["Parameters"])["WebhookUrl"]), "AllowedPattern")
		}, "parameter WebhookUrl has no AllowedPattern"},
		{"a score interval of one minute", func(r map[string]any) {
			mapOf(mapOf(r["Parameters"])["ScoreIntervalMinutes"])["MinValue"] = 1
		}, "parameter ScoreIntervalMinutes needs MinValue 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := rawRepo(t)
			tc.break_(root)
			got := CheckRules(root)
			for _, v := range got {
				if strings.Contains(v, tc.want) {
					return
				}
			}
			t.Errorf("the break was not caught; want a line containing %q, got %q", tc.want, got)
		})
	}
}

// SES authorises a send against every identity involved (the From address, its domain, and in
// the sandbox each recipient), so the grant covers the account's identities but only for this
// stack's From address, and the configuration set.
func TestEverySenderMaySendOnlyAsTheStacksAddress(t *testing.T) {
	root := rawRepo(t)
	tpl := loadRepo(t, nil)
	resources := mapOf(root["Resources"])
	for _, fn := range tpl.Functions {
		if _, sends := fn.Env["SENDER_ADDRESS"]; !sends {
			continue
		}
		if !fn.Allows("ses:SendEmail", "arn:aws:ses:us-east-1:000000000000:identity/*") ||
			!fn.Allows("ses:SendEmail", "arn:aws:ses:us-east-1:000000000000:configuration-set/cxloop-prod") {
			t.Errorf("%s sends mail without ses:SendEmail on the identities and the configuration set: %+v", fn.LogicalID, fn.Policies)
		}
		if fn.Env["SENDER_ADDRESS"] != "surveys@example.com" {
			t.Errorf("%s: SENDER_ADDRESS %q is not <SenderLocalPart>@<SenderDomain>", fn.LogicalID, fn.Env["SENDER_ADDRESS"])
		}
		statements, _ := mapOf(mapOf(mapOf(resources[fn.LogicalID])["Properties"])["Policies"].([]any)[0])["Statement"].([]any)
		for _, s := range statements {
			st := mapOf(s)
			if !strings.Contains(strings.Join(strList(tpl.res, st["Action"]), ","), "ses:SendEmail") {
				continue
			}
			from := mapOf(mapOf(st["Condition"])["StringEquals"])["ses:FromAddress"]
			if got, _ := tpl.res.str(from); got != "surveys@example.com" {
				t.Errorf("%s: ses:SendEmail without a ses:FromAddress condition on the sender (%v)", fn.LogicalID, st["Condition"])
			}
		}
	}
}

// The command-line tool finds the table, the failure queues and the functions by these output
// names; renaming one breaks it against every deployed stack.
func TestTheStackOutputsTheToolReads(t *testing.T) {
	outputs := mapOf(rawRepo(t)["Outputs"])
	for _, name := range []string{"TableName", "ApiUrl", "PublicUrl", "TokenSecretArn",
		"TouchpointFailureQueueUrl", "MailEventsFailureQueueUrl", "TickFailureQueueUrl",
		"TouchpointRuleDLQUrl", "MailEventsRuleDLQUrl", "StreamFailureQueueUrl",
		"TouchpointFunctionName", "MailEventsFunctionName", "FollowupFunctionName"} {
		if _, ok := outputs[name]; !ok {
			t.Errorf("output %s is not declared", name)
		}
	}
}

// The dashboard shows every survey of the catalog without naming one: its score widget searches
// the metric the scorer writes (namespace cxloop, Score by Survey and Window), so a survey added
// to surveys.yaml appears with no template change, and none is hard-coded.
func TestTheDashboardFindsTheCatalogsSurveysWithoutNamingThem(t *testing.T) {
	body, _ := mapOf(mapOf(mapOf(mapOf(rawRepo(t)["Resources"])["Dashboard"])["Properties"])["DashboardBody"])["Fn::Sub"].(string)
	if body == "" {
		t.Fatal("the dashboard body is not a !Sub string")
	}
	for _, s := range catalog.MustShipped().Surveys {
		if strings.Contains(body, `"`+s.ID+`"`) {
			t.Errorf("the dashboard names survey %s: it would miss surveys added later", s.ID)
		}
	}
	if !strings.Contains(body, `SEARCH('{`+telemetry.Namespace+`,Survey,Window} MetricName=\"Score\"`) {
		t.Errorf("the dashboard does not search the scorer's Score metric by Survey and Window:\n%s", body)
	}
}

// Every default, and every value the local tools use for a required parameter, passes the
// parameter's own constraint (CloudFormation refuses a stack whose value does not), and the
// constraints refuse what they are for.
func TestParameterConstraintsAcceptTheDefaultsAndRefuseBadValues(t *testing.T) {
	params := mapOf(rawRepo(t)["Parameters"])
	for name, p := range params {
		pattern, ok := mapOf(p)["AllowedPattern"].(string)
		if !ok {
			continue
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			t.Errorf("%s: AllowedPattern %q: %v", name, pattern, err)
			continue
		}
		value, hasDefault := mapOf(p)["Default"]
		v := scalar(value)
		if !hasDefault {
			v = LocalValues[name]
		}
		if !re.MatchString(v) {
			t.Errorf("%s: value %q does not match its own AllowedPattern %q", name, v, pattern)
		}
	}
	refused := map[string][]string{
		"SenderDomain":     {"", "Example.COM", "example", "-x.com", "a b.com", "surveys@example.org"},
		"SenderLocalPart":  {"", "a@b", "Surveys", "a b"},
		"OpsNotifyAddress": {"", "ops", "ops@", "a b@c.d"},
		"CustomDomain":     {"https://feedback.example.org", "feedback.example.org/"},
		"WebhookUrl":       {"http://hooks.example.org/x", "ftp://x"},
		"Stage":            {"", "Prod", "a_b", strings.Repeat("a", 21)},
	}
	for name, values := range refused {
		re := regexp.MustCompile(scalar(mapOf(params[name])["AllowedPattern"]))
		for _, v := range values {
			if re.MatchString(v) {
				t.Errorf("%s accepts %q", name, v)
			}
		}
	}
}
