// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock_test

// What the portable tests need to know about Windows, and the tests of what
// only Windows does. The tests run on Windows, and under Wine on Linux
// (.ci/wine), where the library polls every wait, as Wine can neither cancel
// a blocking LockFileEx nor complete one on an overlapped handle.

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows"
)

// underWine reports whether the tests run under Wine, as the library finds
// out: Wine's ntdll has wine_get_version.
var underWine = sync.OnceValue(func() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
})

// pollingWaits reports whether every wait polls (see waits_kernel_test.go):
// under Wine it does.
func pollingWaits() bool { return underWine() }

// tempDir is t.TempDir, except that under Wine it leaves the directory
// behind, and says so, if it cannot remove it: Wine 8 fails the
// POSIX-semantics delete that os.RemoveAll makes since Go 1.25, with
// ERROR_INVALID_FUNCTION, and t.TempDir would fail the test for it.
func tempDir(t *testing.T) string {
	t.Helper()
	if !underWine() {
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

// skipUnlessOpenFilesCanBeReplaced skips a test that removes or renames over
// a lock file while it is open: under Wine 8, os.Remove fails for every
// file, open or not, with ERROR_INVALID_FUNCTION (Wine lacks
// FileDispositionInformationEx, the POSIX-semantics delete that os.Remove
// makes since Go 1.25), and os.Rename over an open file fails with "Access
// denied". Windows itself does both on NTFS, whose files the Lock opens with
// FILE_SHARE_DELETE.
func skipUnlessOpenFilesCanBeReplaced(t *testing.T) {
	t.Helper()
	if underWine() {
		t.Skip("Wine 8 can neither remove a file as os.Remove does (ERROR_INVALID_FUNCTION) nor rename over an open one")
	}
}

// requireReleasedByExit waits until the lock at path is free, now that the
// process that held it has exited or was killed: Windows releases the locks
// of a process that ended "depending upon available system resources"
// (LockFileEx's documentation), not as it ends. It probes until the lock is
// free; a lock that is never released is for go test -timeout to report.
func requireReleasedByExit(t *testing.T, path string) {
	t.Helper()
	start, probes := time.Now(), 1
	for ; probe(t, "trylock", path) != "locked"; probes++ {
		if time.Since(start) > 10*time.Second {
			t.Logf("%s still locked after %v; waiting", path, time.Since(start))
			start = time.Now()
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("the lock of the process that ended was free at probe %d", probes)
}

// NewFromFile may be given a handle opened for overlapped I/O: then a wait
// in the kernel is an overlapped request, which CancelIoEx ends. Under Wine
// the wait polls.
func TestWindowsOverlappedHandleLocksWaitsAndCancels(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
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

	h := mustHold(t, "lock", path)
	ctx, cancel := context.WithTimeout(context.Background(), quiescent)
	defer cancel()
	err = l.LockContext(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assertPathError(t, err, "lock", path)
	wait := mustBlock(t, "Lock on an overlapped handle", l.Lock)
	h.send("unlock")
	require.Equal(t, "unlocked", h.readLine())
	require.NoError(t, wait.wait())
	assert.Equal(t, "busy", probe(t, "trylock", path))
	h.exit()
}

// Windows locks are mandatory, so the lock covers a byte far beyond the end
// of the file: the holder record, and any other content, stays readable to
// other handles while the lock is held.
func TestWindowsHolderRecordStaysReadable(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	a := mustNew(t, path, flock.WithHolderRecord())
	require.NoError(t, a.Lock())
	b, err := os.ReadFile(path)
	require.NoError(t, err, "another handle reads the locked file")
	assert.True(t, strings.HasPrefix(string(b), strconv.Itoa(os.Getpid())+"\n"), "record %q", b)
	other := mustNew(t, path, flock.WithHolderRecord())
	assert.ErrorIs(t, other.TryLock(), flock.ErrLocked)
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), strconv.Itoa(os.Getpid())+"\n"), "the loser left the record alone: %q", b)
}

// LockFileEx cannot lock a directory, so New and NewFromFile refuse one.
func TestWindowsDirectoryIsRefused(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	_, err := flock.New(dir)
	assert.ErrorIs(t, err, errors.ErrUnsupported)
	assertPathError(t, err, "open", dir)
	f, err := os.Open(dir)
	require.NoError(t, err)
	_, err = flock.NewFromFile(f)
	assert.ErrorIs(t, err, errors.ErrUnsupported)
	assertPathError(t, err, "open", dir)
	assert.NoError(t, f.Close(), "a refused file stays open, the caller's to close")
}

// startFailedInWine reports whether err is Wine's CreateProcess failing
// with ERROR_INTERNAL_ERROR, as it did once in CI (at 280ede8) while the
// soak test started its helpers. launch tries such a start again, at most
// three times in all, and logs it.
func startFailedInWine(err error) bool {
	return errors.Is(err, windows.ERROR_INTERNAL_ERROR)
}
