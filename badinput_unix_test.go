// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build unix

package flock_test

// Bad input that every Unix can set up: files that another user may not
// open.

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// As root every open succeeds, so permission is tested from a helper running
// as nobody.
func TestPermissionDeniedIsFsErrPermission(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "root-only.lock")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	if os.Getuid() != 0 {
		require.NoError(t, os.Chmod(path, 0))
		_, err := flock.New(path)
		assert.ErrorIs(t, err, fs.ErrPermission)
		assertPathError(t, err, "open", path)
		return
	}
	for _, d := range []string{filepath.Dir(dir), dir} {
		require.NoError(t, os.Chmod(d, 0o755)) // nobody may enter
	}
	p, line := startHelper(t, "trylock", path, asUser(t, nobodyUID))
	assert.Error(t, p.cmd.Wait(), "the helper fails to open the file")
	assert.Equal(t, "error: open "+path+": permission denied", line)
}

func TestPermissionDeniedOnCreate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		require.NoError(t, os.Chmod(d, 0o755)) // nobody may enter, but not write
	}
	path := filepath.Join(dir, "new.lock")
	p, line := startHelper(t, "trylock", path, asUser(t, nobodyUID))
	assert.Error(t, p.cmd.Wait(), "the helper fails to create the file")
	assert.Equal(t, "error: open "+path+": permission denied", line)
	_, err := os.Stat(path)
	assert.ErrorIs(t, err, fs.ErrNotExist)
}
