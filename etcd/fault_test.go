// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock_test

import (
	"context"
	"testing"
	"time"

	"github.com/lockwise/flock"
	etcdlock "github.com/lockwise/flock/etcd"
	"github.com/lockwise/flock/etcd/internal/etcdtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fault tests run a cluster of three members, crash some of them while
// locks are held or awaited, and start them again.

const (
	// faultTTL is the time to live of holders that must outlive a leader's
	// crash: well above the time the cluster takes to elect a new leader
	// (one to two election timeouts, 1s each by default), so that the
	// holder's keepalives are answered again before its client gives up.
	faultTTL = 5 * time.Second

	// faultTimeout is the request timeout of Locks that face a cluster
	// without a quorum, so that TryLock's bound is short to wait for.
	faultTimeout = time.Second

	// returnMargin is how much later than its documented bound a call may
	// return on a slow, loaded machine: a request timeout or a context's
	// deadline.
	returnMargin = 2 * time.Second
)

// awaitLeader waits until the running members agree on a leader other than
// not (or any, if not is -1), and returns it.
func awaitLeader(t *testing.T, c *etcdtest.Cluster, not int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), eventually)
	defer cancel()
	for {
		if l := c.Leader(ctx); l >= 0 && l != not {
			return l
		}
		require.NoError(t, ctx.Err(), "no new leader elected")
		time.Sleep(pollInterval)
	}
}

func TestLeaderCrashWhileHeld(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3)
	const key = "/locks/leader-crash"
	admin := newClient(t, c.Endpoints()...)
	holder := newLock(t, newClient(t, c.Endpoints()...), key, etcdlock.WithTTL(faultTTL))
	waiter := newLock(t, newClient(t, c.Endpoints()...), key)

	require.NoError(t, holder.Lock(), "holder.Lock")
	got := lockAsync(context.Background(), waiter)
	waitContenders(t, admin, key, 2)
	leader := awaitLeader(t, c, -1)
	c.Crash(leader)
	crashed := time.Now()
	t.Logf("crashed the leader, member %d", leader)
	next := awaitLeader(t, c, leader)
	t.Logf("member %d leads, %v after the crash", next, time.Since(crashed))

	// Had the holder's lease been lost with the leader, the lock would
	// have passed within the time to live.
	watch := faultTTL + passMargin - time.Since(crashed)
	select {
	case err := <-got:
		t.Fatalf("waiter.Lock returned %v %v after the leader's crash, while the holder held the lock", err, time.Since(crashed))
	case <-holder.Done():
		t.Fatalf("the holder lost the lock %v after the leader's crash", time.Since(crashed))
	case <-time.After(watch):
		t.Logf("the holder still holds the lock %v after the crash; the waiter waits", time.Since(crashed))
	}
	assert.ErrorIs(t, newLock(t, admin, key).TryLock(), flock.ErrLocked, "TryLock of a third Lock")

	held := holder.Token()
	released := time.Now()
	require.NoError(t, holder.Unlock(), "holder.Unlock, after the crash")
	require.NoError(t, mustReturn(t, got, "waiter.Lock"))
	t.Logf("the waiter got the lock %v after the release; tokens: holder %d, waiter %d",
		time.Since(released), held, waiter.Token())
	assert.Greater(t, waiter.Token(), held, "the waiter's token")

	restart := time.Now()
	require.NoError(t, c.Restart(leader), "restart the crashed member")
	t.Logf("the crashed member serves again %v after its restart", time.Since(restart))
	before := waiter.Token()
	require.NoError(t, waiter.Unlock(), "waiter.Unlock")
	require.NoError(t, holder.TryLock(), "holder.TryLock after the waiter's release")
	t.Logf("tokens: waiter %d, then holder %d", before, holder.Token())
	assert.Greater(t, holder.Token(), before, "token of the grant after the waiter's")
}

func TestOneMemberDownChangesNothing(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3)
	const key = "/locks/minority"
	admin := newClient(t, c.Endpoints()...)
	a := newLock(t, newClient(t, c.Endpoints()...), key, etcdlock.WithTTL(killTTL))
	b := newLock(t, newClient(t, c.Endpoints()...), key, etcdlock.WithTTL(killTTL))
	follower := (awaitLeader(t, c, -1) + 1) % c.Size()
	c.Crash(follower)
	t.Logf("crashed member %d, a follower", follower)

	require.NoError(t, a.TryLock(), "a.TryLock")
	first := a.Token()
	assert.ErrorIs(t, b.TryLock(), flock.ErrLocked, "b.TryLock while a holds")
	got := lockAsync(context.Background(), b)
	waitContenders(t, admin, key, 2)
	// a's keepalives go on: it holds the lock past its time to live.
	select {
	case <-a.Done():
		t.Fatal("a lost the lock with one member down")
	case err := <-got:
		t.Fatalf("b.Lock returned %v while a held the lock", err)
	case <-time.After(2 * killTTL):
	}
	require.NoError(t, a.Unlock(), "a.Unlock")
	require.NoError(t, mustReturn(t, got, "b.Lock"))
	t.Logf("tokens with one member down: a %d, then b %d", first, b.Token())
	assert.Greater(t, b.Token(), first, "b's token after a's")

	restart := time.Now()
	require.NoError(t, c.Restart(follower), "restart the follower")
	t.Logf("member %d serves again %v after its restart", follower, time.Since(restart))
	// The member caught up: a client of it alone sees b's key.
	kvs := contenders(t, newClient(t, c.Endpoint(follower)), key)
	if assert.Len(t, kvs, 1, "contenders seen through the restarted member") {
		assert.Equal(t, b.Token(), kvs[0].CreateRevision, "the holder's key as the restarted member has it")
	}
	require.NoError(t, b.Unlock(), "b.Unlock")
}

func TestMajorityDown(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3)
	const key = "/locks/majority"
	holder := newLock(t, newClient(t, c.Endpoints()...), key,
		etcdlock.WithTTL(killTTL), etcdlock.WithRequestTimeout(faultTimeout))
	other := newLock(t, newClient(t, c.Endpoints()...), key,
		etcdlock.WithTTL(killTTL), etcdlock.WithRequestTimeout(faultTimeout))
	require.NoError(t, holder.Lock(), "holder.Lock")
	first := holder.Token()
	leader := awaitLeader(t, c, -1)
	down := []int{leader, (leader + 1) % c.Size()}
	c.Crash(down...)
	crashed := time.Now()
	t.Logf("crashed members %v, the leader among them", down)

	start := time.Now()
	err := other.TryLock()
	took := time.Since(start)
	t.Logf("TryLock returned %v after %v (bound %v)", err, took, faultTimeout)
	assert.ErrorIs(t, err, etcdlock.ErrUnavailable, "TryLock without a quorum")
	assert.NotErrorIs(t, err, flock.ErrLocked, "TryLock without a quorum")
	assert.LessOrEqual(t, took, faultTimeout+returnMargin, "TryLock's time without a quorum")

	const deadline = 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start = time.Now()
	err = other.LockContext(ctx)
	took = time.Since(start)
	t.Logf("LockContext returned %v after %v (deadline %v)", err, took, deadline)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "LockContext without a quorum")
	assert.LessOrEqual(t, took, deadline+returnMargin, "LockContext's time without a quorum")

	// No keepalive is answered: the holder learns that it lost the lock
	// within the time to live and the client's one-second check.
	select {
	case <-holder.Done():
		t.Logf("the holder's Done closed %v after the crash", time.Since(crashed))
	case <-time.After(eventually):
		t.Fatal("the holder's Done did not close without a quorum")
	}
	assert.LessOrEqual(t, time.Since(crashed), killTTL+time.Second+returnMargin, "time to learn of the loss")
	assert.ErrorIs(t, holder.Unlock(), etcdlock.ErrLost, "holder.Unlock after the loss")

	restart := time.Now()
	require.NoError(t, c.Restart(down...), "restart the crashed members")
	t.Logf("the members serve again %v after their restart", time.Since(restart))
	ctx, cancel = context.WithTimeout(context.Background(), eventually)
	defer cancel()
	require.NoError(t, other.LockContext(ctx), "LockContext after the quorum is back")
	t.Logf("a lock was granted %v after the restart; tokens: before %d, after %d",
		time.Since(restart), first, other.Token())
	assert.Greater(t, other.Token(), first, "token of the grant after the outage")
}
