// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux && flock_fcntl

package flock_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With -tags flock_fcntl the package uses the fcntl record locks of AIX and
// Solaris (lock_fcntl.go), and these tests run on Linux.

// skipUnderRecordLocks skips a test of what record locks cannot do.
// underRecordLocks reports whether the tests run over fcntl record locks.
const underRecordLocks = true

func skipUnderRecordLocks(t *testing.T, why string) {
	t.Helper()
	t.Skip("fcntl record locks (-tags flock_fcntl): " + why)
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
