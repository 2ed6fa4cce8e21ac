// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package flock_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Semantics 1: across processes.

func TestExclusiveLockExcludesOtherProcesses(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	h := mustHold(t, "lock", path)
	assert.Equal(t, "busy", probe(t, "trylock", path))
	assert.Equal(t, "busy", probe(t, "tryrlock", path))

	l := mustNew(t, path)
	err := l.TryLock()
	assert.ErrorIs(t, err, flock.ErrLocked)
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "trylock", pe.Op)
	assert.Equal(t, path, pe.Path)
	h.exit()
}

func TestSharedLocksCoexistAcrossProcesses(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	h := mustHold(t, "rlock", path)
	assert.Equal(t, "locked", probe(t, "tryrlock", path))
	assert.Equal(t, "busy", probe(t, "trylock", path))
	l := mustNew(t, path)
	require.NoError(t, l.TryRLock())
	h.exit()
}

func TestExclusiveLockWaitsForAllSharedHolders(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	h1 := mustHold(t, "rlock", path)
	h2 := mustHold(t, "rlock", path)
	l := mustNew(t, path)
	p := mustBlock(t, "Lock while two processes share", l.Lock)
	h1.exit()
	p.stillBlocked("Lock while one process shares")
	h2.send("unlock")
	require.Equal(t, "unlocked", h2.readLine())
	require.NoError(t, p.wait())
	assert.Equal(t, "busy", probe(t, "tryrlock", path))
	h2.exit()
}

func TestLockReleasedWhenHolderLetsGo(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"unlock", "exit", "sigkill"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			path := lockPath(t)
			h := mustHold(t, "lock", path)
			l := mustNew(t, path)
			wait := mustBlock(t, "Lock", l.Lock)
			switch how {
			case "unlock":
				h.send("unlock")
				require.Equal(t, "unlocked", h.readLine())
			case "exit":
				h.exit()
			case "sigkill":
				require.NoError(t, h.cmd.Process.Signal(syscall.SIGKILL))
			}
			require.NoError(t, wait.wait())
			assert.Equal(t, "busy", probe(t, "trylock", path))
		})
	}
}

func TestLockReleasedOnClose(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	assert.Equal(t, "busy", probe(t, "trylock", path))
	require.NoError(t, l.Close())
	assert.Equal(t, "locked", probe(t, "trylock", path))
}

func TestLockNotInheritedByChild(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	child := exec.Command("sleep", "60")
	require.NoError(t, child.Start())
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	// Had the child inherited the descriptor, it would keep the lock
	// alive after Close.
	require.NoError(t, l.Close())
	assert.Equal(t, "locked", probe(t, "trylock", path), "a running child must not keep the lock after Close")
	fds, err := os.ReadDir("/proc/" + strconv.Itoa(child.Process.Pid) + "/fd")
	require.NoError(t, err)
	for _, fd := range fds {
		target, _ := os.Readlink("/proc/" + strconv.Itoa(child.Process.Pid) + "/fd/" + fd.Name())
		assert.NotEqual(t, path, target, "child has the lock file open as fd %s", fd.Name())
	}
}

func TestLockNotDroppedByStartingChild(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	require.NoError(t, exec.Command("true").Run())
	assert.Equal(t, "busy", probe(t, "trylock", path))
}

// Semantics 2: inside one process.

func TestGoroutinesSharingOneLockExclude(t *testing.T) {
	t.Parallel()
	l := mustNew(t, lockPath(t))
	require.NoError(t, l.Lock())

	other := make(chan error)
	go func() { other <- l.TryLock() }()
	assert.ErrorIs(t, <-other, flock.ErrLocked)
	go func() { other <- l.TryRLock() }()
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

func TestGoroutinesShareTheSharedLock(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.RLock())
	done := make(chan error)
	go func() { done <- l.RLock() }()
	require.NoError(t, <-done)
	assert.ErrorIs(t, l.TryLock(), flock.ErrLocked)
	require.NoError(t, l.Unlock())
	assert.Equal(t, "busy", probe(t, "trylock", path), "one shared hold is left")
	require.NoError(t, l.Unlock())
	assert.Equal(t, "locked", probe(t, "trylock", path))
}

func TestWaitingWriterHoldsBackLaterReaders(t *testing.T) {
	t.Parallel()
	l := mustNew(t, lockPath(t))
	require.NoError(t, l.RLock())
	writer := mustBlock(t, "Lock behind a reader", l.Lock)
	assert.ErrorIs(t, l.TryRLock(), flock.ErrLocked, "a reader must not overtake a waiting writer")
	reader := mustBlock(t, "RLock behind a waiting writer", l.RLock)
	require.NoError(t, l.Unlock())
	require.NoError(t, writer.wait())
	require.NoError(t, l.Unlock())
	require.NoError(t, reader.wait())
	require.NoError(t, l.Unlock())
}

func TestTwoLocksOnOnePathExclude(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	a, b := mustNew(t, path), mustNew(t, path)
	require.NoError(t, a.Lock())
	assert.ErrorIs(t, b.TryLock(), flock.ErrLocked)
	wait := mustBlock(t, "second Lock on the same path", b.Lock)
	require.NoError(t, a.Unlock())
	require.NoError(t, wait.wait())
	assert.ErrorIs(t, a.TryRLock(), flock.ErrLocked)
}

// The race detector cannot see file locks, so this test also proves the
// exclusion with a plain counter that only the lock protects.
func TestLockExcludesGoroutinesUnderLoad(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	locks := []*flock.Lock{mustNew(t, path), mustNew(t, path)}
	var inside, most, total int
	var check sync.Mutex // only to read inside/max safely; the flock does the excluding
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := locks[g%2]
			for range 200 {
				if err := l.Lock(); err != nil {
					t.Error(err)
					return
				}
				check.Lock()
				inside++
				most = max(most, inside)
				check.Unlock()
				runtime.Gosched() // give an intruder a chance to show up
				check.Lock()
				inside--
				total++
				check.Unlock()
				if err := l.Unlock(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, most, "goroutines inside the critical section at once")
	assert.Equal(t, 8*200, total)
}

// Semantics 3: no mutex is held while a goroutine waits in the kernel.

func TestOtherCallsDoNotStallBehindAKernelWaiter(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	h := mustHold(t, "lock", path)
	l := mustNew(t, path)
	wait := mustBlock(t, "Lock while another process holds", l.Lock)
	// Each of these returns at once; a stall would hang the test until
	// go test -timeout ends it.
	assert.ErrorIs(t, l.TryLock(), flock.ErrLocked)
	assert.ErrorIs(t, l.TryRLock(), flock.ErrLocked)
	assert.ErrorIs(t, l.Unlock(), flock.ErrNotLocked)
	require.NoError(t, l.Close())
	assert.ErrorIs(t, wait.wait(), fs.ErrClosed)
	h.exit()
	assert.Equal(t, "locked", probe(t, "trylock", path), "the closed waiter must not have taken the lock")
}

// Semantics 4: misuse is reported, never a panic or a lost lock.

func TestUnlockWithoutLockReportsNotLocked(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	a, b := mustNew(t, path), mustNew(t, path)
	require.NoError(t, a.Lock())
	err := b.Unlock()
	assert.ErrorIs(t, err, flock.ErrNotLocked)
	assert.EqualError(t, err, "unlock "+path+": not locked")
	assert.Equal(t, "busy", probe(t, "trylock", path), "b.Unlock must not drop a's lock")
	require.NoError(t, a.Unlock())
	assert.ErrorIs(t, a.Unlock(), flock.ErrNotLocked, "second Unlock")
}

func TestCallsAfterCloseReportClosed(t *testing.T) {
	t.Parallel()
	l := mustNew(t, lockPath(t))
	require.NoError(t, l.Lock())
	require.NoError(t, l.Close())
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"Close":        l.Close,
		"TryLock":      l.TryLock,
		"TryRLock":     l.TryRLock,
		"Lock":         l.Lock,
		"RLock":        l.RLock,
		"LockContext":  func() error { return l.LockContext(ctx) },
		"RLockContext": func() error { return l.RLockContext(ctx) },
		"Unlock":       l.Unlock,
	} {
		err := call()
		assert.ErrorIs(t, err, fs.ErrClosed, name)
		var pe *fs.PathError
		assert.ErrorAs(t, err, &pe, name)
	}
}

func TestCloseWakesInProcessWaiters(t *testing.T) {
	t.Parallel()
	l := mustNew(t, lockPath(t))
	require.NoError(t, l.Lock())
	w1 := mustBlock(t, "Lock", l.Lock)
	w2 := mustBlock(t, "RLockContext", func() error { return l.RLockContext(context.Background()) })
	require.NoError(t, l.Close())
	assert.ErrorIs(t, w1.wait(), fs.ErrClosed)
	assert.ErrorIs(t, w2.wait(), fs.ErrClosed)
}

func TestNilLockReportsInvalid(t *testing.T) {
	var l *flock.Lock
	assert.ErrorIs(t, l.TryLock(), fs.ErrInvalid)
	assert.ErrorIs(t, l.Lock(), fs.ErrInvalid)
	assert.ErrorIs(t, l.Unlock(), fs.ErrInvalid)
	assert.ErrorIs(t, l.Close(), fs.ErrInvalid)
}

func TestNilContextIsAnErrorNotAPanic(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path)
	//lint:ignore SA1012 a nil context is the bad input under test
	err := l.LockContext(nil)
	assert.EqualError(t, err, "lock "+path+": nil Context")
	assert.ErrorIs(t, l.Unlock(), flock.ErrNotLocked)
}

// Semantics 5: LockContext.

func TestLockContextReturnsDeadlineAndHoldsNothing(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	h := mustHold(t, "lock", path)
	l := mustNew(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), quiescent)
	defer cancel()
	err := l.LockContext(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, l.Unlock(), flock.ErrNotLocked)
	h.exit()
	assert.Equal(t, "locked", probe(t, "trylock", path), "a cancelled wait must leave no lock behind")
	require.NoError(t, l.TryLock(), "the Lock stays usable after a cancelled wait")
}

func TestLockContextFailsAtOnceOnEndedContext(t *testing.T) {
	t.Parallel()
	l := mustNew(t, lockPath(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, l.LockContext(ctx), context.Canceled)
	assert.ErrorIs(t, l.RLockContext(ctx), context.Canceled)
	assert.ErrorIs(t, l.Unlock(), flock.ErrNotLocked)
}

func TestLockContextGetsLockWhenReleased(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	h := mustHold(t, "lock", path)
	l := mustNew(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wait := mustBlock(t, "LockContext", func() error { return l.LockContext(ctx) })
	h.exit()
	require.NoError(t, wait.wait())
	assert.Equal(t, "busy", probe(t, "trylock", path))
}

func TestRLockContextCancelledBehindInProcessWriter(t *testing.T) {
	t.Parallel()
	l := mustNew(t, lockPath(t))
	require.NoError(t, l.Lock())
	ctx, cancel := context.WithCancel(context.Background())
	wait := mustBlock(t, "RLockContext", func() error { return l.RLockContext(ctx) })
	cancel()
	assert.ErrorIs(t, wait.wait(), context.Canceled)
	require.NoError(t, l.Unlock())
	require.NoError(t, l.TryLock(), "the cancelled waiter must have left the queue")
}

// Semantics 6: what can be locked, and close-on-exec.

func TestDirectoryCanBeLocked(t *testing.T) {
	t.Parallel()
	skipUnderRecordLocks(t, "an exclusive lock needs a descriptor open for writing, which a directory cannot have")
	dir := t.TempDir()
	l := mustNew(t, dir)
	require.NoError(t, l.Lock())
	assert.Equal(t, "busy", probe(t, "trylock", dir))
	f, err := os.Open(dir)
	require.NoError(t, err)
	other, err := flock.NewFromFile(f)
	require.NoError(t, err)
	defer other.Close()
	assert.ErrorIs(t, other.TryRLock(), flock.ErrLocked)
}

func TestReadOnlyFileCanBeLockedAndIsNotChanged(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	require.NoError(t, os.WriteFile(path, []byte("keep me\n"), 0o444))
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	require.NoError(t, l.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "keep me\n", string(b))
}

func TestNewCreatesMissingFileWithMode(t *testing.T) {
	t.Parallel()
	// Read, not set: the umask is the process's, and other tests run.
	status, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	_, umask, _ := strings.Cut(string(status), "Umask:\t")
	old, err := strconv.ParseUint(umask[:4], 8, 32)
	require.NoError(t, err)
	path := lockPath(t)
	mustNew(t, path, flock.WithFileMode(0o640))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o640)&^fs.FileMode(old), fi.Mode().Perm())
}

func TestProgramCanLockItsOwnExecutable(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	require.NoError(t, err)
	f, err := os.Open(exe)
	require.NoError(t, err)
	l, err := flock.NewFromFile(f)
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, l.TryRLock())
}

func TestDescriptorIsCloseOnExec(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	// The lock's descriptor is the only one naming path; look it up.
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	found := 0
	for _, e := range fds {
		if target, _ := os.Readlink("/proc/self/fd/" + e.Name()); target == path {
			fd, err := strconv.Atoi(e.Name())
			require.NoError(t, err)
			flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
			require.NoError(t, err)
			assert.NotZero(t, flags&unix.FD_CLOEXEC, "fd %d lacks FD_CLOEXEC", fd)
			found++
		}
	}
	assert.Equal(t, 1, found, "descriptors open on the lock file")
}

// Semantics 7: errors name the operation and the path.

func TestOpenErrorsArePathErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
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

	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, unix.Mkfifo(fifo, 0o600))
	_, err = flock.New(fifo) // must not block waiting for a writer
	assertPathError(t, err, "open", fifo)
}

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

func assertPathError(t *testing.T, err error, op, path string) {
	t.Helper()
	var pe *fs.PathError
	if assert.ErrorAs(t, err, &pe) {
		assert.Equal(t, op, pe.Op)
		assert.Equal(t, path, pe.Path)
	}
}

func TestWaitHookCalledOnceWhenWaitBlocks(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	var mu sync.Mutex
	var calls []string
	hook := flock.WithWaitHook(func(p string) { mu.Lock(); calls = append(calls, p); mu.Unlock() })
	l := mustNew(t, path, hook)
	require.NoError(t, l.Lock()) // free: no wait, no call
	require.NoError(t, l.Unlock())
	h := mustHold(t, "lock", path)
	wait := mustBlock(t, "Lock", l.Lock)
	h.exit()
	require.NoError(t, wait.wait())
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{path}, calls)
}

func TestErrLockedMatchesWithErrorsIs(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	a, b := mustNew(t, path), mustNew(t, path)
	require.NoError(t, a.TryLock())
	err := b.TryLock()
	require.Error(t, err)
	assert.True(t, errors.Is(err, flock.ErrLocked))
	assert.Equal(t, "trylock "+path+": lock is held elsewhere", err.Error())
}
