package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
)

// The first tokens of a deployed stack come from this tool: created (shown once, stored hashed),
// listed without the token, and revoked so they stop working. Run against DynamoDB Local through
// the standard credential chain and AWS_ENDPOINT_URL_DYNAMODB, as against AWS.
func TestTokensAreCreatedListedAndRevokedThroughTheTool(t *testing.T) {
	env := storetest.Env(t)
	for _, k := range []string{"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} {
		t.Setenv(k, env[k])
	}
	st := storetest.New(t)
	ctx := context.Background()
	cxloop := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"-table", st.Table}, args...), &out)
		return strings.TrimSpace(out.String()), err
	}

	raw, err := cxloop("token", "create", "admin", "Ana (ops lead)")
	if err != nil || !strings.HasPrefix(raw, "cx_") {
		t.Fatalf("token create = %q, %v", raw, err)
	}
	tok, err := st.LookupAPIToken(ctx, raw)
	if err != nil || tok.Role != access.Admin || tok.Name != "Ana (ops lead)" {
		t.Fatalf("the created token does not sign in as admin: %+v %v", tok, err)
	}
	if _, err := cxloop("token", "create", "superuser", "x"); err == nil {
		t.Fatal("an unknown role was accepted")
	}
	if _, err := cxloop("token", "create", "producer", "orders service"); err != nil {
		t.Fatal(err)
	}
	for _, dup := range []string{"orders service", "Orders  Service", " ana (ops lead) "} {
		if out, err := cxloop("token", "create", "agent", dup); !errors.Is(err, access.ErrNameTaken) || out != "" {
			t.Fatalf("a second token named %q = %q, %v; want it refused", dup, out, err)
		}
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", 65), "a\x07b"} {
		if _, err := cxloop("token", "create", "agent", bad); err == nil {
			t.Fatalf("a token named %q was created", bad)
		}
	}

	list, err := cxloop("token", "list")
	if err != nil {
		t.Fatal(err)
	}
	hash := tok.Hash[:12]
	if !strings.Contains(list, hash) || !strings.Contains(list, "Ana (ops lead)") || !strings.Contains(list, "orders service") || strings.Contains(list, raw) {
		t.Fatalf("token list:\n%s\nwant both tokens by hash prefix, never the token", list)
	}

	if _, err := cxloop("token", "revoke", "abc"); err == nil {
		t.Fatal("a 3-character prefix revoked something")
	}
	if out, err := cxloop("token", "revoke", hash); err != nil || !strings.Contains(out, "revoked "+hash) {
		t.Fatalf("revoke = %q, %v", out, err)
	}
	if _, err := st.LookupAPIToken(ctx, raw); err != store.ErrNotFound {
		t.Fatalf("a revoked token still signs in: %v", err)
	}
	if _, err := cxloop("token", "revoke", hash); err == nil {
		t.Fatal("revoking twice succeeded")
	}
	if _, err := cxloop("token", "create", "admin", "Ana (ops lead)"); err != nil {
		t.Fatalf("the name of a revoked token is not free again: %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"nonsense"}, {"token"}, {"token", "create", "admin"}, {"outputs", "extra"}} {
		if err := run(context.Background(), args, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("cxloop %v = %v, want a usage error", args, err)
		}
	}
}
