// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock_test

// A lock file that is removed or replaced while Locks wait on it: with the
// path check (WithPathCheck, WithRemoveOnClose), a waiter follows the file
// at the path. The load test is remove_linux_test.go's.

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Single process, deterministic: a Lock waiting on a file that its holder
// removes on Close wins the removed file; with the path check it notices and
// locks the file now at the path, and a newcomer is excluded; without it, it
// guards nothing and the newcomer gets in too.
func TestWaiterOnRemovedLockFileTakesTheNewFileOnlyWithPathCheck(t *testing.T) {
	t.Parallel()
	skipUnlessOpenFilesCanBeReplaced(t)
	for _, tc := range []struct {
		name           string
		opts           []flock.Option
		newcomerGetsIn bool
	}{
		{"WithPathCheck", []flock.Option{flock.WithPathCheck()}, false},
		{"without path check", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := lockPath(t)
			holder := mustNew(t, path, flock.WithRemoveOnClose())
			require.NoError(t, holder.Lock())
			waiter := mustNew(t, path, tc.opts...)
			wait := mustBlock(t, "Lock on the file about to be removed", waiter.Lock)
			require.NoError(t, holder.Close())
			require.NoError(t, wait.wait())
			t.Logf("waiter holds; the path exists again: %v", fileExists(path))

			newcomer := mustNew(t, path)
			if err := newcomer.TryLock(); tc.newcomerGetsIn {
				assert.NoError(t, err, "the newcomer locks the new file beside the waiter")
			} else {
				assert.ErrorIs(t, err, flock.ErrLocked, "the waiter must hold the file at the path")
			}
		})
	}
}

// The same when the file is replaced by rename (an editor saving it, a
// deploy tool), which leaves the old holder holding the old file.
func TestWaiterOnRenamedOverLockFileTakesTheNewFile(t *testing.T) {
	t.Parallel()
	skipUnlessOpenFilesCanBeReplaced(t)
	dir := tempDir(t)
	path := filepath.Join(dir, "test.lock")
	holder := mustNew(t, path)
	require.NoError(t, holder.Lock())
	waiter := mustNew(t, path, flock.WithPathCheck())
	wait := mustBlock(t, "Lock on the file about to be replaced", waiter.Lock)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "new"), nil, 0o600))
	require.NoError(t, os.Rename(filepath.Join(dir, "new"), path))
	require.NoError(t, holder.Unlock())
	require.NoError(t, wait.wait())

	assert.ErrorIs(t, mustNew(t, path).TryLock(), flock.ErrLocked, "the waiter must hold the file now at the path")
	assert.NoError(t, holder.TryLock(), "the waiter must have let go of the replaced file")
}

// A Lock waiting on a file that its holder removes keeps following the file
// however often a newcomer overtakes it: each round, the holder removes the
// file while a newcomer creates and takes the next one, then the holder
// closes. The waiter wakes on a dead file each time, more times than the
// bound on reopens after winning at once.
func TestLockOvertakenByRemoveOnCloseHoldersKeepsWaiting(t *testing.T) {
	t.Parallel()
	skipUnlessOpenFilesCanBeReplaced(t)
	path := lockPath(t)
	holder := mustNew(t, path, flock.WithRemoveOnClose())
	require.NoError(t, holder.Lock())
	waiter := mustNew(t, path, flock.WithRemoveOnClose())
	wait := mustBlock(t, "Lock", waiter.Lock)
	for range 15 {
		require.NoError(t, os.Remove(path))                 // what holder.Close does, with a newcomer
		next := mustNew(t, path, flock.WithRemoveOnClose()) // in between unlink
		require.NoError(t, next.TryLock())                  // and unlock
		require.NoError(t, holder.Close())
		wait.stillBlocked("Lock overtaken again")
		holder = next
	}
	require.NoError(t, holder.Close())
	require.NoError(t, wait.wait())
	assert.ErrorIs(t, mustNew(t, path).TryLock(), flock.ErrLocked, "the waiter holds the file now at the path")
}

// A path replaced over and over, each new file locked before it is renamed
// into place, keeps a waiting Lock following it; once the path is left
// alone, the Lock gets the file that is there.
func TestLockFollowsAFileReplacedWhileItWaits(t *testing.T) {
	t.Parallel()
	skipUnlessOpenFilesCanBeReplaced(t)
	dir := tempDir(t)
	path := filepath.Join(dir, "test.lock")
	first := mustNew(t, path)
	require.NoError(t, first.Lock())

	l := mustNew(t, path, flock.WithPathCheck())
	wait := mustBlock(t, "Lock", l.Lock)
	prev := first
	for range 50 {
		next, err := flock.New(filepath.Join(dir, "next"))
		require.NoError(t, err)
		require.NoError(t, next.TryLock())
		require.NoError(t, os.Rename(filepath.Join(dir, "next"), path))
		require.NoError(t, prev.Close())
		prev = next
	}
	require.NoError(t, prev.Close())
	require.NoError(t, wait.wait())
	assert.ErrorIs(t, mustNew(t, path).TryLock(), flock.ErrLocked, "the Lock holds the file now at the path")
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
