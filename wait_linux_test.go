// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock_test

// What a wait costs and leaves behind, counted in /proc/self.

import (
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resources is what a wait could leak.
type resources struct{ goroutines, threads, fds int }

func measure(t *testing.T) resources {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	threads := 0
	for _, line := range strings.Split(string(status), "\n") {
		if n, ok := strings.CutPrefix(line, "Threads:"); ok {
			threads, err = strconv.Atoi(strings.TrimSpace(n))
			require.NoError(t, err)
		}
	}
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return resources{runtime.NumGoroutine(), threads, len(fds)}
}

// quiet measures once the goroutines that are on their way out (a
// canceller finishing its loop, a timer's callback) have finished: when the
// count has not changed for a while, or after a bound, whichever is first. It
// never fails by itself.
func quiet(t *testing.T) resources {
	t.Helper()
	got, still := measure(t), 0
	for i := 0; i < 200 && still < 5; i++ {
		time.Sleep(10 * time.Millisecond)
		next := measure(t)
		if next.goroutines == got.goroutines {
			still++
		} else {
			still = 0
		}
		got = next
	}
	return got
}

// Not parallel: it counts the process's goroutines, threads and descriptors.
func TestThousandWaitersUseConstantThreadsAndDescriptors(t *testing.T) {
	path := lockPath(t)
	h := mustHold(t, "lock", path)
	var blocked atomic.Int32
	l := mustNew(t, path, flock.WithWaitHook(func(string) { blocked.Add(1) }))
	base := measure(t)

	const waiters = 1000
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, waiters)
	for range waiters {
		go func() { errs <- l.LockContext(ctx) }()
	}
	for blocked.Load() < waiters {
		time.Sleep(time.Millisecond)
	}
	during := measure(t)
	t.Logf("before: %+v; with %d waiters: %+v", base, waiters, during)
	// One goroutine, the owner, waits for the other process: in the kernel
	// on a thread of its own, with a dummy file to interrupt it, or
	// polling; the rest queue in Go.
	assert.LessOrEqual(t, during.fds-base.fds, 2, "descriptors added by %d waiters", waiters)
	assert.LessOrEqual(t, during.threads-base.threads, 3, "threads added by %d waiters", waiters)

	cancel()
	for range waiters {
		err := <-errs
		assert.ErrorIs(t, err, context.Canceled)
		assertPathError(t, err, "lock", path)
	}
	h.exit()
	require.NoError(t, l.TryLock(), "no waiter may hold the lock after all were cancelled")
}

// Not parallel: it counts the process's goroutines, threads and descriptors.
func TestCancelledWaitsLeaveNothingBehind(t *testing.T) {
	path := lockPath(t)
	h := mustHold(t, "lock", path)
	// The hook runs just before a wait blocks; cancelling from there
	// races the cancellation against the waiter entering flock(2).
	var cancelInHook atomic.Pointer[context.CancelFunc]
	l := mustNew(t, path, flock.WithWaitHook(func(string) {
		if c := cancelInHook.Load(); c != nil {
			(*c)()
		}
	}))
	cancelledWaits := func(n, workers int) {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range n / workers {
					ctx, cancel := context.WithCancel(context.Background())
					want := context.Canceled
					switch (i + w) % 3 {
					case 0: // cancelled as the wait starts
						if workers == 1 {
							cancelInHook.Store(&cancel)
						} else {
							cancel()
						}
					case 1: // cancelled soon, from another goroutine
						time.AfterFunc(time.Duration(rand.N(200))*time.Microsecond, cancel)
					case 2: // a deadline
						ctx, cancel = context.WithTimeout(ctx, time.Duration(rand.N(200))*time.Microsecond)
						want = context.DeadlineExceeded
					}
					err := l.LockContext(ctx)
					cancelInHook.Store(nil)
					cancel()
					if !cancelledWait(err, want, path) {
						t.Errorf("wait %d of worker %d: got %v; want an *fs.PathError{lock %s} wrapping %v", i, w, err, path, want)
						return
					}
				}
			}()
		}
		wg.Wait()
	}

	cancelledWaits(300, 1) // warm up: the dummy file, the runtime's threads
	base := quiet(t)
	cancelledWaits(5000, 1)
	cancelledWaits(5000, 4)
	after := quiet(t)
	t.Logf("after warm-up: %+v; after 10,000 cancelled waits: %+v", base, after)
	assert.LessOrEqual(t, after.goroutines, base.goroutines, "goroutines")
	assert.LessOrEqual(t, after.fds, base.fds, "descriptors")
	// The runtime keeps idle threads for reuse and may start one more
	// when a waiter blocks in a system call, but a leak would be thousands.
	assert.LessOrEqual(t, after.threads, base.threads+2, "threads")

	assert.Equal(t, "busy", probe(t, "trylock", path), "the holder still holds")
	h.exit()
	assert.Equal(t, "locked", probe(t, "trylock", path), "no cancelled wait left a lock behind")
}

// cancelledWait reports whether err is what a LockContext on path returns
// when its context ends with want.
func cancelledWait(err, want error, path string) bool {
	var pe *fs.PathError
	return errors.Is(err, want) && errors.As(err, &pe) && pe.Op == "lock" && pe.Path == path
}

// A kernel wait that nobody cancels reuses the Lock's last one: waiting
// allocates nothing, since an allocation there lengthens the time between
// finding the lock taken and sleeping (bench/BENCHMARKS.md).
func TestWaitsNobodyCancelsAllocateNothing(t *testing.T) {
	if pollingWaits() {
		t.Skip("this build polls, with a timer per wait; only kernel waits are allocation-free")
	}
	path := lockPath(t)
	holder := mustNew(t, path)
	waiting := make(chan struct{})
	waiter := mustNew(t, path, flock.WithWaitHook(func(string) { waiting <- struct{}{} }))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	unlocked := make(chan error)
	go func() {
		for range waiting {
			unlocked <- holder.Unlock()
		}
	}()
	defer close(waiting)
	// The holder has the lock until the hook runs, so every LockContext
	// waits.
	allocs := testing.AllocsPerRun(100, func() {
		require.NoError(t, holder.TryLock())
		require.NoError(t, waiter.LockContext(ctx))
		require.NoError(t, <-unlocked)
		require.NoError(t, waiter.Unlock())
	})
	assert.Zero(t, allocs, "allocations per LockContext that waited for the lock")
}
