// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock_test

// What Linux lets a test see of a Lock's descriptor and file, in /proc.

import (
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// fdsNaming returns this process's descriptors that name path.
func fdsNaming(t *testing.T, pid, path string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc/" + pid + "/fd")
	require.NoError(t, err)
	var fds []int
	for _, e := range entries {
		if target, _ := os.Readlink("/proc/" + pid + "/fd/" + e.Name()); target == path {
			fd, err := strconv.Atoi(e.Name())
			require.NoError(t, err)
			fds = append(fds, fd)
		}
	}
	return fds
}

func TestDescriptorIsCloseOnExec(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	// The lock's descriptor is the only one naming path.
	fds := fdsNaming(t, "self", path)
	require.Len(t, fds, 1, "descriptors open on the lock file")
	flags, err := unix.FcntlInt(uintptr(fds[0]), unix.F_GETFD, 0)
	require.NoError(t, err)
	assert.NotZero(t, flags&unix.FD_CLOEXEC, "fd %d lacks FD_CLOEXEC", fds[0])
}

// A program the holder runs gets no descriptor of the lock file: the
// portable TestLockNotKeptByChildOfKilledHolder shows the consequence, this
// looks at the child's descriptors themselves.
func TestChildProcessHasNoDescriptorOfTheLockFile(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	child := exec.Command("sleep", "60")
	require.NoError(t, child.Start())
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	// Start returns once the child has exec'd sleep: what it has open
	// now is what it keeps.
	pid := strconv.Itoa(child.Process.Pid)
	assert.Empty(t, fdsNaming(t, pid, path), "the child's descriptors naming the lock file")
	assert.Len(t, fdsNaming(t, "self", path), 1, "this process's")
}

func TestNewCreatesMissingFileWithMode(t *testing.T) {
	t.Parallel()
	// Read, not set: the umask is the process's, and other tests run.
	status, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	_, umask, ok := strings.Cut(string(status), "Umask:\t")
	require.True(t, ok, "no Umask in /proc/self/status")
	old, err := strconv.ParseUint(umask[:4], 8, 32)
	require.NoError(t, err)
	path := lockPath(t)
	mustNew(t, path, flock.WithFileMode(0o640))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o640)&^fs.FileMode(old), fi.Mode().Perm())
	mustNew(t, path, flock.WithFileMode(0o600))
	fi, err = os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o640)&^fs.FileMode(old), fi.Mode().Perm(), "an existing file keeps its mode")
}
