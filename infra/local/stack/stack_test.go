package stack

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/store"
)

// TestMain doubles as a stand-in for `cxlocal serve` when CXLOOP_FAKE_SERVE is set: it starts a
// child process (as the runtime host starts bootstraps) and listens on CXLOOP_API_PORT.
func TestMain(m *testing.M) {
	if os.Getenv("CXLOOP_FAKE_SERVE") != "" {
		child := exec.Command("sleep", "300")
		if err := child.Start(); err != nil {
			os.Exit(3)
		}
		os.WriteFile(filepath.Join(os.Getenv("CXLOOP_STATE_DIR"), "child.pid"), []byte(strconv.Itoa(child.Process.Pid)), 0o644)
		l, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("CXLOOP_API_PORT"))
		if err != nil {
			os.Exit(4)
		}
		for {
			c, err := l.Accept()
			if err == nil {
				c.Close()
			}
		}
	}
	os.Exit(m.Run())
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestUpTwiceThenDownLeavesNothingRunning starts a private stack on free ports, so it runs beside
// the developer's own `make up`.
func TestUpTwiceThenDownLeavesNothingRunning(t *testing.T) {
	root, err := FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	c := Config{Root: root, StateDir: t.TempDir(), Host: "127.0.0.1", DDBPort: freePort(t), SESPort: freePort(t), APIPort: freePort(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t.Cleanup(func() { Down(c, nil) })

	t.Setenv("CXLOOP_FAKE_SERVE", "1")
	serve := []string{os.Args[0], "serve"}
	env, err := Up(ctx, c, Options{Serve: serve})
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	pids := Running(c)
	if len(pids) != 3 {
		t.Fatalf("running after up: %v", pids)
	}
	written, err := ReadEnv(c.EnvPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"API_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SESV2", "SES_STORE_URL", "MAIL_VIEWER_URL",
		"TABLE_NAME", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "TOKEN_DEV_KEY", "PRODUCER_TOKEN", "OPS_TOKEN"} {
		if written[k] == "" || written[k] != env[k] {
			t.Errorf("env %s=%q (returned %q)", k, written[k], env[k])
		}
	}

	db := Client(env["AWS_ENDPOINT_URL_DYNAMODB"])
	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(TableName)})
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := Template()
	if err != nil {
		t.Fatal(err)
	}
	if want := len(tpl.CreateTableInput(TableName).GlobalSecondaryIndexes); want == 0 || len(desc.Table.GlobalSecondaryIndexes) != want ||
		desc.Table.StreamSpecification == nil || desc.Table.LatestStreamArn == nil {
		t.Errorf("the table was not created from template.yaml: %+v", desc.Table)
	}
	ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(TableName)})
	if err != nil || aws.ToString(ttl.TimeToLiveDescription.AttributeName) != "ttl" {
		t.Errorf("ttl %+v %v", ttl, err)
	}
	st := store.New(db, TableName)
	for token, role := range map[string]string{env["PRODUCER_TOKEN"]: access.Producer, env["OPS_TOKEN"]: access.Admin} {
		rec, err := st.LookupAPIToken(ctx, token)
		if err != nil || rec.Role != role {
			t.Errorf("token for %s: %+v %v", role, rec, err)
		}
	}

	again, err := Up(ctx, c, Options{Serve: serve})
	if err != nil {
		t.Fatalf("second up: %v", err)
	}
	if again["OPS_TOKEN"] != env["OPS_TOKEN"] || again["PRODUCER_TOKEN"] != env["PRODUCER_TOKEN"] {
		t.Error("a second up replaced the tokens of a live stack")
	}
	if p := Running(c); p["dynamodb"] != pids["dynamodb"] || p["ses"] != pids["ses"] || p["serve"] != pids["serve"] {
		t.Errorf("a second up restarted services: %v then %v", pids, p)
	}

	raw, err := os.ReadFile(filepath.Join(c.StateDir, "child.pid"))
	if err != nil {
		t.Fatal(err)
	}
	child, _ := strconv.Atoi(string(raw))
	if !alive(child, []string{"sleep"}) {
		t.Fatalf("the server's child %d is not running", child)
	}

	if err := Down(c, nil); err != nil {
		t.Fatalf("down: %v", err)
	}
	if alive(child, nil) {
		t.Errorf("the server's child (pid %d) still runs after down", child)
	}
	for name, pid := range pids {
		if alive(pid, nil) {
			t.Errorf("%s (pid %d) still runs after down", name, pid)
		}
		if groupAlive(pid) {
			t.Errorf("process group of %s (%d) still has members", name, pid)
		}
	}
	// The processes are gone (checked above); a port may take a moment to stop answering. The
	// ports were picked free by the test, so other packages running in parallel (each with its own
	// random-port listeners) can, rarely, be handed one right after: wait, then name the port.
	for _, port := range []int{c.DDBPort, c.SESPort, c.APIPort} {
		deadline := time.Now().Add(5 * time.Second)
		for portOpen(c.Host, port) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if portOpen(c.Host, port) {
			t.Errorf("port %d is still open 5 s after down", port)
		}
	}
	if _, err := os.Stat(c.EnvPath()); err == nil {
		t.Error("the env file survived down")
	}
}

func TestUpRefusesAPortTakenBySomethingElse(t *testing.T) {
	root, _ := FindRoot()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c := Config{Root: root, StateDir: t.TempDir(), Host: "127.0.0.1", DDBPort: l.Addr().(*net.TCPAddr).Port, SESPort: freePort(t)}
	t.Cleanup(func() { Down(c, nil) })
	_, err = Up(context.Background(), c, Options{})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("up on a taken port: %v", err)
	}
}

func TestJavaMajor(t *testing.T) {
	tests := []struct {
		out  string
		want int
	}{
		{`openjdk version "17.0.15" 2025-04-15`, 17},
		{`java version "1.8.0_392"`, 8},
		{`openjdk version "21" 2023-09-19`, 21},
	}
	for _, tc := range tests {
		if got, err := JavaMajor(tc.out); err != nil || got != tc.want {
			t.Errorf("JavaMajor(%q) = %d, %v; want %d", tc.out, got, err, tc.want)
		}
	}
	if _, err := JavaMajor("command not found"); err == nil {
		t.Error("garbage parsed as a version")
	}
}

func TestTheDevKeyIsLongEnoughForHMAC(t *testing.T) {
	if len(DevKey) != 64 {
		t.Errorf("DevKey is %d characters, want 64", len(DevKey))
	}
}

func TestEnvFileRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env")
	in := map[string]string{"A": "1", "URL": "http://x/y?z=1", "EMPTY": ""}
	if err := WriteEnv(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadEnv(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) || out["URL"] != in["URL"] || out["EMPTY"] != "" {
		t.Errorf("read back %v", out)
	}
}
