// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock_test

import (
	"context"
	"testing"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A wait hook that panics, in either place it runs, leaks no goroutine,
// thread or descriptor, however often it does, and leaves the Lock usable.
// Not parallel: it counts the process's goroutines, threads and
// descriptors.
func TestWaitHookPanicsLeakNothing(t *testing.T) {
	for _, c := range hookCases {
		t.Run(c.name, func(t *testing.T) {
			path := lockPath(t)
			l := mustNew(t, path, flock.WithWaitHook(func(p string) { panic(hookPanic{p}) }))
			release := c.hold(t, l, path)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel() // a context that can end: the path that watches it
			panics := func(n int) {
				t.Helper()
				for i := range n {
					if got := panicOf(func() { l.LockContext(ctx) }); got != (hookPanic{path}) {
						t.Fatalf("call %d: panicked with %v; want the hook's panic", i, got)
					}
				}
			}
			panics(10) // warm up
			base := quiet(t)
			panics(1000)
			after := quiet(t)
			t.Logf("after warm-up: %+v; after 1000 panics: %+v", base, after)
			assert.LessOrEqual(t, after.goroutines, base.goroutines, "goroutines")
			assert.LessOrEqual(t, after.fds, base.fds, "descriptors")
			// The runtime keeps idle threads; a leak would be a thread
			// per panic.
			assert.LessOrEqual(t, after.threads, base.threads+2, "threads")

			release()
			require.NoError(t, l.LockContext(ctx), "a LockContext on the free lock")
			assert.Equal(t, "busy", probe(t, "trylock", path))
			require.NoError(t, l.Close())
			assert.Equal(t, "locked", probe(t, "trylock", path))
		})
	}
}
