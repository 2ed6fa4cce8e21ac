// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockwise/flock/etcd/internal/etcdtest"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// The test binary is goflock-etcd itself when mainEnv is set: the tests run
// it as the command is run, in processes of its own.
const mainEnv = "GOFLOCK_ETCD_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
	}
	code := m.Run()
	if shared.c != nil {
		shared.c.Stop()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// shared is one etcd cluster of three members for all the tests, which use
// keys of their own. The first test to need it starts it.
var shared struct {
	once sync.Once
	dir  string
	c    *etcdtest.Cluster
	err  error
}

func endpoints(t *testing.T) string {
	t.Helper()
	shared.once.Do(func() {
		if shared.dir, shared.err = os.MkdirTemp("", "goflock-etcd-test"); shared.err == nil {
			shared.c, shared.err = etcdtest.Start(shared.dir, 3)
		}
	})
	require.NoError(t, shared.err, "start etcd")
	return strings.Join(shared.c.Endpoints(), ",")
}

func newClient(t *testing.T) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{
		Endpoints: strings.Split(endpoints(t), ","), DialTimeout: 10 * time.Second, Logger: zap.NewNop(),
	})
	require.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	return cli
}

// A proc is one run of goflock-etcd.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  *bufio.Reader // its standard output
	stderr *strings.Builder
	start  time.Time
}

// start starts goflock-etcd with args, and with env added to the
// environment. ETCDCTL_ENDPOINTS is cleared unless env sets it.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), mainEnv+"=1", "ETCDCTL_ENDPOINTS=")
	cmd.Env = append(cmd.Env, env...)
	c := &proc{t: t, cmd: cmd, stderr: new(strings.Builder)}
	cmd.Stderr = c.stderr
	c.stdin, err = cmd.StdinPipe()
	require.NoError(t, err)
	stdout, stdoutW, err := os.Pipe() // not StdoutPipe, which Wait closes
	require.NoError(t, err)
	t.Cleanup(func() { stdout.Close() })
	cmd.Stdout = stdoutW
	c.lines = bufio.NewReader(stdout)
	c.start = time.Now()
	err = cmd.Start()
	stdoutW.Close()
	require.NoError(t, err)
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	t.Logf("started goflock-etcd %s as process %d", strings.Join(args, " "), cmd.Process.Pid)
	return c
}

// line reads the copy's next line of output.
func (c *proc) line() string {
	c.t.Helper()
	line, err := c.lines.ReadString('\n')
	require.NoError(c.t, err, "read goflock-etcd's output; its standard error:\n%s", c.stderr)
	c.t.Logf("goflock-etcd %d: %s", c.cmd.Process.Pid, strings.TrimSuffix(line, "\n"))
	return strings.TrimSuffix(line, "\n")
}

// exit waits for the copy to end and returns its exit code and the time
// since it started.
func (c *proc) exit() (int, time.Duration) {
	c.t.Helper()
	err := c.cmd.Wait()
	took := time.Since(c.start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		require.NoError(c.t, err, "wait for goflock-etcd")
	}
	c.t.Logf("goflock-etcd %d exited %d after %v; its standard error: %q",
		c.cmd.Process.Pid, c.cmd.ProcessState.ExitCode(), took, c.stderr)
	return c.cmd.ProcessState.ExitCode(), took
}

// runCopy runs goflock-etcd to its end and returns its exit code, output and
// standard error.
func runCopy(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	c := start(t, env, args...)
	c.stdin.Close()
	out, err := io.ReadAll(c.lines)
	require.NoError(t, err)
	code, _ = c.exit()
	return code, string(out), c.stderr.String()
}

// holdCommand is a command that prints its token and holds the lock until
// its standard input ends.
const holdCommand = `echo "token $FLOCK_FENCING_TOKEN"; cat >/dev/null; echo released`

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
