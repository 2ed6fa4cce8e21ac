// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock_test

// The wait hook (WithWaitHook) runs in two places: where a goroutine queues
// behind another goroutine of the process that holds or takes the same
// Lock, and where the goroutine that owns the Lock's kernel side finds the
// lock held by someone else (another process, or another Lock on the file).

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A holder of the lock at path, for the two places where the hook runs.
type hookCase struct {
	name string
	// hold makes someone other than the Lock's next caller hold the
	// lock, and returns a function that releases it.
	hold func(t *testing.T, l *flock.Lock, path string) (release func())
}

var hookCases = []hookCase{
	{"queued behind another goroutine", func(t *testing.T, l *flock.Lock, path string) func() {
		t.Helper()
		require.NoError(t, l.Lock())
		return func() { require.NoError(t, l.Unlock()) }
	}},
	{"owner waiting for another process", func(t *testing.T, l *flock.Lock, path string) func() {
		t.Helper()
		h := mustHold(t, "lock", path)
		return func() {
			h.send("unlock")
			require.Equal(t, "unlocked", h.readLine())
		}
	}},
}

func TestWaitHookCalledOnceWhenWaitBlocks(t *testing.T) {
	t.Parallel()
	for _, c := range hookCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := lockPath(t)
			var mu sync.Mutex
			var calls []string
			l := mustNew(t, path, flock.WithWaitHook(func(p string) { mu.Lock(); calls = append(calls, p); mu.Unlock() }))
			called := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), calls...) }

			require.NoError(t, l.Lock()) // free: no wait, no call
			require.NoError(t, l.Unlock())
			release := c.hold(t, l, path)
			assert.ErrorIs(t, l.TryLock(), flock.ErrLocked)
			assert.Empty(t, called(), "the hook ran without a wait")
			wait := mustBlock(t, "Lock", l.Lock)
			assert.Equal(t, []string{path}, called(), "the hook is called once the call waits")
			release()
			require.NoError(t, wait.wait())
			require.NoError(t, l.Unlock())
			assert.Equal(t, []string{path}, called(), "one call per wait")
		})
	}
}

// hookPanic is what the hook panics with.
type hookPanic struct{ path string }

// panicOf runs f and returns what it panicked with, or nil.
func panicOf(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// A wait hook that panics (once, recovered by the caller) leaves the Lock
// as if the call had not been made: whoever held the lock still holds it,
// and once they release it the lock is free; a later wait gets the lock
// when it is released, a LockContext on the free lock succeeds, and Close
// returns.
func TestWaitHookPanicLeavesTheLockUsable(t *testing.T) {
	t.Parallel()
	for _, c := range hookCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := lockPath(t)
			var calls atomic.Int32
			l := mustNew(t, path, flock.WithWaitHook(func(p string) {
				if calls.Add(1) == 1 {
					panic(hookPanic{p})
				}
			}))
			release := c.hold(t, l, path)
			ctx := context.Background()
			got := panicOf(func() {
				err := l.LockContext(ctx)
				t.Errorf("LockContext returned %v; want the hook's panic", err)
			})
			assert.Equal(t, hookPanic{path}, got, "the hook's panic reaches the caller")
			assert.ErrorIs(t, l.TryLock(), flock.ErrLocked, "the holder still holds")
			assert.Equal(t, "busy", probe(t, "trylock", path))
			release()
			// A queue entry or an ownership that the panic left behind
			// would make this fail, as if someone held the lock.
			require.NoError(t, l.TryLock(), "the released lock is free")
			require.NoError(t, l.Unlock())

			release = c.hold(t, l, path)
			wait := mustBlock(t, "LockContext after the panic", func() error { return l.LockContext(ctx) })
			release()
			require.NoError(t, wait.wait(), "a later wait gets the lock")
			assert.Equal(t, "busy", probe(t, "trylock", path))
			require.NoError(t, l.Unlock())

			require.NoError(t, l.LockContext(ctx), "a LockContext on the free lock")
			assert.Equal(t, "busy", probe(t, "trylock", path))
			require.NoError(t, l.Close())
			assert.Equal(t, "locked", probe(t, "trylock", path), "Close released the lock")
			assert.Equal(t, int32(2), calls.Load(), "hook calls: the panic, and the later wait")
		})
	}
}
