package samtemplate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

const repoTemplate = "../../../template.yaml"

func loadRepo(t *testing.T, overrides map[string]string) *Template {
	t.Helper()
	tpl, err := Load(repoTemplate, overrides)
	if err != nil {
		t.Fatalf("load template.yaml: %v", err)
	}
	return tpl
}

func TestTheRepositoryTemplateDeclaresTheSevenFunctions(t *testing.T) {
	tpl := loadRepo(t, nil)
	want := map[string]string{
		"TouchpointFunction": "functions/touchpoint",
		"DispatchFunction":   "functions/dispatch",
		"SurveyFunction":     "functions/survey",
		"ScoreFunction":      "functions/score",
		"FollowupFunction":   "functions/followup",
		"TicketsFunction":    "functions/tickets",
		"MailEventsFunction": "functions/mailevents",
	}
	if len(tpl.Functions) != len(want) {
		t.Errorf("found %d functions, want %d", len(tpl.Functions), len(want))
	}
	for id, dir := range want {
		fn, ok := tpl.Function(id)
		if !ok {
			t.Errorf("%s is not declared", id)
			continue
		}
		if fn.Dir != dir {
			t.Errorf("%s: dir %q, want %q", id, fn.Dir, dir)
		}
		if fn.Env["TABLE_NAME"] != "" || fn.Env["STAGE"] != "prod" {
			t.Errorf("%s: globals not merged as expected: %v", id, fn.Env)
		}
		// A function whose package exists must have a main.go there (the build rule needs it).
		if _, err := os.Stat(filepath.Join(tpl.Root, dir)); err == nil {
			if _, err := os.Stat(filepath.Join(tpl.Root, dir, "main.go")); err != nil {
				t.Errorf("%s: %s exists without main.go", id, dir)
			}
		}
	}
}

func TestFunctionSettingsComeFromTheFunctionOrGlobals(t *testing.T) {
	tpl := loadRepo(t, nil)
	tests := []struct {
		id      string
		timeout time.Duration
		memory  int
	}{
		{"TouchpointFunction", 10 * time.Second, 256},
		{"DispatchFunction", 60 * time.Second, 256},
		{"ScoreFunction", 120 * time.Second, 256},
	}
	for _, tc := range tests {
		fn, _ := tpl.Function(tc.id)
		if fn.Timeout != tc.timeout || fn.MemoryMB != tc.memory {
			t.Errorf("%s: timeout %v memory %d, want %v %d", tc.id, fn.Timeout, fn.MemoryMB, tc.timeout, tc.memory)
		}
		// LoggingConfig comes from Globals (a function's own LoggingConfig names only its log group).
		if fn.LogFormat != "JSON" || fn.LogLevel != "INFO" {
			t.Errorf("%s: log format %q level %q, want JSON INFO from Globals.LoggingConfig", tc.id, fn.LogFormat, fn.LogLevel)
		}
	}
}

func TestEnvironmentResolvesParametersConditionsAndUnknowns(t *testing.T) {
	tests := []struct {
		name      string
		overrides map[string]string
		fn, key   string
		want      string
	}{
		{"a parameter ref yields its default", nil, "TouchpointFunction", "DECISION_RETENTION_DAYS", "90"},
		{"a parameter ref yields its override", map[string]string{"DecisionRetentionDays": "7"}, "TouchpointFunction", "DECISION_RETENTION_DAYS", "7"},
		{"a literal is kept", nil, "ScoreFunction", "SCORE_SETTLE_SECONDS", "60"},
		{"a secret's ARN is unknown locally", nil, "DispatchFunction", "TOKEN_SECRET_ARN", ""},
		{"the table ref yields the name passed in", map[string]string{"Table": "t-1"}, "DispatchFunction", "TABLE_NAME", "t-1"},
		{"an If on an empty BaseUrl falls to a Sub of the API id, unknown locally", nil, "DispatchFunction", "BASE_URL", ""},
		{"an If on a set BaseUrl yields it", map[string]string{"BaseUrl": "http://127.0.0.1:3000"}, "FollowupFunction", "BASE_URL", "http://127.0.0.1:3000"},
		{"an empty string literal stays declared", nil, "FollowupFunction", "TEAM_ADDRESSES", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fn, _ := loadRepo(t, tc.overrides).Function(tc.fn)
			got, declared := fn.Env[tc.key]
			if !declared || got != tc.want {
				t.Errorf("%s=%q (declared %v), want %q", tc.key, got, declared, tc.want)
			}
		})
	}
}

func TestRoutesSchedulesRulesAndStreams(t *testing.T) {
	tpl := loadRepo(t, map[string]string{"ScoreIntervalMinutes": "5"})
	survey, _ := tpl.Function("SurveyFunction")
	if len(survey.HTTP) != 8 || !hasRoute(survey.HTTP, "POST", "/s/{token}") || !hasRoute(survey.HTTP, "HEAD", "/u/{token}") ||
		!hasRoute(survey.HTTP, "GET", "/brand/{file}") || !hasRoute(survey.HTTP, "HEAD", "/brand/{file}") {
		t.Errorf("survey routes: %+v", survey.HTTP)
	}
	tickets, _ := tpl.Function("TicketsFunction")
	if !hasRoute(tickets.HTTP, "ANY", "/ops/{proxy+}") {
		t.Errorf("tickets routes: %+v", tickets.HTTP)
	}

	schedules := map[string]time.Duration{"DispatchFunction": time.Minute, "ScoreFunction": 5 * time.Minute, "FollowupFunction": 5 * time.Minute}
	for id, every := range schedules {
		fn, _ := tpl.Function(id)
		if len(fn.Schedules) != 1 || fn.Schedules[0].Every != every {
			t.Errorf("%s schedules %+v, want every %v", id, fn.Schedules, every)
		}
	}
	if score, _ := loadRepo(t, nil).Function("ScoreFunction"); score.Schedules[0].Every != 15*time.Minute {
		t.Errorf("the default score interval is %v, want 15m", score.Schedules[0].Every)
	}

	touch, _ := tpl.Function("TouchpointFunction")
	if len(touch.Rules) != 1 {
		t.Fatalf("touchpoint rules: %+v", touch.Rules)
	}
	if dt, _ := touch.Rules[0].Pattern["detail-type"].([]any); len(dt) != 1 || dt[0] != "Touchpoint" {
		t.Errorf("touchpoint pattern %v", touch.Rules[0].Pattern)
	}

	follow, _ := tpl.Function("FollowupFunction")
	if len(follow.Streams) != 1 {
		t.Fatalf("followup streams: %+v", follow.Streams)
	}
	s := follow.Streams[0]
	if s.BatchSize != 25 || s.BatchWindow != time.Second || !s.ReportBatchItemFailures || s.MaxRetryAttempts != 5 || !s.Bisect {
		t.Errorf("stream settings %+v", s)
	}
	if len(s.Filters) != 2 {
		t.Fatalf("stream filters %v", s.Filters)
	}
	for _, f := range s.Filters {
		var p map[string]any
		if err := json.Unmarshal([]byte(f), &p); err != nil || p["eventName"] == nil {
			t.Errorf("filter %q is not a JSON pattern on eventName: %v", f, err)
		}
	}
}

func hasRoute(rs []Route, method, path string) bool {
	for _, r := range rs {
		if r.Method == method && r.Path == path {
			return true
		}
	}
	return false
}

func TestCreateTableInputFollowsTheTableResource(t *testing.T) {
	tpl := loadRepo(t, nil)
	in := tpl.CreateTableInput("cx-test")
	if aws.ToString(in.TableName) != "cx-test" || string(in.BillingMode) != "PAY_PER_REQUEST" {
		t.Errorf("name %q billing %q", aws.ToString(in.TableName), in.BillingMode)
	}
	if len(in.KeySchema) != 2 || aws.ToString(in.KeySchema[0].AttributeName) != "PK" || in.KeySchema[0].KeyType != "HASH" {
		t.Errorf("key schema %+v", in.KeySchema)
	}
	if len(in.AttributeDefinitions) != 10 {
		t.Errorf("%d attribute definitions, want 10", len(in.AttributeDefinitions))
	}
	if len(in.GlobalSecondaryIndexes) != 4 {
		t.Fatalf("%d GSIs, want 4", len(in.GlobalSecondaryIndexes))
	}
	for i, g := range in.GlobalSecondaryIndexes {
		name := []string{"GSI1", "GSI2", "GSI3", "GSI4"}[i]
		// The due index projects keys only: a claim must not rewrite it (one write unit).
		projection := []string{"INCLUDE", "ALL", "INCLUDE", "KEYS_ONLY"}[i]
		if aws.ToString(g.IndexName) != name || string(g.Projection.ProjectionType) != projection || aws.ToString(g.KeySchema[0].AttributeName) != name+"PK" {
			t.Errorf("GSI %d: %+v", i, g)
		}
		if g.ProvisionedThroughput != nil {
			t.Errorf("an on-demand table's GSI has provisioned throughput")
		}
		if projection == "INCLUDE" && len(g.Projection.NonKeyAttributes) == 0 {
			t.Errorf("GSI %s projects no attributes", name)
		}
	}
	if in.StreamSpecification == nil || !aws.ToBool(in.StreamSpecification.StreamEnabled) || in.StreamSpecification.StreamViewType != "NEW_AND_OLD_IMAGES" {
		t.Errorf("stream %+v", in.StreamSpecification)
	}
	if tpl.TTLAttribute() != "ttl" {
		t.Errorf("ttl attribute %q", tpl.TTLAttribute())
	}
}

func TestFunctionEnvAppliesEnvJSONToDeclaredVariablesOnly(t *testing.T) {
	tpl := loadRepo(t, nil)
	path := filepath.Join(t.TempDir(), "env.json")
	os.WriteFile(path, []byte(`{"Parameters": {"STAGE": "local", "UNDECLARED": "x"},
		"DispatchFunction": {"TOKEN_DEV_KEY": "k", "SEND_RATE_PER_TICK": 3}}`), 0o600)
	env, err := LoadEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fn, _ := tpl.Function("DispatchFunction")
	got := tpl.FunctionEnv(fn, "cxloop-local", env)
	want := map[string]string{"STAGE": "local", "TOKEN_DEV_KEY": "k", "SEND_RATE_PER_TICK": "3", "TABLE_NAME": "cxloop-local", "SENDER_ADDRESS": "surveys@example.com"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
	if _, ok := got["UNDECLARED"]; ok {
		t.Error("an undeclared variable was added")
	}
	other, _ := tpl.Function("SurveyFunction")
	if tpl.FunctionEnv(other, "", env)["TOKEN_DEV_KEY"] != "" {
		t.Error("a function section leaked into another function")
	}
	if missing, err := LoadEnvFile(filepath.Join(t.TempDir(), "none.json")); err != nil || len(missing) != 0 {
		t.Errorf("a missing env.json: %v %v", missing, err)
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		expr    string
		want    time.Duration
		wantErr bool
	}{
		{"rate(1 minute)", time.Minute, false},
		{"rate(15 minutes)", 15 * time.Minute, false},
		{"rate(2 hours)", 2 * time.Hour, false},
		{"rate(1 day)", 24 * time.Hour, false},
		{"rate(1 minutes)", 0, true},
		{"rate(5 minute)", 0, true},
		{"rate(0 minutes)", 0, true},
		{"cron(0 12 * * ? *)", 0, true},
	}
	for _, tc := range tests {
		got, err := ParseRate(tc.expr)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v (error %v)", tc.expr, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestShortFormIntrinsicsParse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "template.yaml")
	os.WriteFile(path, []byte(`
Parameters:
  Env: {Type: String, Default: dev}
  N: {Type: Number, Default: 3}
Conditions:
  IsDev: !Equals [!Ref Env, dev]
  NotDev: !Not [!Condition IsDev]
  Both: !And [!Condition IsDev, !Or [!Condition NotDev, !Equals [a, a]]]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          A: !If [IsDev, !Sub "${Env}-${AWS::Region}", prod]
          B: !If [NotDev, x, !Join ["-", [a, !Ref N]]]
          C: !Sub ["${X}/${!Literal}", {X: !Ref Env}]
          D: !GetAtt Table.Arn
          E: !If [Both, yes, no]
      Events:
        Tick:
          Type: Schedule
          Properties: {ScheduleExpression: !Sub "rate(${N} hours)"}
`), 0o600)
	tpl, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	fn, ok := tpl.Function("HelloFunction")
	if !ok || fn.Dir != "functions/hello" {
		t.Fatalf("function %+v", fn)
	}
	want := map[string]string{"A": "dev-us-east-1", "B": "a-3", "C": "dev/${Literal}", "D": "", "E": "yes"}
	for k, v := range want {
		if fn.Env[k] != v {
			t.Errorf("%s=%q, want %q", k, fn.Env[k], v)
		}
	}
	if fn.Schedules[0].Every != 3*time.Hour {
		t.Errorf("schedule %+v", fn.Schedules)
	}
	if in := tpl.CreateTableInput("x"); in.BillingMode != "PAY_PER_REQUEST" || len(in.GlobalSecondaryIndexes) != 0 {
		t.Errorf("table input %+v", in)
	}
}

func TestPoliciesResolveToComparableResources(t *testing.T) {
	tpl, err := Load("../../../template.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	dispatch, _ := tpl.Function("DispatchFunction")
	tests := []struct {
		action, resource string
		want             bool
	}{
		{"dynamodb:UpdateItem", "Table", true},
		{"dynamodb:Query", "Table/index/GSI4", true},
		{"dynamodb:Query", "Table/index/GSI2", false},
		{"dynamodb:Query", "Table/index/GSI1", false},
		{"dynamodb:Query", "Table", false},
		{"dynamodb:DeleteItem", "Table", false},
		{"secretsmanager:GetSecretValue", "TokenSecret", true},
	}
	for _, tc := range tests {
		if got := dispatch.Allows(tc.action, tc.resource); got != tc.want {
			t.Errorf("DispatchFunction allows %s on %s = %v, want %v (%+v)", tc.action, tc.resource, got, tc.want, dispatch.Policies)
		}
	}
}

func TestAsyncSettingsComeFromEventInvokeConfig(t *testing.T) {
	tpl := loadRepo(t, nil)
	tests := []struct {
		fn        string
		retries   int
		age       time.Duration
		onFailure string
	}{
		{"TouchpointFunction", 2, 6 * time.Hour, "TouchpointFailures"},
		{"MailEventsFunction", 2, 6 * time.Hour, "MailEventsFailures"},
		{"DispatchFunction", 0, time.Minute, "TickFailures"},
		{"SurveyFunction", 2, 6 * time.Hour, ""}, // Lambda's defaults: never invoked asynchronously
	}
	for _, tc := range tests {
		fn, _ := tpl.Function(tc.fn)
		if fn.Async.MaxRetryAttempts != tc.retries || fn.Async.MaxEventAge != tc.age || fn.Async.OnFailure != tc.onFailure {
			t.Errorf("%s: %+v, want %d retries, %v, %q", tc.fn, fn.Async, tc.retries, tc.age, tc.onFailure)
		}
	}
}

// The Send-event rule is scoped to this stack's configuration set: its pattern's !Sub resolves to
// the same name the functions get as CONFIGURATION_SET (what SES puts in ses:configuration-set).
func TestTheSendEventRuleNamesTheStacksConfigurationSet(t *testing.T) {
	tpl := loadRepo(t, map[string]string{"Stage": "local"})
	dispatch, _ := tpl.Function("DispatchFunction")
	if got := dispatch.Env["CONFIGURATION_SET"]; got != "cxloop-local" {
		t.Fatalf("CONFIGURATION_SET = %q, want cxloop-local", got)
	}
	fn, _ := tpl.Function("MailEventsFunction")
	for _, r := range fn.Rules {
		if r.Name != "MailSent" {
			continue
		}
		b, _ := json.Marshal(r.Pattern)
		want := `{"detail":{"mail":{"tags":{"ses:configuration-set":["cxloop-local"]}}},"detail-type":["Email Sent","Email Delivered"],"source":["aws.ses"]}`
		if string(b) != want {
			t.Fatalf("MailSent pattern %s, want %s", b, want)
		}
		return
	}
	t.Fatal("MailEventsFunction has no MailSent rule")
}
