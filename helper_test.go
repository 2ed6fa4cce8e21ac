// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/require"
)

// Multi-process tests run this test binary again as a helper process in a
// role: a method of helperRoles, defined next to the tests that use it, which
// TestMain runs instead of the tests when FLOCK_TEST_ROLE names it. A helper
// reports each step on stdout, one line per step, after the step is done, so
// the parent never mistakes "about to lock" for "holds".
const roleEnv = "FLOCK_TEST_ROLE"

// helperRoles has a method for each role: it gets the helper's command-line
// arguments and returns its exit status.
type helperRoles struct{}

func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		run := reflect.ValueOf(helperRoles{}).MethodByName(role)
		if !run.IsValid() {
			fmt.Fprintln(os.Stderr, "unknown helper role", role)
			os.Exit(2)
		}
		os.Exit(run.Interface().(func([]string) int)(os.Args[1:]))
	}
	code := m.Run()
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

// sharedDir, if set, is a directory that every user may enter, which
// TestMain removes once the tests have run.
var sharedDir string

// startRole starts a helper process in role with args.
func startRole(t *testing.T, role string, args []string, opts ...procOption) *proc {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	p := launch(t, append([]string{exe}, args...), append([]procOption{withEnv(roleEnv + "=" + role)}, opts...)...)
	p.name = role
	return p
}

// startHelper starts a helper that takes the lock at path as how says (see
// Hold), and returns once the helper has printed its first line, which it
// also returns.
func startHelper(t *testing.T, how, path string, opts ...procOption) (*proc, string) {
	t.Helper()
	p := startRole(t, "Hold", []string{how, path}, opts...)
	line := p.readLine()
	t.Logf("helper %d (%s %s): %s", p.cmd.Process.Pid, how, filepath.Base(path), line)
	return p, line
}

// startRoleLine starts a helper in role on arg and returns it with the first
// line it printed.
func startRoleLine(t *testing.T, role, arg string, opts ...procOption) (*proc, string) {
	t.Helper()
	p := startRole(t, role, []string{arg}, opts...)
	return p, p.readLine()
}

// mustHoldRole starts a helper in role on arg and requires that it holds
// the lock.
func mustHoldRole(t *testing.T, role, arg string) *proc {
	t.Helper()
	p, line := startRoleLine(t, role, arg)
	require.Equal(t, "locked", line)
	return p
}

// mustHold starts a helper that takes the lock as how says and requires
// that it holds it.
func mustHold(t *testing.T, how, path string) *proc {
	t.Helper()
	p, line := startHelper(t, how, path)
	require.Equal(t, "locked", line)
	return p
}

// probe reports, from a fresh process, whether the lock at path can be taken
// as how says ("trylock" or "tryrlock") right now: "locked" or "busy". A
// probe that got the lock unlocks it before it exits: Windows releases the
// locks of a process that ended only eventually, and the next probe must not
// find this one's.
func probe(t *testing.T, how, path string) string {
	t.Helper()
	p, line := startHelper(t, how, path)
	if line == "locked" {
		p.send("unlock")
		require.Equal(t, "unlocked", p.readLine())
	}
	p.exit()
	return line
}

// Hold takes the lock at args[1] the way args[0] says (lock, rlock, trylock,
// tryrlock or lockctx), prints "locked", "busy" or the error, then holds
// until stdin is closed. A line "unlock" on stdin makes it unlock first and
// print "unlocked".
func (helperRoles) Hold(args []string) int {
	how, path := args[0], args[1]
	l, err := flock.New(path)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	switch how {
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
	default:
		err = fmt.Errorf("unknown way to lock %q", how)
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

// lockPath returns a path for a lock file in a directory of the test's own.
func lockPath(t *testing.T) string {
	t.Helper()
	return filepath.Join(tempDir(t), "test.lock")
}

func mustNew(t *testing.T, path string, opts ...flock.Option) *flock.Lock {
	t.Helper()
	l, err := flock.New(path, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}
