// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build !windows

package flock_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// What differs between Windows (lock_windows_test.go) and every other system
// in how the portable tests observe the platform.

// tempDir is t.TempDir; under Wine it is not (see lock_windows_test.go).
func tempDir(t *testing.T) string {
	t.Helper()
	return t.TempDir()
}

// requireReleasedByExit requires that the lock at path is free, now that the
// process that held it has exited or was killed and has been waited for.
// Unix releases the locks of a process as it exits, before its parent can
// see it gone, so the lock must be free at once.
func requireReleasedByExit(t *testing.T, path string) {
	t.Helper()
	require.Equal(t, "locked", probe(t, "trylock", path), "the lock of a process that has ended must be free")
}

// skipUnlessOpenFilesCanBeReplaced skips nothing: Unix removes and renames
// over open files (see lock_windows_test.go).
func skipUnlessOpenFilesCanBeReplaced(*testing.T) {}

// startFailedInWine reports false: Wine runs only Windows builds.
func startFailedInWine(error) bool { return false }
