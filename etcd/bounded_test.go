// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock_test

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/lockwise/flock"
	etcdlock "github.com/lockwise/flock/etcd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// defaultRequestTimeout is WithRequestTimeout's documented default.
const defaultRequestTimeout = 5 * time.Second

// timed runs call and returns how long it took and its error.
func timed(call func() error) (time.Duration, error) {
	start := time.Now()
	err := call()
	return time.Since(start), err
}

// TestTryLockReturnsWithinBoundWhileEtcdIsDown stops the only etcd server and
// calls TryLock on Locks with and without a session, with the default
// request timeout and a shorter one.
func TestTryLockReturnsWithinBoundWhileEtcdIsDown(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 1)
	const key = "/locks/down-try"
	cli := newClient(t, c.Endpoint(0))
	type lockCase struct {
		name  string
		lock  *etcdlock.Lock
		bound time.Duration
	}
	var cases []lockCase
	for _, bound := range []time.Duration{0, time.Second} {
		var opts []etcdlock.Option
		name := "default timeout"
		if bound > 0 {
			opts, name = []etcdlock.Option{etcdlock.WithRequestTimeout(bound)}, bound.String()+" timeout"
		} else {
			bound = defaultRequestTimeout
		}
		used := newLock(t, cli, key+"/"+name+"/used", opts...)
		require.NoError(t, used.TryLock(), "TryLock before the stop")
		require.NoError(t, used.Unlock(), "Unlock before the stop")
		cases = append(cases,
			lockCase{name + ", with a session", used, bound},
			lockCase{name + ", without", newLock(t, cli, key+"/"+name+"/new", opts...), bound})
	}
	c.Crash(0)
	t.Log("etcd stopped")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			took, err := timed(tc.lock.TryLock)
			t.Logf("TryLock returned after %v (bound %v): %v", took, tc.bound, err)
			assert.ErrorIs(t, err, etcdlock.ErrUnavailable)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.NotErrorIs(t, err, flock.ErrLocked)
			var pe *fs.PathError
			if assert.ErrorAs(t, err, &pe) {
				assert.Equal(t, "trylock", pe.Op)
				assert.Equal(t, tc.lock.Key(), pe.Path)
			}
			assert.LessOrEqual(t, took, tc.bound+returnMargin, "TryLock's time with etcd down")
			assert.ErrorIs(t, tc.lock.Unlock(), flock.ErrNotLocked, "Unlock after the failed TryLock")
		})
	}
}

func TestUnlockAndCloseReturnWithinBoundWhileEtcdIsDown(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 1)
	const key, bound = "/locks/down-unlock", time.Second
	cli := newClient(t, c.Endpoint(0))
	unlocked := newLock(t, cli, key+"/unlock", etcdlock.WithRequestTimeout(bound))
	closed := newLock(t, cli, key+"/close", etcdlock.WithRequestTimeout(bound))
	require.NoError(t, unlocked.Lock(), "Lock")
	require.NoError(t, closed.Lock(), "Lock")
	c.Crash(0)
	t.Log("etcd stopped")

	for name, call := range map[string]func() error{"Unlock": unlocked.Unlock, "Close": closed.Close} {
		took, err := timed(call)
		t.Logf("%s returned after %v (bound %v): %v", name, took, bound, err)
		assert.ErrorIs(t, err, etcdlock.ErrUnavailable, name)
		assert.ErrorContains(t, err, key, name)
		assert.LessOrEqual(t, took, bound+returnMargin, "%s's time with etcd down", name)
	}
	assert.ErrorIs(t, unlocked.Unlock(), flock.ErrNotLocked, "a second Unlock")
	assert.ErrorIs(t, closed.Close(), fs.ErrClosed, "a second Close")
}

// TestLockContextCancelsWhileEtcdIsDown checks that a cancelled wait returns
// even when etcd cannot be reached to withdraw the waiter's key.
func TestLockContextCancelsWhileEtcdIsDown(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 1)
	ep := c.Endpoint(0)
	const key = "/locks/down"
	admin := newClient(t, ep)
	a := newLock(t, newClient(t, ep), key, etcdlock.WithTTL(killTTL))
	b := newLock(t, newClient(t, ep), key, etcdlock.WithTTL(killTTL))

	require.NoError(t, a.Lock(), "a.Lock")
	ctx, cancel := context.WithCancel(context.Background())
	got := lockAsync(ctx, b)
	waitContenders(t, admin, key, 2)
	c.Crash(0)
	t.Log("etcd stopped")
	mustBlock(t, got, "b.LockContext with etcd down")
	cancel()
	err := mustReturn(t, got, "b.LockContext")
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, errors.Is(err, etcdlock.ErrUnavailable), "a cancelled wait is not reported as etcd's failure")
}
