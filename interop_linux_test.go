// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build !flock_fcntl

// Not with -tags flock_fcntl: on Linux, flock(2) locks and fcntl record locks
// are independent, so flock(1) and Python's fcntl.flock never see those.

package flock_test

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests check that a Lock and locks taken by tools nobody here wrote
// are one and the same kernel lock. Under CI (CI=true) a missing tool fails
// the test, so that interop is never silently untested.

func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required for interop tests under CI: %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return path
}

// startTool runs a command that takes a lock, prints "locked" once it holds
// it, and holds it until its stdin is closed.
func startTool(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "%s printed nothing", name)
	require.Equal(t, "locked", strings.TrimSpace(line))
}

// exitCode runs a command and returns its exit status.
func exitCode(t *testing.T, name string, args ...string) int {
	t.Helper()
	err := exec.Command(name, args...).Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	require.NoError(t, err)
	return 0
}

func TestInteropUtilLinuxFlockHolds(t *testing.T) {
	t.Parallel()
	flock1 := requireTool(t, "flock")
	for _, c := range []struct {
		opt                  string
		tryLock, tryRLockErr error
	}{
		{"-x", flock.ErrLocked, flock.ErrLocked},
		{"-s", flock.ErrLocked, nil},
	} {
		t.Run(c.opt, func(t *testing.T) {
			path := lockPath(t)
			startTool(t, flock1, c.opt, path, "sh", "-c", "echo locked; cat >/dev/null")
			l := mustNew(t, path)
			assert.ErrorIs(t, l.TryLock(), c.tryLock)
			if c.tryRLockErr == nil {
				assert.NoError(t, l.TryRLock())
			} else {
				assert.ErrorIs(t, l.TryRLock(), c.tryRLockErr)
			}
		})
	}
}

func TestInteropUtilLinuxFlockRespectsOurLock(t *testing.T) {
	t.Parallel()
	flock1 := requireTool(t, "flock")
	path := lockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	assert.Equal(t, 1, exitCode(t, flock1, "-n", path, "true"), "flock -n against our exclusive lock")
	assert.Equal(t, 1, exitCode(t, flock1, "-s", "-n", path, "true"), "flock -s -n against our exclusive lock")
	require.NoError(t, l.Unlock())
	require.NoError(t, l.RLock())
	assert.Equal(t, 0, exitCode(t, flock1, "-s", "-n", path, "true"), "flock -s -n beside our shared lock")
	assert.Equal(t, 1, exitCode(t, flock1, "-n", path, "true"), "flock -n against our shared lock")
	require.NoError(t, l.Unlock())
	assert.Equal(t, 0, exitCode(t, flock1, "-n", path, "true"), "flock -n after Unlock")
}

const pyHold = `import fcntl, os, sys
f = os.open(sys.argv[1], os.O_RDONLY | os.O_CREAT)
fcntl.flock(f, fcntl.LOCK_EX if sys.argv[2] == "ex" else fcntl.LOCK_SH)
print("locked", flush=True)
sys.stdin.read()
`

const pyTry = `import fcntl, os, sys
f = os.open(sys.argv[1], os.O_RDONLY | os.O_CREAT)
try:
    fcntl.flock(f, (fcntl.LOCK_EX if sys.argv[2] == "ex" else fcntl.LOCK_SH) | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)
`

func TestInteropPythonFcntlFlockHolds(t *testing.T) {
	t.Parallel()
	python := requireTool(t, "python3")
	for _, mode := range []string{"ex", "sh"} {
		t.Run(mode, func(t *testing.T) {
			path := lockPath(t)
			startTool(t, python, "-c", pyHold, path, mode)
			l := mustNew(t, path)
			assert.ErrorIs(t, l.TryLock(), flock.ErrLocked)
			if mode == "sh" {
				assert.NoError(t, l.TryRLock())
			} else {
				assert.ErrorIs(t, l.TryRLock(), flock.ErrLocked)
			}
		})
	}
}

func TestInteropPythonRespectsOurLock(t *testing.T) {
	t.Parallel()
	python := requireTool(t, "python3")
	path := lockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	assert.Equal(t, 1, exitCode(t, python, "-c", pyTry, path, "ex"), "python LOCK_EX|LOCK_NB against our exclusive lock")
	assert.Equal(t, 1, exitCode(t, python, "-c", pyTry, path, "sh"), "python LOCK_SH|LOCK_NB against our exclusive lock")
	require.NoError(t, l.Unlock())
	require.NoError(t, l.RLock())
	assert.Equal(t, 0, exitCode(t, python, "-c", pyTry, path, "sh"), "python LOCK_SH|LOCK_NB beside our shared lock")
	assert.Equal(t, 1, exitCode(t, python, "-c", pyTry, path, "ex"), "python LOCK_EX|LOCK_NB against our shared lock")
	require.NoError(t, l.Unlock())
	assert.Equal(t, 0, exitCode(t, python, "-c", pyTry, path, "ex"), "python LOCK_EX|LOCK_NB after Unlock")
}

func TestInteropWaitEndsWhenUtilLinuxFlockReleases(t *testing.T) {
	t.Parallel()
	flock1 := requireTool(t, "flock")
	path := lockPath(t)
	cmd := exec.Command(flock1, path, "sh", "-c", "echo locked; cat >/dev/null")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)
	l := mustNew(t, path)
	p := mustBlock(t, "Lock while flock(1) holds", l.Lock)
	stdin.Close()
	require.NoError(t, cmd.Wait())
	require.NoError(t, p.wait())
	assert.Equal(t, 1, exitCode(t, flock1, "-n", path, "true"), "flock -n against the lock the wait took")
}
