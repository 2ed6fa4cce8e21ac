// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock_test

// How a test starts a process, talks to it over its stdin and stdout, and
// waits for it.

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A proc is a process that a test started: a helper, or a tool.
type proc struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader

	waited  sync.Once // see wait
	waitErr error
}

// wait waits for the process to exit and returns what exec.Cmd.Wait did.
// The test's cleanup and a goroutine that reads the process's output may
// both wait for it, and of two Waits of one Cmd made at once, one may
// never return (both wait for the one result the Cmd's context watcher
// sends; this hung a CI run): so every wait goes through here, and only the
// first calls Wait.
func (p *proc) wait() error {
	p.waited.Do(func() { p.waitErr = p.cmd.Wait() })
	return p.waitErr
}

// A procOption changes how launch starts a process.
type procOption func(*exec.Cmd)

// withEnv adds variables to the process's environment.
func withEnv(kv ...string) procOption {
	return func(c *exec.Cmd) { c.Env = append(c.Env, kv...) }
}

// launch starts argv, bounded by the test's deadline: a process still
// running shortly before it is killed, so that a stuck helper fails its test
// instead of hanging the run. It is how every test starts a process.
func launch(t *testing.T, argv []string, opts ...procOption) *proc {
	t.Helper()
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if deadline, ok := t.Deadline(); ok {
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-5*time.Second))
	}
	for tries := 1; ; tries++ {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		// A race-enabled helper sleeps a second before it exits, to let
		// reports of races in its last moments through; the tests start
		// hundreds of helpers and wait for most of them to exit. A GORACE
		// the user set comes later and wins.
		cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0 "+os.Getenv("GORACE"))
		cmd.Stderr = os.Stderr
		cmd.WaitDelay = 5 * time.Second
		for _, opt := range opts {
			opt(cmd)
		}
		stdin, err := cmd.StdinPipe()
		require.NoError(t, err)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		if err := cmd.Start(); err != nil {
			// Start has closed the pipes.
			if tries < 3 && startFailedInWine(err) {
				t.Logf("start %v: %v; trying again", argv, err)
				continue
			}
			require.NoError(t, err, "start %v", argv)
		}
		p := &proc{t: t, name: filepath.Base(argv[0]), cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
		t.Cleanup(func() {
			cmd.Process.Kill()
			p.wait()
			cancel()
		})
		return p
	}
}

// readLine returns the next line the process printed.
func (p *proc) readLine() string {
	p.t.Helper()
	line, err := p.out.ReadString('\n')
	require.NoError(p.t, err, "%s (pid %d) printed no line", p.name, p.cmd.Process.Pid)
	return strings.TrimSpace(line)
}

func (p *proc) send(line string) {
	p.t.Helper()
	_, err := io.WriteString(p.stdin, line+"\n")
	require.NoError(p.t, err)
}

// exit closes the process's stdin, so that it exits, and waits for it.
func (p *proc) exit() {
	p.t.Helper()
	p.stdin.Close()
	require.NoError(p.t, p.wait(), "%s (pid %d)", p.name, p.cmd.Process.Pid)
}
