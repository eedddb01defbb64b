// Command cxlocal runs cxloop on this machine without an AWS account:
//
//	cxlocal up            start DynamoDB Local, the SES stand-in and (when built in) the local API
//	cxlocal down          stop what up started, by pid
//	cxlocal status        list what runs; exit status 1 when nothing does
//	cxlocal token ROLE    print a new API token (producer, viewer, agent, admin)
//
// Each subcommand lives in its own file and registers itself in init, so adding one (serve,
// invoke, demo) touches no other file.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/cxloop/cxloop/infra/local/stack"
)

// command is one subcommand.
type command struct {
	usage string
	run   func(ctx context.Context, args []string) error
}

// commands is filled by init functions only, before main runs.
var commands = map[string]command{}

func register(name, usage string, run func(ctx context.Context, args []string) error) {
	if _, dup := commands[name]; dup {
		panic("cxlocal: command registered twice: " + name)
	}
	commands[name] = command{usage: usage, run: run}
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "cxlocal: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmd.run(ctx, os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "cxlocal %s: %v\n", os.Args[1], err)
		stop()
		os.Exit(1)
	}
}

func usage() {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(os.Stderr, "usage: cxlocal COMMAND [ARGS]")
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", n, commands[n].usage)
	}
}

// runningStack returns the local stack's configuration and the env file `make up` wrote, or an
// error telling the user to start it.
func runningStack() (stack.Config, map[string]string, error) {
	cfg, err := stack.FromEnv()
	if err != nil {
		return cfg, nil, err
	}
	env, err := stack.ReadEnv(cfg.EnvPath())
	if err != nil {
		return cfg, nil, fmt.Errorf("the local stack is not up (%v): run `make up`", err)
	}
	return cfg, env, nil
}
