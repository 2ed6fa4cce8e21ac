// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build windows

package flock_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows"
)

// These tests run on Windows, and under Wine on Linux CI (.ci/wine). Wine's
// LockFileEx can wait only until the lock is granted: an overlapped request
// that must wait never completes ("Async I/O lock wait not implemented" in
// its NtLockFile), and a synchronous one cannot be cancelled. Tests that
// cancel a wait, or wait on an overlapped handle, need real Windows.

var underWine = windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil

func needsCancellableWait(t *testing.T) {
	t.Helper()
	if underWine {
		t.Skip("Wine cannot cancel a LockFileEx wait: this test needs Windows")
	}
}

// tempDir is t.TempDir, except that under Wine it leaves the directory
// behind if it cannot remove it: Wine 8 fails the POSIX-semantics delete that
// os.RemoveAll makes since Go 1.25, with ERROR_INVALID_FUNCTION.
func tempDir(t *testing.T) string {
	t.Helper()
	if !underWine {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("", "flock-test-")
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Logf("left %s behind: %v", dir, err)
		}
	})
	return dir
}

func winLockPath(t *testing.T) string {
	if !underWine {
		return lockPath(t)
	}
	return filepath.Join(tempDir(t), "test.lock")
}

// eventually probes until the lock at path is free: Windows releases the
// locks of a process that ended "depending upon available system resources".
func eventually(t *testing.T, path string) {
	t.Helper()
	for start := time.Now(); probe(t, "trylock", path) != "locked"; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Logf("%s still locked after %v; waiting", path, time.Since(start))
			start = time.Now()
		}
	}
}

func TestWindowsExclusiveLockExcludesOtherProcesses(t *testing.T) {
	t.Parallel()
	path := winLockPath(t)
	h := mustHold(t, "lock", path)
	assert.Equal(t, "busy", probe(t, "trylock", path))
	assert.Equal(t, "busy", probe(t, "tryrlock", path))
	l := mustNew(t, path)
	err := l.TryLock()
	assert.ErrorIs(t, err, flock.ErrLocked)
	assert.Equal(t, "trylock "+path+": lock is held elsewhere", err.Error())
	h.exit()
	eventually(t, path)
	require.NoError(t, l.TryLock())
}

func TestWindowsSharedLocksCoexistAcrossProcesses(t *testing.T) {
	t.Parallel()
	path := winLockPath(t)
	h := mustHold(t, "rlock", path)
	assert.Equal(t, "locked", probe(t, "tryrlock", path))
	assert.Equal(t, "busy", probe(t, "trylock", path))
	l := mustNew(t, path)
	require.NoError(t, l.TryRLock())
	assert.ErrorIs(t, l.TryLock(), flock.ErrLocked)
	h.exit()
}

func TestWindowsLockReleasedWhenHolderLetsGo(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"unlock", "exit", "kill", "close"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			path := winLockPath(t)
			if how == "close" {
				l := mustNew(t, path)
				require.NoError(t, l.Lock())
				assert.Equal(t, "busy", probe(t, "trylock", path))
				require.NoError(t, l.Close())
				assert.Equal(t, "locked", probe(t, "trylock", path))
				return
			}
			h := mustHold(t, "lock", path)
			switch how {
			case "unlock":
				h.send("unlock")
				require.Equal(t, "unlocked", h.readLine())
			case "exit":
				h.exit()
			case "kill":
				require.NoError(t, h.cmd.Process.Kill())
				h.cmd.Wait()
			}
			eventually(t, path)
		})
	}
}

func TestWindowsLockWaitsForAnotherProcess(t *testing.T) {
	t.Parallel()
	path := winLockPath(t)
	h := mustHold(t, "lock", path)
	l := mustNew(t, path)
	wait := mustBlock(t, "Lock while another process holds", l.Lock)
	h.send("unlock")
	require.Equal(t, "unlocked", h.readLine())
	require.NoError(t, wait.wait())
	assert.Equal(t, "busy", probe(t, "trylock", path))
	h.exit()
}

func TestWindowsTwoLocksOnOnePathExclude(t *testing.T) {
	t.Parallel()
	path := winLockPath(t)
	a, b := mustNew(t, path), mustNew(t, path)
	require.NoError(t, a.Lock())
	assert.ErrorIs(t, b.TryLock(), flock.ErrLocked)
	assert.ErrorIs(t, b.TryRLock(), flock.ErrLocked)
	wait := mustBlock(t, "second Lock on the same path", b.Lock)
	require.NoError(t, a.Unlock())
	require.NoError(t, wait.wait())
	assert.ErrorIs(t, a.TryRLock(), flock.ErrLocked)
	require.NoError(t, b.Unlock())
	require.NoError(t, a.RLock())
	require.NoError(t, b.RLock(), "shared locks of two handles coexist")
}

func TestWindowsGoroutinesSharingOneLockExclude(t *testing.T) {
	t.Parallel()
	l := mustNew(t, winLockPath(t))
	require.NoError(t, l.Lock())
	other := make(chan error)
	go func() { other <- l.TryLock() }()
	assert.ErrorIs(t, <-other, flock.ErrLocked)
	ctx, cancel := context.WithTimeout(context.Background(), quiescent)
	defer cancel()
	go func() { other <- l.LockContext(ctx) }()
	assert.ErrorIs(t, <-other, context.DeadlineExceeded)
	wait := mustBlock(t, "Lock from another goroutine", l.Lock)
	require.NoError(t, l.Unlock())
	require.NoError(t, wait.wait())
	require.NoError(t, l.Unlock())
	assert.ErrorIs(t, l.Unlock(), flock.ErrNotLocked)
}

func TestWindowsLockContextCancelsTheKernelWait(t *testing.T) {
	t.Parallel()
	needsCancellableWait(t)
	path := winLockPath(t)
	h := mustHold(t, "lock", path)
	l := mustNew(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), quiescent)
	defer cancel()
	assert.ErrorIs(t, l.LockContext(ctx), context.DeadlineExceeded)
	assert.ErrorIs(t, l.Unlock(), flock.ErrNotLocked)
	h.exit()
	eventually(t, path)
	require.NoError(t, l.TryLock(), "the Lock stays usable after a cancelled wait")
}

func TestWindowsCloseWakesTheKernelWaiter(t *testing.T) {
	t.Parallel()
	needsCancellableWait(t)
	path := winLockPath(t)
	h := mustHold(t, "lock", path)
	l := mustNew(t, path)
	wait := mustBlock(t, "Lock while another process holds", l.Lock)
	require.NoError(t, l.Close())
	assert.ErrorIs(t, wait.wait(), fs.ErrClosed)
	h.exit()
	eventually(t, path)
}

// NewFromFile may be given a handle opened for overlapped I/O: then a wait is
// an overlapped request, which CancelIoEx ends.
func TestWindowsOverlappedHandle(t *testing.T) {
	t.Parallel()
	path := winLockPath(t)
	name, err := windows.UTF16PtrFromString(path)
	require.NoError(t, err)
	hnd, err := windows.CreateFile(name, windows.GENERIC_READ, windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE,
		nil, windows.OPEN_ALWAYS, windows.FILE_FLAG_OVERLAPPED, 0)
	require.NoError(t, err)
	l, err := flock.NewFromFile(os.NewFile(uintptr(hnd), path))
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	require.NoError(t, l.TryLock())
	assert.Equal(t, "busy", probe(t, "trylock", path))
	require.NoError(t, l.Unlock())

	needsCancellableWait(t)
	h := mustHold(t, "lock", path)
	ctx, cancel := context.WithTimeout(context.Background(), quiescent)
	defer cancel()
	assert.ErrorIs(t, l.LockContext(ctx), context.DeadlineExceeded)
	wait := mustBlock(t, "Lock on an overlapped handle", l.Lock)
	h.send("unlock")
	require.Equal(t, "unlocked", h.readLine())
	require.NoError(t, wait.wait())
	h.exit()
}

// Windows locks are mandatory, so the lock covers a byte far beyond the end
// of the file: the holder record, and any other content, stays readable.
func TestWindowsHolderRecordStaysReadable(t *testing.T) {
	t.Parallel()
	path := winLockPath(t)
	a := mustNew(t, path, flock.WithHolderRecord())
	require.NoError(t, a.Lock())
	b, err := os.ReadFile(path)
	require.NoError(t, err, "another handle reads the locked file")
	assert.True(t, strings.HasPrefix(string(b), strconv.Itoa(os.Getpid())+"\n"), "record %q", b)
	other := mustNew(t, path, flock.WithHolderRecord())
	err = other.TryLock()
	var held *flock.HeldError
	require.ErrorAs(t, err, &held)
	assert.Equal(t, os.Getpid(), held.Holder.PID)
	assert.ErrorIs(t, err, flock.ErrLocked)
}

func TestWindowsDirectoryIsRefused(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	_, err := flock.New(dir)
	assert.ErrorIs(t, err, errors.ErrUnsupported)
	assertPathError(t, err, "open", dir)
	f, err := os.Open(dir)
	require.NoError(t, err)
	defer f.Close()
	_, err = flock.NewFromFile(f)
	assert.ErrorIs(t, err, errors.ErrUnsupported)
}

func TestWindowsOpenErrorsArePathErrors(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	missing := filepath.Join(dir, "missing.lock")
	_, err := flock.New(missing, flock.WithoutCreate())
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assertPathError(t, err, "open", missing)
	noParent := filepath.Join(dir, "no", "such", "dir", "x.lock")
	_, err = flock.New(noParent)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assertPathError(t, err, "open", noParent)
	_, err = flock.New("")
	assert.ErrorIs(t, err, fs.ErrInvalid)
}

func TestWindowsReadOnlyFileCanBeLockedAndIsNotChanged(t *testing.T) {
	t.Parallel()
	path := winLockPath(t)
	require.NoError(t, os.WriteFile(path, []byte("keep me\n"), 0o444))
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	assert.Equal(t, "busy", probe(t, "trylock", path))
	require.NoError(t, l.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "keep me\n", string(b))
}

func TestWindowsLockNotInheritedByChild(t *testing.T) {
	t.Parallel()
	path := winLockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	child := mustHold(t, "lock", winLockPath(t)) // a child that stays alive
	assert.Equal(t, "busy", probe(t, "trylock", path), "starting a child does not drop the lock")
	require.NoError(t, l.Close())
	assert.Equal(t, "locked", probe(t, "trylock", path), "a running child must not keep the lock after Close")
	child.exit()
}

func TestWindowsNoLostUpdatesAcrossProcesses(t *testing.T) {
	t.Parallel()
	const procs, rounds = 3, 30
	path := winLockPath(t)
	helpers := make([]*proc, procs)
	for i := range helpers {
		h := startRole(t, "Count", []string{path}, withEnv("FLOCK_ROUNDS="+strconv.Itoa(rounds)))
		require.Equal(t, "ready", h.readLine())
		helpers[i] = h
	}
	for _, h := range helpers {
		h.send("go")
	}
	for _, h := range helpers {
		assert.Equal(t, strconv.Itoa(rounds), h.readLine())
		h.exit()
	}
	b, err := os.ReadFile(path + ".count")
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(procs*rounds), string(b))
}

func assertPathError(t *testing.T, err error, op, path string) {
	t.Helper()
	var pe *fs.PathError
	if assert.ErrorAs(t, err, &pe) {
		assert.Equal(t, op, pe.Op)
		assert.Equal(t, path, pe.Path)
	}
}
