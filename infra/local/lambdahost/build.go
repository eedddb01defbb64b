package lambdahost

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// LocalTags are the build tags of every bootstrap the local host runs: lambda.norpc as in AWS, and
// cxloop.local, which only the local stack's builds carry (it lets FollowupFunction deliver
// webhooks to the test receivers on 127.0.0.1; `sam build` never sets it).
const LocalTags = "lambda.norpc,cxloop.local"

// Build compiles the Go package pkg (a path or import path, run from dir) into out as a Lambda
// bootstrap for the host's OS and architecture, with the flags the deployed binary uses
// (-trimpath -ldflags='-s -w') and LocalTags. Locally the host architecture stands in for arm64,
// which `sam build` targets.
func Build(ctx context.Context, dir, pkg, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", LocalTags, "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, stderr.Bytes())
	}
	return nil
}
