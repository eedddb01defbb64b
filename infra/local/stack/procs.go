package stack

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// service is one background process of the stack. It runs in its own process group, so stopping
// it also stops anything it started (the runtime host's bootstrap processes under serve).
type service struct {
	name string
	// markers must all appear in /proc/<pid>/cmdline: a recycled pid is never mistaken for ours.
	markers []string
	dir     string
	args    []string
	env     []string
}

// pid returns the service's pid when its pid file names a live process that is still ours.
func (c Config) pid(s service) (int, bool) {
	raw, err := os.ReadFile(c.pidPath(s.name))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 1 {
		return 0, false
	}
	return pid, alive(pid, s.markers)
}

// alive reports whether pid is a running (not zombie) process whose command line holds markers.
func alive(pid int, markers []string) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name: "pid (comm) S ...".
	if i := bytes.LastIndexByte(stat, ')'); i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	for _, m := range markers {
		if !bytes.Contains(cmdline, []byte(m)) {
			return false
		}
	}
	return true
}

// start launches s in the background with its output in logs/<name>.log and records its pid.
func (c Config) start(s service) (int, error) {
	log, err := os.OpenFile(c.logPath(s.name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer log.Close()
	fmt.Fprintf(log, "---- %s %s\n", time.Now().UTC().Format(time.RFC3339), strings.Join(s.args, " "))
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = s.dir, log, log
	cmd.Env = append(os.Environ(), s.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", s.name, err)
	}
	pid := cmd.Process.Pid
	// Reap the child if it exits while this process still runs (tests), so it never lingers as a zombie.
	go cmd.Wait()
	if err := os.WriteFile(c.pidPath(s.name), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		syscall.Kill(-pid, syscall.SIGKILL)
		return 0, err
	}
	return pid, nil
}

// stop ends s's process group: SIGTERM, then SIGKILL after grace. It only signals a pid its pid
// file names and whose command line is still s's.
func (c Config) stop(s service, grace time.Duration) (bool, error) {
	pid, ok := c.pid(s)
	defer os.Remove(c.pidPath(s.name))
	if !ok {
		return false, nil
	}
	if err := syscall.Kill(-pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return false, fmt.Errorf("stop %s (pid %d): %w", s.name, pid, err)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !groupAlive(pid) {
			return true, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	syscall.Kill(-pid, syscall.SIGKILL)
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && groupAlive(pid); {
		time.Sleep(50 * time.Millisecond)
	}
	if groupAlive(pid) {
		return true, fmt.Errorf("stop %s: process group %d is still alive after SIGKILL", s.name, pid)
	}
	return true, nil
}

// groupAlive reports whether any non-zombie process is left in process group pgid.
func groupAlive(pgid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return syscall.Kill(-pgid, 0) == nil
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		// After ") " come: state ppid pgrp ...
		f := strings.Fields(string(stat[i+1:]))
		if len(f) >= 3 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}

// portOpen reports whether something accepts connections on host:port.
func portOpen(host string, port int) bool {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), 300*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
