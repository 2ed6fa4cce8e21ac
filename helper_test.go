// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux || windows

package flock_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/require"
)

// Multi-process tests re-run this test binary as a helper process. The
// helper's role comes from FLOCK_HELPER; TestMain runs it instead of the
// tests. A helper reports each step on stdout, one line per step, after the
// step is done, so the parent never mistakes "about to lock" for "holds".
const helperEnv = "FLOCK_HELPER"

func TestMain(m *testing.M) {
	if role := os.Getenv(helperEnv); role != "" {
		os.Exit(runHelper(role, os.Args[len(os.Args)-1]))
	}
	os.Exit(m.Run())
}

// helperRoles maps a role to the function a helper process runs, given the
// last command-line argument (a lock path); test files add their own roles
// in init functions.
var helperRoles = map[string]func(path string) int{
	"lock":     func(p string) int { return holdHelper("lock", p) },
	"rlock":    func(p string) int { return holdHelper("rlock", p) },
	"trylock":  func(p string) int { return holdHelper("trylock", p) },
	"tryrlock": func(p string) int { return holdHelper("tryrlock", p) },
	"lockctx":  func(p string) int { return holdHelper("lockctx", p) },
	"count":    countHelper,
}

func runHelper(role, path string) int {
	if run, ok := helperRoles[role]; ok {
		return run(path)
	}
	fmt.Fprintln(os.Stderr, "unknown helper role", role)
	return 2
}

// holdHelper takes the lock the way role says, prints "locked" (or the
// error), then holds until stdin is closed. A line "unlock" on stdin makes it
// unlock first and print "unlocked".
func holdHelper(role, path string) int {
	l, err := flock.New(path)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	switch role {
	case "lock":
		err = l.Lock()
	case "rlock":
		err = l.RLock()
	case "trylock":
		err = l.TryLock()
	case "tryrlock":
		err = l.TryRLock()
	case "lockctx":
		err = l.LockContext(context.Background())
	}
	switch {
	case errors.Is(err, flock.ErrLocked):
		fmt.Println("busy")
		return 0
	case err != nil:
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("locked")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "unlock" {
			if err := l.Unlock(); err != nil {
				fmt.Println("error:", err)
				return 1
			}
			fmt.Println("unlocked")
		}
	}
	return 0
}

// countHelper increments the counter file next to the lock under the lock,
// FLOCK_ROUNDS times or for FLOCK_SECONDS, and prints how many it did.
func countHelper(path string) int {
	l, err := flock.New(path)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	rounds, _ := strconv.Atoi(os.Getenv("FLOCK_ROUNDS"))
	seconds, _ := strconv.ParseFloat(os.Getenv("FLOCK_SECONDS"), 64)
	deadline := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	ctx, cancel := context.WithCancel(context.Background()) // a context that can end: the cancellable path
	defer cancel()
	counter := path + ".count"
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n') // start together
	n := 0
	for rounds > 0 && n < rounds || seconds > 0 && time.Now().Before(deadline) {
		if err := l.LockContext(ctx); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		if err := increment(counter); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		if err := l.Unlock(); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		n++
	}
	fmt.Println(n)
	return 0
}

// increment reads a decimal number from file and writes it back plus one: a
// read-modify-write that loses updates unless the lock excludes.
func increment(file string) error {
	b, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return os.WriteFile(file, []byte(strconv.Itoa(n+1)), 0o644)
}

// helper is a running helper process.
type helper struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

// startHelper starts a helper process in role on path and returns once it has
// printed its first line, which it also returns.
func startHelper(t *testing.T, role, path string, env ...string) (*helper, string) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run=^$", path)
	cmd.Env = append(append(os.Environ(), helperEnv+"="+role), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	h := &helper{t: t, cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	t.Cleanup(func() { h.cmd.Process.Kill(); h.cmd.Wait() })
	line := h.readLine()
	t.Logf("helper %d (%s %s): %s", cmd.Process.Pid, role, filepath.Base(path), line)
	return h, line
}

func (h *helper) readLine() string {
	h.t.Helper()
	line, err := h.out.ReadString('\n')
	require.NoError(h.t, err, "helper output")
	return strings.TrimSpace(line)
}

func (h *helper) send(line string) {
	h.t.Helper()
	_, err := io.WriteString(h.stdin, line+"\n")
	require.NoError(h.t, err)
}

// exit closes the helper's stdin, so that it exits, and waits for it.
func (h *helper) exit() {
	h.t.Helper()
	h.stdin.Close()
	require.NoError(h.t, h.cmd.Wait())
}

// mustHold starts a helper that takes the lock in role and requires that it
// holds it.
func mustHold(t *testing.T, role, path string) *helper {
	t.Helper()
	h, line := startHelper(t, role, path)
	require.Equal(t, "locked", line)
	return h
}

// probe reports, from a fresh process, whether the lock at path can be taken
// in mode ("trylock" or "tryrlock") right now: "locked" or "busy".
func probe(t *testing.T, role, path string) string {
	t.Helper()
	h, line := startHelper(t, role, path)
	h.exit()
	return line
}

// Waiting for something that must not happen can only be bounded by a guess;
// these bounds only decide how long a test looks before it concludes "still
// blocked", so a slow machine can make a test slower, never wrong.
const quiescent = 100 * time.Millisecond

// pending is a call running in its own goroutine.
type pending struct {
	t    *testing.T
	what string
	done chan error
}

// mustBlock starts f in a goroutine and requires that it has not returned
// after a quiet period.
func mustBlock(t *testing.T, what string, f func() error) *pending {
	t.Helper()
	p := &pending{t: t, what: what, done: make(chan error, 1)}
	go func() { p.done <- f() }()
	p.stillBlocked(what)
	return p
}

func (p *pending) stillBlocked(what string) {
	p.t.Helper()
	select {
	case err := <-p.done:
		p.t.Fatalf("%s returned %v; want it to block", what, err)
	case <-time.After(quiescent):
	}
	p.t.Logf("%s is blocked", what)
}

// wait returns f's result. It logs and keeps waiting if that takes long: a
// real deadlock is for go test -timeout to report.
func (p *pending) wait() error {
	p.t.Helper()
	for {
		select {
		case err := <-p.done:
			return err
		case <-time.After(10 * time.Second):
			p.t.Logf("%s still blocked; waiting", p.what)
		}
	}
}

func lockPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "test.lock")
}

func mustNew(t *testing.T, path string, opts ...flock.Option) *flock.Lock {
	t.Helper()
	l, err := flock.New(path, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}
