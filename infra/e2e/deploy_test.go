package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeDeployIsUnattendedOnceSamconfigExists runs `make deploy` with a stand-in SAM CLI that
// records its arguments, stdin closed: without samconfig.toml the deploy is guided; with it the
// deploy asks nothing (no guided mode, no changeset confirmation) and a no-change deploy is not
// an error.
func TestMakeDeployIsUnattendedOnceSamconfigExists(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	fake := filepath.Join(dir, "sam")
	script := "#!/bin/sh\necho \"$*\" >> " + calls + "\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "samconfig.toml")
	run := func() []string {
		t.Helper()
		os.Remove(calls)
		cmd := exec.Command("make", "--no-print-directory", "-C", root, "deploy", "SAM="+fake, "SAM_CONFIG="+config, "SAM_CONFIG_ENV=staging")
		cmd.Stdin = nil // /dev/null: nobody answers
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make deploy: %v\n%s", err, out)
		}
		b, err := os.ReadFile(calls)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}

	first := run()
	if len(first) != 4 || !strings.HasPrefix(first[0], "validate --region") || first[1] != "validate --lint" ||
		first[2] != "build --build-in-source" || !strings.Contains(first[3], "deploy --guided") {
		t.Errorf("without samconfig.toml: %q, want validate, validate --lint, build, a guided deploy", first)
	}

	if err := os.WriteFile(config, []byte("version = 0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := run()
	last := later[len(later)-1]
	if len(later) != 4 || strings.Contains(last, "--guided") || !strings.Contains(last, "--no-confirm-changeset") ||
		!strings.Contains(last, "--no-fail-on-empty-changeset") || !strings.Contains(last, "--config-file "+config) ||
		!strings.Contains(last, "--config-env staging") {
		t.Errorf("with samconfig.toml: %q, want an unattended deploy of section staging from %s", later, config)
	}
}
