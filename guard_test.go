// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package flock_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Record takes the lock at args[0] with a holder record, and holds it.
func (helperRoles) Record(args []string) int {
	l, err := flock.New(args[0], flock.WithHolderRecord())
	if err == nil {
		err = l.TryLock()
	}
	return reportAndHold(err)
}

// Guard takes the Guard of application "app" in the directory args[0].
func (helperRoles) Guard(args []string) int {
	_, err := flock.Guard("app", flock.WithLockDir(args[0]))
	return reportAndHold(err)
}

// mustHoldRole starts a helper in role on arg and requires that it holds
// the lock.
func mustHoldRole(t *testing.T, role, arg string) *proc {
	t.Helper()
	p := startRole(t, role, []string{arg})
	require.Equal(t, "locked", p.readLine())
	return p
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

func TestTryLockNamesTheRecordedHolder(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	h := mustHoldRole(t, "Record", path)
	host, err := os.Hostname()
	require.NoError(t, err)

	l := mustNew(t, path, flock.WithHolderRecord())
	err = l.TryLock()
	assert.ErrorIs(t, err, flock.ErrLocked)
	var held *flock.HeldError
	require.ErrorAs(t, err, &held)
	assert.Equal(t, h.cmd.Process.Pid, held.Holder.PID)
	assert.Equal(t, host, held.Holder.Host)
	assert.False(t, held.Holder.Since.IsZero())
	assert.Contains(t, err.Error(), "trylock "+path+": held by pid "+strconv.Itoa(h.cmd.Process.Pid)+" on "+host)

	// A Lock without the option reads the record too, as does flock(1)'s
	// user with cat.
	plain := mustNew(t, path)
	assert.ErrorAs(t, plain.TryLock(), &held)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Regexp(t, "^"+strconv.Itoa(h.cmd.Process.Pid)+"\nhost=", string(b), "the loser must not have rewritten the record")
	h.exit()
}

func TestHolderRecordIsEmptiedOnUnlock(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path, flock.WithHolderRecord())
	require.NoError(t, l.Lock())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Regexp(t, "^"+strconv.Itoa(os.Getpid())+"\n", string(b))
	require.NoError(t, l.Unlock())
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Empty(t, string(b), "a released lock must not name a holder")
	require.NoError(t, l.RLock())
	b, _ = os.ReadFile(path)
	assert.Empty(t, string(b), "shared holders are not recorded")
}

func TestGuardRefusesSecondInstanceAndNamesTheFirst(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := mustHoldRole(t, "Guard", dir)
	g, err := flock.Guard("app", flock.WithLockDir(dir))
	assert.Nil(t, g)
	assert.ErrorIs(t, err, flock.ErrLocked)
	var held *flock.HeldError
	require.ErrorAs(t, err, &held)
	assert.Equal(t, h.cmd.Process.Pid, held.Holder.PID)
	assert.Contains(t, err.Error(), "guard "+filepath.Join(dir, "app.lock")+": held by pid "+strconv.Itoa(h.cmd.Process.Pid))
	h.exit()

	g, err = flock.Guard("app", flock.WithLockDir(dir))
	require.NoError(t, err, "the first instance has exited")
	assert.Equal(t, filepath.Join(dir, "app.lock"), g.Path())
	require.NoError(t, g.Close())
}

// Not parallel: it changes the environment.
func TestGuardPicksTheRuntimeDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", dir)
	g, err := flock.Guard("picks-dir")
	require.NoError(t, err)
	defer g.Close()
	assert.Equal(t, filepath.Join(dir, "picks-dir.lock"), g.Path())

	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(dir, "missing"))
	g2, err := flock.Guard("picks-dir-2")
	require.NoError(t, err)
	defer g2.Close()
	assert.NotEqual(t, filepath.Join(dir, "missing"), filepath.Dir(g2.Path()), "an unusable runtime dir is skipped")
	assert.Contains(t, []string{"/run/lock", "/var/lock", os.TempDir()}, filepath.Dir(g2.Path()))
}

func TestGuardRejectsNamesThatAreNotFileNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "a/b", "..", ".", "x\x00y"} {
		_, err := flock.Guard(name, flock.WithLockDir(t.TempDir()))
		var pe *fs.PathError
		if assert.ErrorAs(t, err, &pe, "%q", name) {
			assert.Equal(t, "guard", pe.Op)
		}
	}
}
