package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFunctionEnvComposesTemplateLocalStackAndEnvJSON(t *testing.T) {
	state := t.TempDir()
	t.Setenv("CXLOOP_STATE_DIR", state)
	local := "TABLE_NAME=cxloop-test\nTOKEN_DEV_KEY=dev-key\nAPI_URL=http://127.0.0.1:9999\n" +
		"AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000\nAWS_REGION=us-east-1\nPRODUCER_TOKEN=cx_secret\n"
	if err := os.WriteFile(filepath.Join(state, "env"), []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	envJSON := filepath.Join(t.TempDir(), "env.json")
	overrides := `{"Parameters": {"SEND_RATE_PER_TICK": "7", "UNDECLARED": "x"}, "DispatchFunction": {"SENDER_ADDRESS": "ops@example.org", "TOKEN_DEV_KEY": "override"}}`
	if err := os.WriteFile(envJSON, []byte(overrides), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := loadDeployment(envJSON)
	if err != nil {
		t.Fatal(err)
	}
	fn, ok := d.tpl.Function("DispatchFunction")
	if !ok {
		t.Fatal("no DispatchFunction in template.yaml")
	}
	env := d.functionEnv(fn)
	tests := []struct {
		name, key, want string
		present         bool
	}{
		{"the table comes from .local/env", "TABLE_NAME", "cxloop-test", true},
		{"links point at the local API", "BASE_URL", "http://127.0.0.1:9999", true},
		{"env.json Parameters override a declared variable", "SEND_RATE_PER_TICK", "7", true},
		{"env.json's function section overrides a declared variable", "SENDER_ADDRESS", "ops@example.org", true},
		{"env.json wins over .local/env", "TOKEN_DEV_KEY", "override", true},
		{"the local endpoints are passed", "AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000", true},
		{"a variable the function does not declare is not passed", "PRODUCER_TOKEN", "", false},
		{"env.json cannot add undeclared variables", "UNDECLARED", "", false},
	}
	for _, tt := range tests {
		got, present := env[tt.key]
		if got != tt.want || present != tt.present {
			t.Errorf("%s: %s = %q (present %v), want %q (present %v)", tt.name, tt.key, got, present, tt.want, tt.present)
		}
	}
}

func TestSampleEventPlaceholdersAreFilledFromTheLocalEnv(t *testing.T) {
	got := string(expandEvent([]byte(`{"authorization":"Bearer ${PRODUCER_TOKEN}","x":"${NOT_SET}"}`), map[string]string{"PRODUCER_TOKEN": "cx_abc"}))
	if want := `{"authorization":"Bearer cx_abc","x":"${NOT_SET}"}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
