// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A helper process is this test binary run again with helperEnv set to the
// role it plays (see helpers_test.go); the other variables tell it where.
// It answers on its standard output, one line at a time, and reads commands
// from its standard input.
const (
	helperEnv    = "ETCDLOCK_TEST_HELPER"
	endpointsEnv = "ETCDLOCK_TEST_ENDPOINTS" // comma-separated
	keyEnv       = "ETCDLOCK_TEST_KEY"
	ttlEnv       = "ETCDLOCK_TEST_TTL"
	roundsEnv    = "ETCDLOCK_TEST_ROUNDS"
)

func TestMain(m *testing.M) {
	if role := os.Getenv(helperEnv); role != "" {
		os.Exit(runHelper(role))
	}
	os.Exit(m.Run())
}

// A helper is a running helper process.
type helper struct {
	tb    testing.TB
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Reader
	logs  *strings.Builder // its standard error
	exit  chan error       // receives Wait's result
}

// startHelper starts a helper process playing role against the etcd members
// at endpoints, with the variables in env added. It is killed when the test
// ends, if it is still running.
func startHelper(tb testing.TB, role string, endpoints []string, env ...string) *helper {
	tb.Helper()
	exe, err := os.Executable()
	require.NoError(tb, err, "find the test binary")
	ctx, cancel := context.WithCancel(context.Background())
	if d, ok := tb.(interface{ Deadline() (time.Time, bool) }); ok {
		if deadline, ok := d.Deadline(); ok {
			ctx, cancel = context.WithDeadline(context.Background(), deadline)
		}
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), helperEnv+"="+role, endpointsEnv+"="+strings.Join(endpoints, ","))
	cmd.Env = append(cmd.Env, env...)
	h := &helper{tb: tb, cmd: cmd, logs: new(strings.Builder), exit: make(chan error, 1)}
	cmd.Stderr = h.logs
	h.stdin, err = cmd.StdinPipe()
	require.NoError(tb, err)
	// An os.Pipe rather than StdoutPipe, which Wait closes as soon as the
	// process exits, even if its last lines have not been read yet.
	stdout, stdoutW, err := os.Pipe()
	require.NoError(tb, err)
	tb.Cleanup(func() { stdout.Close() })
	cmd.Stdout = stdoutW
	h.lines = bufio.NewReader(stdout)
	err = cmd.Start()
	stdoutW.Close()
	require.NoError(tb, err, "start the %s helper", role)
	tb.Logf("helper %s started as process %d", role, cmd.Process.Pid)
	go func() { h.exit <- cmd.Wait(); cancel() }()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-h.exit
		h.exit <- nil // for a wait after the test's end
		if tb.Failed() {
			tb.Logf("helper %d's standard error:\n%s", cmd.Process.Pid, h.logs.String())
		}
	})
	return h
}

// expect reads the helper's next line and checks that it starts with
// prefix. It returns the rest of the line. EOF means the helper died first.
func (h *helper) expect(prefix string) string {
	h.tb.Helper()
	line, err := h.lines.ReadString('\n')
	require.NoError(h.tb, err, "read the helper's next line (want %q); its standard error:\n%s", prefix, h.logs)
	line = strings.TrimSuffix(line, "\n")
	h.tb.Logf("helper %d: %s", h.cmd.Process.Pid, line)
	rest, ok := strings.CutPrefix(line, prefix)
	require.True(h.tb, ok, "helper said %q, want a line starting with %q", line, prefix)
	return strings.TrimSpace(rest)
}

// send writes a command line to the helper.
func (h *helper) send(command string) {
	h.tb.Helper()
	_, err := fmt.Fprintln(h.stdin, command)
	require.NoError(h.tb, err, "send %q to the helper", command)
}

// wait waits for the helper to exit, and returns Wait's error.
func (h *helper) wait() error {
	err := <-h.exit
	h.exit <- err
	return err
}
