package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/cxloop/cxloop/shared/store"
)

// token runs `token create|list|revoke`. Tokens are stored as their SHA-256 only: a new token is
// printed once and cannot be shown again; a listing shows hash prefixes.
func (d *deployment) token(ctx context.Context, args []string, out io.Writer) error {
	arity := map[string]int{"create": 3, "list": 1, "revoke": 2}
	if n, ok := arity[args[0]]; !ok || len(args) != n {
		return fmt.Errorf("%w: token %s\n%s", errUsage, strings.Join(args, " "), usage)
	}
	st, err := d.Store(ctx)
	if err != nil {
		return err
	}
	switch {
	case args[0] == "create" && len(args) == 3:
		raw, err := st.CreateAPIToken(ctx, strings.ToLower(args[1]), args[2])
		if err != nil {
			return err
		}
		fmt.Fprintln(out, raw)
		return nil
	case args[0] == "list" && len(args) == 1:
		list, err := st.ListAPITokens(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "HASH\tROLE\tNAME\tCREATED")
		for _, t := range list {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.Hash[:12], t.Role, t.Name, t.CreatedAt)
		}
		return w.Flush()
	case args[0] == "revoke" && len(args) == 2:
		t, err := st.RevokeAPIToken(ctx, args[1])
		switch {
		case errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("no token's hash starts with %s (see `cxloop token list`)", args[1])
		case err != nil:
			return err
		}
		fmt.Fprintf(out, "revoked %s (%s, %s)\n", t.Hash[:12], t.Role, t.Name)
		return nil
	}
	return fmt.Errorf("%w: token %s\n%s", errUsage, strings.Join(args, " "), usage)
}

// audit runs `audit NAME [N]`: the person's audit trail, newest first.
func (d *deployment) audit(ctx context.Context, args []string, out io.Writer) error {
	n := 50
	if len(args) == 2 {
		var err error
		if n, err = strconv.Atoi(args[1]); err != nil || n < 1 || n > 1000 {
			return fmt.Errorf("%w: audit NAME [N], N from 1 to 1000\n%s", errUsage, usage)
		}
	}
	st, err := d.Store(ctx)
	if err != nil {
		return err
	}
	list, err := st.AuditTrail(ctx, args[0], n)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "AT\tACTION\tSUBJECT\tCOUNT\tROLE\tTOKEN")
	for _, e := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", e.At.UTC().Format("2006-01-02 15:04:05"), e.Action, e.Subject, e.Count, e.Role, e.Token)
	}
	return w.Flush()
}
