// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock_test

// The semantic tests: what a Lock does, on every system, with every
// mechanism (flock(2) with kernel or polling waits, fcntl record locks,
// LockFileEx). They build with no constraint, so that the Windows suite is
// these tests. What only some systems can check lives in _linux_test.go,
// _unix_test.go and _windows_test.go files; a test of what a mechanism
// cannot do skips and says why.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	assertPathError(t, err, "trylock", path)
	err = l.TryRLock()
	assert.ErrorIs(t, err, flock.ErrLocked)
	assertPathError(t, err, "tryrlock", path)
	h.exit()
}

func TestSharedLocksCoexistAcrossProcesses(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	h := mustHold(t, "rlock", path)
	assert.Equal(t, "locked", probe(t, "tryrlock", path))
	assert.Equal(t, "busy", probe(t, "trylock", path))
	l := mustNew(t, path)
	require.NoError(t, l.TryRLock(), "a second process shares the lock")
	assert.ErrorIs(t, l.TryLock(), flock.ErrLocked, "a shared hold is not exclusive")
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

// A Lock waiting for another process's lock gets it however the holder lets
// go: by unlocking, by exiting without unlocking, or by being killed.
func TestLockReleasedWhenHolderLetsGo(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"unlock", "exit", "kill"} {
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
			case "kill":
				require.NoError(t, h.cmd.Process.Kill())
			}
			require.NoError(t, wait.wait())
			assert.Equal(t, "busy", probe(t, "trylock", path), "the waiter holds the lock")
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

// HoldWithChild takes the lock at args[0], starts a child process in the
// role Child that shares its stdin and stdout, prints "locked", and holds
// until stdin is closed or it is killed.
func (helperRoles) HoldWithChild(args []string) int {
	l, err := flock.New(args[0])
	if err == nil {
		err = l.Lock()
	}
	if err != nil {
		return helperFailed(err)
	}
	exe, err := os.Executable()
	if err != nil {
		return helperFailed(err)
	}
	child := exec.Command(exe)
	child.Env = append(os.Environ(), roleEnv+"=Child")
	child.Stdin, child.Stdout, child.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := child.Start(); err != nil {
		return helperFailed(err)
	}
	fmt.Println("locked")
	bufio.NewReader(os.Stdin).ReadString('\n')
	return 0
}

// Child prints "child running", waits until stdin is closed, then prints
// "child exiting": a line after that proves it outlived whatever the test
// did in between.
func (helperRoles) Child([]string) int {
	fmt.Println("child running")
	bufio.NewReader(os.Stdin).ReadString('\n')
	fmt.Println("child exiting")
	return 0
}

// A child that a holder started does not inherit the lock: once the holder
// is killed, the lock is free although the child runs on. A child that
// inherited the descriptor (or handle) would keep the lock held.
func TestLockNotKeptByChildOfKilledHolder(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	h := startRole(t, "HoldWithChild", []string{path})
	first := []string{h.readLine(), h.readLine()} // the two write in either order
	require.ElementsMatch(t, []string{"locked", "child running"}, first)
	assert.Equal(t, "busy", probe(t, "trylock", path), "the holder holds")
	require.NoError(t, h.cmd.Process.Kill())
	// Waited for with Process.Wait, not h.exit: cmd.Wait would close the
	// pipe that the child still writes to.
	_, err := h.cmd.Process.Wait()
	require.NoError(t, err)
	requireReleasedByExit(t, path)
	h.stdin.Close()
	assert.Equal(t, "child exiting", h.readLine(), "the child ran until after the probe")
}

func TestLockNotDroppedByStartingChild(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	c := startRole(t, "Child", nil)
	require.Equal(t, "child running", c.readLine())
	c.exit()
	assert.Equal(t, "busy", probe(t, "trylock", path), "starting a child and its exit must leave the lock held")
	require.NoError(t, l.Unlock())
	assert.Equal(t, "locked", probe(t, "trylock", path))
}

// Drop takes the lock, drops every reference to the Lock and collects
// garbage; then prints "locked" and holds until stdin is closed. The lock
// must stay held all the while.
func (helperRoles) Drop(args []string) int {
	if err := func() error {
		l, err := flock.New(args[0])
		if err != nil {
			return err
		}
		return l.TryLock()
	}(); err != nil {
		return helperFailed(err)
	}
	for range 5 {
		runtime.GC()
	}
	fmt.Println("locked")
	bufio.NewReader(os.Stdin).ReadString('\n')
	return 0
}

func TestDroppedLockStaysHeld(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	h := mustHoldRole(t, "Drop", path)
	assert.Equal(t, "busy", probe(t, "trylock", path), "a collected Lock must not release its lock")
	h.exit()
	requireReleasedByExit(t, path)
}

func helperFailed(err error) int {
	fmt.Println("error:", err)
	return 1
}

// Semantics 2: inside one process.

func TestGoroutinesSharingOneLockExclude(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.Lock())

	other := make(chan error)
	go func() { other <- l.TryLock() }()
	assert.ErrorIs(t, <-other, flock.ErrLocked)
	go func() { other <- l.TryRLock() }()
	assert.ErrorIs(t, <-other, flock.ErrLocked)

	ctx, cancel := context.WithTimeout(context.Background(), quiescent)
	defer cancel()
	go func() { other <- l.LockContext(ctx) }()
	err := <-other
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assertPathError(t, err, "lock", path)

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
	require.NoError(t, <-done, "a second goroutine joins the shared lock")
	go func() { done <- l.TryRLock() }()
	require.NoError(t, <-done, "and a third")
	assert.ErrorIs(t, l.TryLock(), flock.ErrLocked)
	require.NoError(t, l.Unlock())
	require.NoError(t, l.Unlock())
	assert.Equal(t, "busy", probe(t, "trylock", path), "one shared hold is left")
	assert.Equal(t, "locked", probe(t, "tryrlock", path), "and it is shared")
	require.NoError(t, l.Unlock())
	assert.Equal(t, "locked", probe(t, "trylock", path), "the last Unlock releases the lock")
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
	reader.stillBlocked("RLock while the writer holds")
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
	assert.ErrorIs(t, b.TryRLock(), flock.ErrLocked)
	wait := mustBlock(t, "second Lock on the same path", b.Lock)
	require.NoError(t, a.Unlock())
	require.NoError(t, wait.wait())
	assert.ErrorIs(t, a.TryRLock(), flock.ErrLocked)
	require.NoError(t, b.Unlock())
	require.NoError(t, a.RLock())
	require.NoError(t, b.RLock(), "shared locks of two Locks coexist")
	assert.Equal(t, "busy", probe(t, "trylock", path))
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

// Semantics 3: no mutex is held while the owner waits for the lock.

func TestOtherCallsDoNotStallBehindAWaitingOwner(t *testing.T) {
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
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, l.RLockContext(ended), context.Canceled)
	assert.Equal(t, path, l.Path())
	wait.stillBlocked("Lock after the other calls")
	h.send("unlock")
	require.Equal(t, "unlocked", h.readLine())
	require.NoError(t, wait.wait(), "the waiting owner gets the lock after all")
	assert.Equal(t, "busy", probe(t, "trylock", path))
	h.exit()
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
	assert.Equal(t, "locked", probe(t, "trylock", path))
}

func TestCallsAfterCloseReportClosed(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	require.NoError(t, l.Close())
	ctx := context.Background()
	for _, c := range []struct {
		name, op string
		call     func() error
	}{
		{"Close", "close", l.Close},
		{"TryLock", "trylock", l.TryLock},
		{"TryRLock", "tryrlock", l.TryRLock},
		{"Lock", "lock", l.Lock},
		{"RLock", "rlock", l.RLock},
		{"LockContext", "lock", func() error { return l.LockContext(ctx) }},
		{"RLockContext", "rlock", func() error { return l.RLockContext(ctx) }},
		{"Unlock", "unlock", l.Unlock},
	} {
		err := c.call()
		assert.ErrorIs(t, err, fs.ErrClosed, c.name)
		assertPathError(t, err, c.op, path)
	}
	assert.Equal(t, path, l.Path(), "Path still names the file")
	assert.Equal(t, "locked", probe(t, "trylock", path), "no call after Close took the lock")
}

func TestCloseWakesInProcessWaiters(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	w1 := mustBlock(t, "Lock", l.Lock)
	w2 := mustBlock(t, "RLockContext", func() error { return l.RLockContext(context.Background()) })
	require.NoError(t, l.Close())
	err := w1.wait()
	assert.ErrorIs(t, err, fs.ErrClosed)
	assertPathError(t, err, "lock", path)
	err = w2.wait()
	assert.ErrorIs(t, err, fs.ErrClosed)
	assertPathError(t, err, "rlock", path)
	assert.Equal(t, "locked", probe(t, "trylock", path), "Close released the lock and no waiter took it")
}

// Close ends the wait of the goroutine that waits for another process's
// lock, and that goroutine does not take the lock later, when the holder
// lets go: a lock taken for nobody would lock everyone out.
func TestCloseEndsAWaitForAnotherProcessesLock(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	h := mustHold(t, "lock", path)
	l := mustNew(t, path)
	wait := mustBlock(t, "Lock while another process holds", l.Lock)
	require.NoError(t, l.Close())
	err := wait.wait()
	assert.ErrorIs(t, err, fs.ErrClosed)
	assertPathError(t, err, "lock", path)
	assert.Equal(t, "busy", probe(t, "trylock", path), "the holder still holds")
	h.exit()
	requireReleasedByExit(t, path)
}

// The zero Lock has no file, and a nil *Lock is no Lock at all: every
// method says so rather than panic.
func TestNilAndZeroLocksReportInvalid(t *testing.T) {
	t.Parallel()
	for name, l := range map[string]*flock.Lock{"nil": nil, "zero": {}} {
		ctx := context.Background()
		for _, c := range []struct {
			op   string
			call func() error
		}{
			{"trylock", l.TryLock},
			{"tryrlock", l.TryRLock},
			{"lock", l.Lock},
			{"rlock", l.RLock},
			{"lock", func() error { return l.LockContext(ctx) }},
			{"rlock", func() error { return l.RLockContext(ctx) }},
			{"unlock", l.Unlock},
			{"close", l.Close},
		} {
			err := c.call()
			assert.ErrorIs(t, err, fs.ErrInvalid, "%s Lock: %s", name, c.op)
			assertPathError(t, err, c.op, "")
		}
		assert.Equal(t, "", l.Path(), "%s Lock", name)
	}
}

func TestNilContextIsAnErrorNotAPanic(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path)
	//lint:ignore SA1012 a nil context is the bad input under test
	assert.EqualError(t, l.LockContext(nil), "lock "+path+": nil Context")
	//lint:ignore SA1012 a nil context is the bad input under test
	assert.EqualError(t, l.RLockContext(nil), "rlock "+path+": nil Context")
	assert.ErrorIs(t, l.Unlock(), flock.ErrNotLocked)
	require.NoError(t, l.TryLock(), "the Lock stays usable")
}

// Semantics 5: LockContext.

// A wait for another process's lock that its context ends returns the
// context's error, naming the operation and the path, and leaves nothing
// held: not now, and not once the holder lets go.
func TestLockContextEndsWithTheContextsErrorAndHoldsNothing(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, op string
		want     error
	}{
		{"LockContext deadline", "lock", context.DeadlineExceeded},
		{"LockContext cancel", "lock", context.Canceled},
		{"RLockContext cancel", "rlock", context.Canceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := lockPath(t)
			h := mustHold(t, "lock", path)
			l := mustNew(t, path)
			lockContext := l.LockContext
			if c.op == "rlock" {
				lockContext = l.RLockContext
			}
			var err error
			if c.want == context.DeadlineExceeded {
				ctx, cancel := context.WithTimeout(context.Background(), quiescent)
				defer cancel()
				err = lockContext(ctx)
			} else {
				ctx, cancel := context.WithCancel(context.Background())
				wait := mustBlock(t, c.name, func() error { return lockContext(ctx) })
				cancel()
				err = wait.wait()
			}
			assert.ErrorIs(t, err, c.want)
			assertPathError(t, err, c.op, path)
			assert.ErrorIs(t, l.Unlock(), flock.ErrNotLocked)
			h.exit()
			requireReleasedByExit(t, path) // the cancelled wait left no lock behind
			require.NoError(t, l.TryLock(), "the Lock stays usable after a cancelled wait")
		})
	}
}

// A context that has ended already makes LockContext fail without trying,
// even when the lock is free.
func TestLockContextFailsAtOnceOnEndedContext(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := l.LockContext(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assertPathError(t, err, "lock", path)
	err = l.RLockContext(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assertPathError(t, err, "rlock", path)
	assert.ErrorIs(t, l.Unlock(), flock.ErrNotLocked)
	assert.Equal(t, "locked", probe(t, "trylock", path), "nothing was taken")
}

// A LockContext waiting for another process's lock gets it when it is
// released, and keeps it after its context ends, until Unlock.
func TestLockContextGetsLockWhenReleased(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	h := mustHold(t, "lock", path)
	l := mustNew(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	wait := mustBlock(t, "LockContext", func() error { return l.LockContext(ctx) })
	h.send("unlock")
	require.Equal(t, "unlocked", h.readLine())
	require.NoError(t, wait.wait())
	cancel()
	assert.Equal(t, "busy", probe(t, "trylock", path), "held after its context ended")
	require.NoError(t, l.Unlock())
	assert.Equal(t, "locked", probe(t, "trylock", path), "released by Unlock")
	h.exit()
}

// A long-lived context used for many waits keeps almost nothing of them: of
// what the waits register on the context to watch it, at most one (the last
// wait's) is left after Unlock, none after a wait that ended with its
// context, and none after Close.
func TestLongLivedContextKeepsNoWatchOfPastWaits(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	holder, waiter := mustNew(t, path), mustNew(t, path)
	ctx := newWatchCountingContext()
	for i := range 3 {
		require.NoError(t, holder.TryLock())
		wait := mustBlock(t, "LockContext", func() error { return waiter.LockContext(ctx) })
		require.NoError(t, holder.Unlock())
		require.NoError(t, wait.wait())
		require.NoError(t, waiter.Unlock())
		assert.LessOrEqual(t, ctx.active(), 1, "watches left after Unlock of wait %d", i)
	}
	require.NoError(t, holder.TryLock())
	ending := newWatchCountingContext()
	wait := mustBlock(t, "LockContext", func() error { return waiter.LockContext(ending) })
	ending.end()
	assert.ErrorIs(t, wait.wait(), context.Canceled)
	assert.Zero(t, ending.active(), "watches left after a wait that its context ended")
	require.NoError(t, holder.Unlock())
	require.NoError(t, holder.TryLock())
	wait = mustBlock(t, "LockContext", func() error { return waiter.LockContext(ctx) })
	require.NoError(t, holder.Unlock())
	require.NoError(t, wait.wait())
	require.NoError(t, waiter.Close())
	assert.Zero(t, ctx.active(), "watches left after Close")
	if !pollingWaits() {
		// The three waits in a row on ctx share one watch; the one on
		// ending replaced it, and the last wait on ctx watched it anew.
		assert.Equal(t, 2, ctx.registered(), "watches registered on the context of four waits, three in a row")
		assert.Equal(t, 1, ending.registered(), "watches registered on the context of one wait")
	}
}

// A watch kept from an earlier wait has fired, with no wait to end, when
// the context ends between the wait's first check of it and its sleep in
// the kernel; the wait must see that the context has ended rather than
// sleep until the holder lets go.
func TestContextEndingJustBeforeAWaitEndsIt(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	holder := mustNew(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var endOnWait atomic.Bool
	waiter, err := flock.New(path, flock.WithWaitHook(func(string) {
		if endOnWait.Load() {
			cancel()
			// The watch runs on a goroutine of its own: let it find
			// no wait to end, as it does when the race is lost.
			time.Sleep(quiescent)
		}
	}))
	require.NoError(t, err)
	defer waiter.Close()
	require.NoError(t, holder.TryLock())
	wait := mustBlock(t, "LockContext", func() error { return waiter.LockContext(ctx) })
	require.NoError(t, holder.Unlock())
	require.NoError(t, wait.wait())
	require.NoError(t, waiter.Unlock())

	require.NoError(t, holder.TryLock())
	endOnWait.Store(true)
	done := make(chan error, 1)
	go func() { done <- waiter.LockContext(ctx) }()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Error("LockContext still waits 10 s after its context ended")
		require.NoError(t, holder.Unlock())
		<-done
		return
	}
	require.NoError(t, holder.Unlock())
	assert.Equal(t, "locked", probe(t, "trylock", path), "the ended wait took no lock: another process can take it")
}

// A watchCountingContext ends when end is called, and counts the watches
// registered on it with context.AfterFunc (which uses its AfterFunc method)
// and those still registered.
type watchCountingContext struct {
	context.Context
	done    chan struct{}
	mu      sync.Mutex
	err     error
	n       int             // registered
	watches map[*int]func() // registered, and neither stopped nor run
}

func newWatchCountingContext() *watchCountingContext {
	return &watchCountingContext{Context: context.Background(), done: make(chan struct{}), watches: map[*int]func(){}}
}

func (c *watchCountingContext) Done() <-chan struct{} { return c.done }

func (c *watchCountingContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *watchCountingContext) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	key := new(int)
	if c.err != nil {
		go f()
		return func() bool { return false }
	}
	c.watches[key] = f
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.watches[key]
		delete(c.watches, key)
		return ok
	}
}

func (c *watchCountingContext) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = context.Canceled
	close(c.done)
	for key, f := range c.watches {
		delete(c.watches, key)
		go f()
	}
}

func (c *watchCountingContext) active() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.watches)
}

func (c *watchCountingContext) registered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func TestRLockContextCancelledBehindInProcessWriter(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	ctx, cancel := context.WithCancel(context.Background())
	wait := mustBlock(t, "RLockContext", func() error { return l.RLockContext(ctx) })
	cancel()
	err := wait.wait()
	assert.ErrorIs(t, err, context.Canceled)
	assertPathError(t, err, "rlock", path)
	require.NoError(t, l.Unlock())
	require.NoError(t, l.TryLock(), "the cancelled waiter must have left the queue")
}

// Semantics 6: what can be locked.

func TestDirectoryCanBeLocked(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("directories cannot be locked on Windows: LockFileEx refuses them (see TestWindowsDirectoryIsRefused)")
	}
	dir := tempDir(t)
	l := mustNew(t, dir)
	if underRecordLocks {
		// A directory can only be opened read-only, and a record lock
		// through a read-only descriptor can only be shared, here and
		// in every other process.
		assertNeedsWritableFile(t, l.TryLock())
		require.NoError(t, l.RLock())
		assert.Equal(t, "locked", probe(t, "tryrlock", dir))
		return
	}
	require.NoError(t, l.Lock())
	assert.Equal(t, "busy", probe(t, "trylock", dir))
	f, err := os.Open(dir)
	require.NoError(t, err)
	other, err := flock.NewFromFile(f)
	require.NoError(t, err)
	defer other.Close()
	assert.ErrorIs(t, other.TryRLock(), flock.ErrLocked)
	require.NoError(t, l.Unlock())
	require.NoError(t, other.TryRLock())
}

func TestReadOnlyFileCanBeLockedAndIsNotChanged(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	require.NoError(t, os.WriteFile(path, []byte("keep me\n"), 0o444))
	l := mustNew(t, path)
	if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
		f.Close() // root may write a read-only file
	} else if underRecordLocks {
		// A record lock on a file open read-only can only be shared.
		assertNeedsWritableFile(t, l.TryLock())
		require.NoError(t, l.RLock())
		assert.Equal(t, "busy", probe(t, "trylock", path))
		require.NoError(t, l.Close())
		assertContent(t, path, "keep me\n")
		return
	}
	require.NoError(t, l.Lock())
	assert.Equal(t, "busy", probe(t, "trylock", path))
	require.NoError(t, l.Close())
	assertContent(t, path, "keep me\n")
}

func assertContent(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, string(b), "content of %s", path)
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
	assert.Equal(t, exe, l.Path())
	require.NoError(t, l.TryRLock())
	other, err := flock.New(exe)
	require.NoError(t, err)
	defer other.Close()
	assert.NoError(t, other.TryRLock(), "a shared lock of the executable is shared")
}

// Semantics 7: errors name the operation and the path.

func TestOpenErrorsArePathErrors(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	missing := filepath.Join(dir, "missing.lock")
	_, err := flock.New(missing, flock.WithoutCreate())
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assertPathError(t, err, "open", missing)
	_, err = os.Stat(missing)
	assert.ErrorIs(t, err, fs.ErrNotExist, "WithoutCreate created nothing")

	noParent := filepath.Join(dir, "no", "such", "dir", "x.lock")
	_, err = flock.New(noParent)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assertPathError(t, err, "open", noParent)

	_, err = flock.New("")
	assert.ErrorIs(t, err, fs.ErrInvalid)
	assertPathError(t, err, "open", "")

	_, err = flock.NewFromFile(nil)
	assert.ErrorIs(t, err, fs.ErrInvalid)
	assertPathError(t, err, "open", "")
}

// TryLock's contention error is ErrLocked, inside an *fs.PathError that
// names the operation and the lock file.
func TestTryLockErrorIsErrLockedInAPathError(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	a, b := mustNew(t, path), mustNew(t, path)
	require.NoError(t, a.TryLock())
	err := b.TryLock()
	require.Error(t, err)
	assert.True(t, errors.Is(err, flock.ErrLocked))
	assertPathError(t, err, "trylock", path)
	assert.True(t, strings.HasPrefix(err.Error(), "trylock "+path+": "), "%q", err)
}

func assertPathError(t *testing.T, err error, op, path string) {
	t.Helper()
	var pe *fs.PathError
	if assert.ErrorAs(t, err, &pe) {
		assert.Equal(t, op, pe.Op, "%v", err)
		assert.Equal(t, path, pe.Path, "%v", err)
	}
}
