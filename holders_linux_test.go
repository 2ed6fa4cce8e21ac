// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux && !flock_fcntl

// Not with -tags flock_fcntl: flock(1) and Python's fcntl.flock take flock(2)
// locks, which record locks never see.

package flock_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holding starts a tool that takes the lock and prints "locked" once its
// command runs, and returns it.
func holding(t *testing.T, argv ...string) *proc {
	t.Helper()
	requireTool(t, argv[0])
	p := launch(t, argv, withEnv(roleEnv+"=Linger"))
	require.Equal(t, "locked", p.readLine(), "%v", argv)
	return p
}

// holdingWithFlock runs util-linux flock(1) on path with this test binary
// as its command, in role, which prints "locked"; it returns flock(1).
func holdingWithFlock(t *testing.T, path, role string) *proc {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	p := holding(t, "flock", path, exe) // the role comes in the environment
	cmd := child(t, p)
	t.Cleanup(func() { syscall.Kill(cmd, syscall.SIGKILL) })
	return p
}

// Linger prints "locked" (it runs under flock(1), which holds the lock for
// it) and stays until its stdin, the test's pipe, is closed: when the test
// ends, or kills flock(1) and waits for it.
func (helperRoles) Linger([]string) int {
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// child returns the PID of p's only child process.
func child(t *testing.T, p *proc) int {
	t.Helper()
	pid := strconv.Itoa(p.cmd.Process.Pid)
	b, err := os.ReadFile("/proc/" + pid + "/task/" + pid + "/children")
	require.NoError(t, err)
	kids := strings.Fields(string(b))
	require.Len(t, kids, 1, "children of %s", pid)
	n, err := strconv.Atoi(kids[0])
	require.NoError(t, err)
	return n
}

// pids returns the PIDs and commands of hs, for comparing.
func pids(hs []flock.Holder) []string {
	var out []string
	for _, h := range hs {
		out = append(out, strconv.Itoa(h.PID)+" "+h.Command)
	}
	return out
}

func mustHolders(t *testing.T, path string) []flock.Holder {
	t.Helper()
	hs, err := flock.Holders(path)
	require.NoError(t, err)
	t.Logf("holders of %s: %+v", filepath.Base(path), hs)
	return hs
}

func TestHoldersIsEmptyWhenTheLockIsFree(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	mustNew(t, path)
	assert.Empty(t, mustHolders(t, path))
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := flock.Holders(missing)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assertPathError(t, err, "holders", missing)
}

// util-linux flock(1) holds the lock, and so does the command it runs, which
// inherits the descriptor: both are holders, the taker first.
func TestHoldersNamesUtilLinuxFlockAndTheCommandItRuns(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	p := holdingWithFlock(t, path, "Linger")
	cmd := child(t, p)
	assert.Equal(t, []string{strconv.Itoa(p.cmd.Process.Pid) + " flock", strconv.Itoa(cmd) + " " + testCommand()}, pids(mustHolders(t, path)))
	err := mustNew(t, path).TryLock()
	assert.ErrorContains(t, err, "held by pid "+strconv.Itoa(p.cmd.Process.Pid)+" (flock) and "+heldBy(cmd)[len("held by "):])
}

// Once flock(1) is killed, /proc/locks still gives its PID, which may soon
// name an unrelated process; the holder is the command, which still holds
// the open file description.
func TestHoldersFollowsTheLockToTheChildThatHoldsItNow(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	p := holdingWithFlock(t, path, "Linger")
	cmd := child(t, p)
	defer syscall.Kill(cmd, syscall.SIGKILL)
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	p.cmd.Process.Wait()
	locks, err := os.ReadFile("/proc/locks")
	require.NoError(t, err)
	assert.Contains(t, string(locks), " "+strconv.Itoa(p.cmd.Process.Pid)+" ", "/proc/locks names the dead taker")
	assert.Equal(t, []string{strconv.Itoa(cmd) + " " + testCommand()}, pids(mustHolders(t, path)))
}

func TestHoldersNamesPythonFcntlFlock(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	p := holding(t, "python3", "-c", `import fcntl, sys
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()`, path)
	hs := mustHolders(t, path)
	require.Len(t, hs, 1)
	assert.Equal(t, p.cmd.Process.Pid, hs[0].PID)
	assert.True(t, strings.HasPrefix(hs[0].Command, "python"), "command %q", hs[0].Command)
	assert.Empty(t, hs[0].Host, "no record, no host")
}

func TestHoldersNamesAGoProgramThatWritesNoRecord(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	h := mustHold(t, "lock", path)
	hs := mustHolders(t, path)
	require.Len(t, hs, 1)
	assert.Equal(t, flock.Holder{PID: h.cmd.Process.Pid, Command: testCommand()}, hs[0])
	g, err := flock.Guard(filepath.Base(strings.TrimSuffix(path, ".lock")), flock.WithLockDir(filepath.Dir(path)))
	assert.Nil(t, g)
	assert.EqualError(t, err, "guard "+path+": "+heldBy(h.cmd.Process.Pid))
}

// A holder killed with SIGKILL leaves its record behind. The record is
// never reported unless its PID holds the lock now.
func TestStaleRecordOfAKilledHolderIsNeverReported(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "app.lock")
	first, line := startGuard(t, "app", dir)
	require.Equal(t, "locked", line)
	require.NoError(t, first.cmd.Process.Signal(syscall.SIGKILL))
	first.cmd.Wait()
	record, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(record), strconv.Itoa(first.cmd.Process.Pid)+"\n"), "the dead holder's record stays: %q", record)

	p := holdingWithFlock(t, path, "Linger")
	g, err := flock.Guard("app", flock.WithLockDir(dir))
	assert.Nil(t, g)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "pid "+strconv.Itoa(first.cmd.Process.Pid)+" ", "the dead holder is not named")
	assert.Contains(t, err.Error(), "held by pid "+strconv.Itoa(p.cmd.Process.Pid)+" (flock)")
	assert.NotContains(t, err.Error(), " on ", "no host: the record is not the holder's")
	syscall.Kill(child(t, p), syscall.SIGKILL)
	p.cmd.Wait()

	g, err = flock.Guard("app", flock.WithLockDir(dir))
	require.NoError(t, err, "a stale record does not stop the next start")
	require.NoError(t, g.Close())
}

// Peek takes the Guard of app in dir and prints what it got: "locked", or
// the error and how many holders it names.
func (helperRoles) Peek(args []string) int {
	_, err := flock.Guard(args[0], flock.WithLockDir(args[1]))
	if err == nil {
		return reportAndHold(nil)
	}
	var held *flock.HeldError
	n := -1
	if errors.As(err, &held) {
		n = len(held.Holders())
	}
	fmt.Printf("error: %v; %d holders\n", err, n)
	return 1
}

// A holder in another PID namespace (a container) is named by its PID in
// this one, never by its own; and from inside the namespace, a holder
// outside it cannot be known and is not named.
func TestHoldersAcrossPIDNamespaces(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	requireTool(t, "unshare")
	dir := t.TempDir()
	path := filepath.Join(dir, "app.lock")
	exe, err := os.Executable()
	require.NoError(t, err)
	unshare := []string{"unshare", "--pid", "--fork", "--mount-proc"}

	inside := launch(t, append(unshare, exe, "app", dir), withEnv(roleEnv+"=Guard"))
	require.Equal(t, "locked", inside.readLine())
	hostPID := child(t, inside)
	hs := mustHolders(t, path)
	require.Len(t, hs, 1)
	assert.Equal(t, flock.Holder{PID: hostPID, Command: testCommand()}, hs[0],
		"named by its PID here; its record, which names PID 1, adds nothing")
	inside.exit()

	outside, line := startGuard(t, "app", dir)
	require.Equal(t, "locked", line)
	peek := launch(t, append(unshare, exe, "app", dir), withEnv(roleEnv+"=Peek"))
	assert.Equal(t, "error: guard "+path+": lock is held elsewhere; 0 holders", peek.readLine(),
		"from inside, the holder outside is unknown, and no PID is named")
	peek.cmd.Wait()
	outside.exit()
}

// The zero Lock reports fs.ErrInvalid and locks nothing: not descriptor 0,
// whose file the zero value of a descriptor would name.
func TestZeroLockLocksNothing(t *testing.T) {
	t.Parallel()
	var l flock.Lock
	for name, call := range map[string]func() error{
		"TryLock": l.TryLock, "TryRLock": l.TryRLock, "Lock": l.Lock, "RLock": l.RLock, "Unlock": l.Unlock, "Close": l.Close,
	} {
		assert.ErrorIs(t, call(), fs.ErrInvalid, name)
	}
	var st syscall.Stat_t
	require.NoError(t, syscall.Fstat(0, &st))
	locks, err := os.ReadFile("/proc/locks")
	require.NoError(t, err)
	for _, line := range strings.Split(string(locks), "\n") {
		f := strings.Fields(line)
		if len(f) > 5 && f[4] == strconv.Itoa(os.Getpid()) {
			assert.False(t, strings.HasSuffix(f[5], ":"+strconv.FormatUint(st.Ino, 10)), "a lock on descriptor 0's file: %s", line)
		}
	}
}
