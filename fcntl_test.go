// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build aix || (solaris && !illumos) || (flock_fcntl && (darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd))

// The constraint of lock_fcntl.go: AIX and Solaris, and the flock systems
// with -tags flock_fcntl, with which these tests run on Linux.

package flock_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// underRecordLocks reports whether the tests run over fcntl record locks.
const underRecordLocks = true

// assertNeedsWritableFile checks the error of an exclusive lock on a file
// open read-only: a record lock needs a descriptor open for writing.
func assertNeedsWritableFile(t *testing.T, err error) {
	t.Helper()
	assert.ErrorIs(t, err, unix.EBADF)
}

// Closing any descriptor of a file releases every record lock the process
// holds on it; closing one Lock must not release another's.
func TestRecordLockSurvivesClosingAnotherLockOnTheFile(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	a, b := mustNew(t, path), mustNew(t, path)
	require.NoError(t, a.Lock())
	require.NoError(t, b.Close())
	assert.Equal(t, "busy", probe(t, "trylock", path), "b's Close released a's lock")
	require.NoError(t, a.Unlock())
	assert.Equal(t, "locked", probe(t, "trylock", path))
}

// A process holds one record lock per file, which its Locks share.
func TestRecordLockSharedByTwoLocksIsReleasedByTheLast(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	a, b := mustNew(t, path), mustNew(t, path)
	require.NoError(t, a.RLock())
	require.NoError(t, b.RLock())
	require.NoError(t, a.Unlock())
	assert.Equal(t, "busy", probe(t, "trylock", path), "b still shares the lock")
	assert.Equal(t, "locked", probe(t, "tryrlock", path))
	require.NoError(t, b.Close())
	assert.Equal(t, "locked", probe(t, "trylock", path))
}
