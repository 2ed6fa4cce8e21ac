// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Guard takes the Guard of application args[0], in the directory args[1]
// unless it is "-", per user if args[2] is "user"; prints "locked" or the
// error, and holds until stdin is closed.
func (helperRoles) Guard(args []string) int {
	var opts []flock.Option
	if len(args) > 1 && args[1] != "-" {
		opts = append(opts, flock.WithLockDir(args[1]))
	}
	if len(args) > 2 && args[2] == "user" {
		opts = append(opts, flock.WithUserScope())
	}
	_, err := flock.Guard(args[0], opts...)
	return reportAndHold(err)
}

// reportAndHold prints "locked" or the error, and on success holds until
// stdin is closed.
func reportAndHold(err error) int {
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("locked")
	os.Stdin.Read(make([]byte, 1))
	return 0
}

// startGuard starts a helper that takes app's Guard in dir ("-" for the
// default) and returns it with the line it printed.
func startGuard(t *testing.T, app, dir string, opts ...procOption) (*proc, string) {
	t.Helper()
	p := startRole(t, "Guard", []string{app, dir}, opts...)
	line := p.readLine()
	t.Logf("guard helper %d (%s in %s): %s", p.cmd.Process.Pid, app, dir, line)
	return p, line
}

// heldBy returns how a contention error names a process running the test
// binary.
func heldBy(pid int) string {
	return "held by pid " + strconv.Itoa(pid) + " (" + testCommand() + ")"
}

// testCommand is the command name the kernel gives this test binary.
func testCommand() string {
	name := filepath.Base(os.Args[0])
	if len(name) > 15 { // TASK_COMM_LEN - 1
		name = name[:15]
	}
	return name
}

func TestGuardRefusesSecondInstanceAndNamesTheFirst(t *testing.T) {
	t.Parallel()
	if !holdersKnown {
		t.Skip("this system does not say who holds a lock")
	}
	dir := tempDir(t)
	first, line := startGuard(t, "app", dir)
	require.Equal(t, "locked", line)

	g, err := flock.Guard("app", flock.WithLockDir(dir))
	assert.Nil(t, g)
	assert.ErrorIs(t, err, flock.ErrLocked)
	var held *flock.HeldError
	require.ErrorAs(t, err, &held)
	hs := held.Holders()
	require.Len(t, hs, 1, "holders of %s", filepath.Join(dir, "app.lock"))
	assert.Equal(t, first.cmd.Process.Pid, hs[0].PID)
	assert.Equal(t, testCommand(), hs[0].Command)
	want := "guard " + filepath.Join(dir, "app.lock") + ": " + heldBy(first.cmd.Process.Pid)
	if !underRecordLocks { // with record locks, reading the record would release this process's locks
		host, _ := os.Hostname()
		assert.Equal(t, host, hs[0].Host, "the record adds the host")
		assert.WithinDuration(t, time.Now(), hs[0].Since, time.Hour, "the record adds the time the lock was won")
		want += " on " + host + " since "
	}
	assert.Contains(t, err.Error(), want)
	first.exit()

	g, err = flock.Guard("app", flock.WithLockDir(dir))
	require.NoError(t, err, "the first instance has exited")
	assert.Equal(t, filepath.Join(dir, "app.lock"), g.Path())
	require.NoError(t, g.Close())
}

func TestGuardPathIsWhatGuardLocks(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	path, err := flock.GuardPath("app", flock.WithLockDir(dir))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "app.lock"), path)
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, fs.ErrNotExist, "GuardPath creates nothing")

	g, err := flock.Guard("app", flock.WithLockDir(dir))
	require.NoError(t, err)
	defer g.Close()
	assert.Equal(t, path, g.Path())
	if holdersKnown {
		hs, err := flock.Holders(path)
		require.NoError(t, err)
		require.Len(t, hs, 1)
		assert.Equal(t, os.Getpid(), hs[0].PID, "a status command finds the running instance")
	}
}

func TestGuardContextWaitsForTheRunningInstance(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	first, line := startGuard(t, "app", dir)
	require.Equal(t, "locked", line)

	ctx, cancel := context.WithTimeout(context.Background(), quiescent)
	defer cancel()
	_, err := flock.GuardContext(ctx, "app", flock.WithLockDir(dir))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assertPathError(t, err, "guard", filepath.Join(dir, "app.lock"))

	wait := mustBlock(t, "GuardContext", func() error {
		g, err := flock.GuardContext(context.Background(), "app", flock.WithLockDir(dir))
		if err == nil {
			err = g.Close()
		}
		return err
	})
	first.exit()
	require.NoError(t, wait.wait(), "GuardContext runs once the first instance has exited")
}

func TestGuardRejectsNamesThatAreNotFileNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "a/b", `a\b`, "..", ".", "x\x00y"} {
		_, err := flock.Guard(name, flock.WithLockDir(tempDir(t)))
		var pe *fs.PathError
		if assert.ErrorAs(t, err, &pe, "%q", name) {
			assert.Equal(t, "guard", pe.Op)
		}
		_, err = flock.GuardPath(name)
		assert.Error(t, err, "GuardPath(%q)", name)
	}
}

func TestGuardNamesAMissingDirectoryAndWithLockDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), "missing")
	_, err := flock.Guard("app", flock.WithLockDir(dir))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assertPathError(t, err, "guard", filepath.Join(dir, "app.lock"))
	assert.ErrorContains(t, err, "the directory "+dir+" does not exist")
	assert.ErrorContains(t, err, "WithLockDir")
	_, err = os.Stat(dir)
	assert.ErrorIs(t, err, fs.ErrNotExist, "Guard never makes the lock directory")
}

func TestHeldErrorLooksUpNothingUntilAsked(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	a, b := mustNew(t, path), mustNew(t, path)
	require.NoError(t, a.TryLock())
	err := b.TryLock()
	var held *flock.HeldError
	require.ErrorAs(t, err, &held)
	require.NoError(t, a.Close())
	// Asked only now, after the holder let go: the answer is as of now.
	assert.Empty(t, held.Holders(), "no one holds the lock any more")
	assert.Equal(t, "trylock "+path+": "+flock.ErrLocked.Error(), err.Error())
	assert.True(t, errors.Is(err, flock.ErrLocked))
}
