// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	// killTTL is the lease time to live of holders that the tests kill or
	// stop: etcd's minimum with the default election timeout, so that the
	// tests wait as little as they can.
	killTTL = 2 * time.Second

	// passMargin is how much later than the time to live the tests allow
	// a lock to pass on from a holder that died. WithTTL documents a
	// fraction of a second (etcd's half-second expiry check, one commit,
	// one watch event); the rest is for a slow, loaded machine.
	passMargin = 3 * time.Second
)

func TestKilledHolderReleasesWithinTTL(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	took := killHolder(t, []string{ep}, "/locks/killed")
	t.Logf("the lock passed %v after SIGKILL (TTL %v, bound %v)", took, killTTL, killTTL+passMargin)
	assert.LessOrEqual(t, took, killTTL+passMargin, "time from SIGKILL to the waiter's grant")
}

// killHolder starts a helper process that takes the lock on key, checks that
// the lock is held, kills the helper with SIGKILL, and returns how long after
// the kill a waiter, queued beforehand, got the lock.
func killHolder(tb testing.TB, endpoints []string, key string) time.Duration {
	tb.Helper()
	h := startHelper(tb, "hold", endpoints, keyEnv+"="+key, ttlEnv+"="+killTTL.String())
	h.expect("locked")

	admin := newClient(tb, endpoints...)
	waiter := newLock(tb, newClient(tb, endpoints...), key)
	assert.ErrorIs(tb, waiter.TryLock(), flock.ErrLocked, "TryLock while the holder process lives")
	got := make(chan error, 1)
	go func() { got <- waiter.Lock() }()
	waitContenders(tb, admin, key, 2)

	require.NoError(tb, h.cmd.Process.Signal(syscall.SIGKILL), "SIGKILL the holder")
	killed := time.Now()
	tb.Log("holder killed")
	for {
		select {
		case err := <-got:
			took := time.Since(killed)
			require.NoError(tb, err, "waiter.Lock")
			require.NoError(tb, waiter.Unlock(), "waiter.Unlock")
			return took
		case <-time.After(10 * time.Second):
			tb.Logf("the lock has not passed %v after the kill", time.Since(killed))
		}
	}
}
