// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockwise/flock"
	etcdlock "github.com/lockwise/flock/etcd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// The two locks have the same method set, so that a program can hold either
// behind one interface that it declares itself (see the example).
var _ interface {
	TryLock() error
	Lock() error
	LockContext(context.Context) error
	Unlock() error
	Close() error
} = (*flock.Lock)(nil)

var _ interface {
	TryLock() error
	Lock() error
	LockContext(context.Context) error
	Unlock() error
	Close() error
} = (*etcdlock.Lock)(nil)

// lockAsync runs LockContext on its own goroutine and returns its result.
func lockAsync(ctx context.Context, l *etcdlock.Lock) <-chan error {
	c := make(chan error, 1)
	go func() { c <- l.LockContext(ctx) }()
	return c
}

// mustBlock checks that a call has not returned after blockTime.
func mustBlock(t *testing.T, c <-chan error, what string) {
	t.Helper()
	select {
	case err := <-c:
		t.Fatalf("%s returned %v; want it to block", what, err)
	case <-time.After(blockTime):
		t.Logf("%s blocks", what)
	}
}

// mustReturn waits for a call to return, logging while it is merely slow.
func mustReturn(t *testing.T, c <-chan error, what string) error {
	t.Helper()
	for {
		select {
		case err := <-c:
			t.Logf("%s returned %v", what, err)
			return err
		case <-time.After(10 * time.Second):
			t.Logf("%s still running", what)
		}
	}
}

func TestTryLockFailsWhileHeldElsewhere(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	const key = "/locks/try"
	a := newLock(t, newClient(t, ep), key)
	b := newLock(t, newClient(t, ep), key)

	require.NoError(t, a.TryLock(), "a.TryLock on a free lock")
	err := b.TryLock()
	assert.ErrorIs(t, err, flock.ErrLocked, "b.TryLock while a holds")
	var pe *fs.PathError
	if assert.ErrorAs(t, err, &pe) {
		assert.Equal(t, "trylock", pe.Op)
		assert.Equal(t, key, pe.Path)
	}
	assert.Len(t, contenders(t, newClient(t, ep), key), 1, "a failed TryLock leaves no key queued")

	require.NoError(t, a.Unlock(), "a.Unlock")
	assert.NoError(t, b.TryLock(), "b.TryLock after a.Unlock")
	assert.ErrorIs(t, a.TryLock(), flock.ErrLocked, "a.TryLock while b holds")
}

func TestLockWaitsForUnlock(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	const key = "/locks/wait"
	admin := newClient(t, ep)
	a := newLock(t, newClient(t, ep), key)
	b := newLock(t, newClient(t, ep), key)

	require.NoError(t, a.Lock(), "a.Lock")
	got := lockAsync(context.Background(), b)
	waitContenders(t, admin, key, 2)
	mustBlock(t, got, "b.Lock")

	require.NoError(t, a.Unlock(), "a.Unlock")
	require.NoError(t, mustReturn(t, got, "b.Lock"))
	assert.ErrorIs(t, a.TryLock(), flock.ErrLocked, "a.TryLock while b holds")
	assert.NoError(t, b.Unlock(), "b.Unlock")
}

// TestLockPassesWhenHolderEnds covers the ways a holder can go without
// calling Unlock: each passes the lock to a waiter.
func TestLockPassesWhenHolderEnds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		end  func(t *testing.T, holder *etcdlock.Lock, cli, admin *clientv3.Client, key string)
		lost bool // whether the holder sees the lock lost, not released
	}{
		{name: "Close", end: func(t *testing.T, holder *etcdlock.Lock, _, _ *clientv3.Client, _ string) {
			require.NoError(t, holder.Close(), "holder.Close")
		}},
		{name: "LeaseRevoked", lost: true, end: func(t *testing.T, _ *etcdlock.Lock, _, admin *clientv3.Client, key string) {
			lease := clientv3.LeaseID(contenders(t, admin, key)[0].Lease)
			t.Logf("revoking the holder's lease %x", lease)
			_, err := admin.Revoke(context.Background(), lease)
			require.NoError(t, err, "revoke")
		}},
		{name: "ClientClosed", lost: true, end: func(t *testing.T, _ *etcdlock.Lock, cli, _ *clientv3.Client, _ string) {
			require.NoError(t, cli.Close(), "close the holder's client")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ep := newServer(t)
			const key = "/locks/end"
			admin := newClient(t, ep)
			cli := newClient(t, ep)
			holder := newLock(t, cli, key, etcdlock.WithTTL(2*time.Second))
			waiter := newLock(t, newClient(t, ep), key)

			require.NoError(t, holder.Lock(), "holder.Lock")
			done := holder.Done()
			got := lockAsync(context.Background(), waiter)
			waitContenders(t, admin, key, 2)

			tc.end(t, holder, cli, admin, key)
			require.NoError(t, mustReturn(t, got, "waiter.Lock"))
			if !tc.lost {
				return
			}
			select {
			case <-done:
			case <-time.After(eventually):
				t.Fatal("holder.Done not closed after the lock was lost")
			}
			assert.ErrorIs(t, holder.Unlock(), etcdlock.ErrLost, "holder.Unlock after losing the lock")
			assert.NoError(t, waiter.Unlock(), "waiter.Unlock")
		})
	}
}

func TestLockContextCancelsWait(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	const key = "/locks/cancel"
	admin := newClient(t, ep)
	a := newLock(t, newClient(t, ep), key)
	b := newLock(t, newClient(t, ep), key)

	require.NoError(t, a.Lock(), "a.Lock")
	ctx, cancel := context.WithCancel(context.Background())
	got := lockAsync(ctx, b)
	waitContenders(t, admin, key, 2)
	cancel()
	// a still holds the lock, so only the cancellation can end the wait.
	assert.ErrorIs(t, mustReturn(t, got, "b.LockContext"), context.Canceled)
	waitContenders(t, admin, key, 1)

	require.NoError(t, a.Unlock(), "a.Unlock")
	assert.NoError(t, b.TryLock(), "b.TryLock after a cancelled wait")
}

func TestLockContextDeadline(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	const key = "/locks/deadline"
	a := newLock(t, newClient(t, ep), key)
	b := newLock(t, newClient(t, ep), key)

	require.NoError(t, a.Lock(), "a.Lock")
	ctx, cancel := context.WithTimeout(context.Background(), blockTime)
	defer cancel()
	assert.ErrorIs(t, b.LockContext(ctx), context.DeadlineExceeded)
	assert.ErrorIs(t, b.Unlock(), flock.ErrNotLocked, "b.Unlock after its wait timed out")
}

func TestLockContextFailsOnDoneContext(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	const key = "/locks/done"
	l := newLock(t, newClient(t, ep), key)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, l.LockContext(ctx), context.Canceled, "LockContext on a free lock")
	assert.Empty(t, contenders(t, newClient(t, ep), key), "keys queued after LockContext with a done ctx")
	assert.ErrorIs(t, l.Unlock(), flock.ErrNotLocked)
}

func TestWaiterRequeuesAfterLosingItsLease(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	const key = "/locks/requeue"
	admin := newClient(t, ep)
	a := newLock(t, newClient(t, ep), key)
	b := newLock(t, newClient(t, ep), key)

	require.NoError(t, a.Lock(), "a.Lock")
	got := lockAsync(context.Background(), b)
	waitContenders(t, admin, key, 2)
	lease := clientv3.LeaseID(contenders(t, admin, key)[1].Lease)
	t.Logf("revoking the waiter's lease %x", lease)
	_, err := admin.Revoke(context.Background(), lease)
	require.NoError(t, err, "revoke")
	// The waiter notices when its keepalive fails, and queues again.
	for {
		kvs := contenders(t, admin, key)
		if len(kvs) == 2 && clientv3.LeaseID(kvs[1].Lease) != lease {
			break
		}
		time.Sleep(pollInterval)
	}
	mustBlock(t, got, "b.Lock")

	require.NoError(t, a.Unlock(), "a.Unlock")
	require.NoError(t, mustReturn(t, got, "b.Lock"))
	assert.NoError(t, b.Unlock(), "b.Unlock")
}

func TestDoneFollowsTheHold(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	l := newLock(t, newClient(t, ep), "/locks/done-chan")

	assert.True(t, isClosed(l.Done()), "Done before Lock is closed")
	require.NoError(t, l.Lock(), "Lock")
	done := l.Done()
	assert.False(t, isClosed(done), "Done while held is open")
	require.NoError(t, l.Unlock(), "Unlock")
	assert.True(t, isClosed(done), "Done of a released hold is closed")

	require.NoError(t, l.Lock(), "Lock")
	done = l.Done()
	require.NoError(t, l.Close(), "Close")
	assert.True(t, isClosed(done), "Done of a hold ended by Close is closed")
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func TestUnlockWithoutLock(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	const key = "/locks/unlocked"
	l := newLock(t, newClient(t, ep), key)

	err := l.Unlock()
	assert.ErrorIs(t, err, flock.ErrNotLocked)
	assert.EqualError(t, err, "unlock "+key+": not locked")
	require.NoError(t, l.Lock(), "Lock")
	require.NoError(t, l.Unlock(), "Unlock")
	assert.ErrorIs(t, l.Unlock(), flock.ErrNotLocked, "second Unlock")
}

func TestCallsAfterClose(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	l := newLock(t, newClient(t, ep), "/locks/closed")
	require.NoError(t, l.Lock(), "Lock")
	require.NoError(t, l.Close(), "Close")

	for name, call := range map[string]func() error{
		"TryLock":     l.TryLock,
		"Lock":        l.Lock,
		"LockContext": func() error { return l.LockContext(context.Background()) },
		"Unlock":      l.Unlock,
		"Close":       l.Close,
	} {
		err := call()
		assert.ErrorIs(t, err, fs.ErrClosed, "%s after Close", name)
		assert.ErrorContains(t, err, "/locks/closed", "%s after Close", name)
	}
}

func TestCloseWakesWaiters(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	const key = "/locks/close-wakes"
	admin := newClient(t, ep)
	a := newLock(t, newClient(t, ep), key)
	b := newLock(t, newClient(t, ep), key)

	require.NoError(t, a.Lock(), "a.Lock")
	inEtcd := lockAsync(context.Background(), b)
	waitContenders(t, admin, key, 2)
	inProcess := lockAsync(context.Background(), b) // queued behind the first
	mustBlock(t, inProcess, "second b.Lock")

	require.NoError(t, b.Close(), "b.Close")
	assert.ErrorIs(t, mustReturn(t, inEtcd, "b.Lock waiting in etcd"), fs.ErrClosed)
	assert.ErrorIs(t, mustReturn(t, inProcess, "b.Lock waiting in process"), fs.ErrClosed)
	waitContenders(t, admin, key, 1)
}

// TestGoroutinesShareOneLock checks that one Lock excludes the goroutines
// that share it, as a flock.Lock does.
func TestGoroutinesShareOneLock(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	l := newLock(t, newClient(t, ep), "/locks/shared-value")
	const workers, rounds = 4, 5

	var inside atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for range workers {
		wg.Go(func() {
			for range rounds {
				if err := l.Lock(); err != nil {
					errs <- err
					return
				}
				if n := inside.Add(1); n != 1 {
					errs <- fmt.Errorf("%d goroutines hold the lock at once", n)
				}
				if err := l.TryLock(); !errors.Is(err, flock.ErrLocked) {
					errs <- err
				}
				inside.Add(-1)
				if err := l.Unlock(); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}

func TestTwoLocksInOneProcessConflict(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	cli := newClient(t, ep)
	a := newLock(t, cli, "/locks/twice")
	b := newLock(t, cli, "/locks/twice")

	require.NoError(t, a.TryLock(), "a.TryLock")
	assert.ErrorIs(t, b.TryLock(), flock.ErrLocked, "b.TryLock on the same client")
}

func TestNewRejectsBadArguments(t *testing.T) {
	t.Parallel()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"127.0.0.1:1"}})
	require.NoError(t, err)
	defer cli.Close()

	for name, args := range map[string]struct {
		cli  *clientv3.Client
		key  string
		opts []etcdlock.Option
	}{
		"nil client": {nil, "/locks/x", nil},
		"empty key":  {cli, "", nil},
		"zero TTL":   {cli, "/locks/x", []etcdlock.Option{etcdlock.WithTTL(0)}},
	} {
		l, err := etcdlock.New(args.cli, args.key, args.opts...)
		assert.Nil(t, l, name)
		assert.ErrorIs(t, err, fs.ErrInvalid, name)
	}
}

func TestLockContextNilIsAnErrorNotAPanic(t *testing.T) {
	t.Parallel()
	const key = "/locks/nil"
	l := newLock(t, newClient(t, newServer(t)), key)
	//lint:ignore SA1012 a nil context is the bad input under test
	err := l.LockContext(nil)
	assert.EqualError(t, err, "lock "+key+": nil Context")
	assert.ErrorIs(t, l.Unlock(), flock.ErrNotLocked, "Unlock after LockContext(nil)")
}

func TestContextErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	const key = "/locks/ctx-errors"
	a := newLock(t, newClient(t, ep), key)
	b := newLock(t, newClient(t, ep), key)
	require.NoError(t, a.Lock(), "a.Lock")

	done, cancel := context.WithCancel(context.Background())
	cancel()
	waiting, stop := context.WithTimeout(context.Background(), blockTime)
	defer stop()
	for name, tc := range map[string]struct {
		ctx  context.Context
		want error
	}{
		"already cancelled":     {done, context.Canceled},
		"deadline while queued": {waiting, context.DeadlineExceeded},
	} {
		err := b.LockContext(tc.ctx)
		assert.ErrorIs(t, err, tc.want, name)
		var pe *fs.PathError
		if assert.ErrorAs(t, err, &pe, name) {
			assert.Equal(t, "lock", pe.Op, name)
			assert.Equal(t, key, pe.Path, name)
		}
	}
}

func TestUnlockAfterKeyDeletedReportsLost(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	const key = "/locks/deleted"
	admin := newClient(t, ep)
	l := newLock(t, newClient(t, ep), key)
	require.NoError(t, l.Lock(), "Lock")
	_, err := admin.Delete(context.Background(), string(contenders(t, admin, key)[0].Key))
	require.NoError(t, err, "delete the holder's key")
	assert.ErrorIs(t, l.Unlock(), etcdlock.ErrLost, "Unlock after the key was deleted")
	assert.NoError(t, l.TryLock(), "TryLock after that")
}

// TestExcludesEtcdMutex checks that a Lock and etcd's own lock recipe, the
// Mutex of the concurrency package that etcdctl lock uses, exclude each
// other on the same key.
func TestExcludesEtcdMutex(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	const key = "/locks/mutex"
	ctx := context.Background()
	sess, err := concurrency.NewSession(newClient(t, ep))
	require.NoError(t, err)
	defer sess.Close()
	m := concurrency.NewMutex(sess, key)
	l := newLock(t, newClient(t, ep), key)

	require.NoError(t, m.Lock(ctx), "Mutex.Lock")
	assert.ErrorIs(t, l.TryLock(), flock.ErrLocked, "TryLock while the Mutex holds")
	require.NoError(t, m.Unlock(ctx), "Mutex.Unlock")
	require.NoError(t, l.TryLock(), "TryLock after the Mutex's release")
	assert.ErrorIs(t, m.TryLock(ctx), concurrency.ErrLocked, "Mutex.TryLock while the Lock holds")
}
