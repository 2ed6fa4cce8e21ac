// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

// Package etcdlock provides the lock of package [flock] across machines: a
// lock on a key in etcd, with the same methods, the same errors and the same
// behaviour inside one process, so that a program guarded by a lock file can
// be guarded across a cluster by changing the constructor it calls.
//
// A [Lock] is a thin layer over etcd's own lock recipe, the Mutex and Session
// of go.etcd.io/etcd/client/v3/concurrency. Each Lock owns one session: an
// etcd lease that the client keeps alive in the background. Taking the lock
// puts a key under the lock's key, attached to that lease, and the oldest such
// key holds the lock. When the holding process exits, is killed, or can no
// longer reach etcd, the lease is no longer kept alive and etcd deletes the
// key when the lease expires, which passes the lock to the next waiter. That
// is this package's counterpart of a file lock dying with its process, later
// by up to the lease's time to live (see [WithTTL]).
//
// Unlike a file lock, a distributed lock can be lost while it is held: a
// holder that cannot reach etcd for longer than the time to live, because of
// a partition or a stalled process, loses its lease, and another process may
// then take the lock while the first still believes it holds it. [Lock.Done]
// reports the loss, and [Lock.Unlock] then returns [ErrLost]. Work that must
// not overlap should stop when Done's channel is closed. The client learns of
// the loss only when its keepalives have gone unanswered for the time to
// live, checked once a second, so a second holder may start up to about a
// second before Done's channel closes. Work that must never overlap at all
// needs fencing on the resource itself, which this package does not provide.
//
// Inside one process a Lock behaves like a [sync.Mutex] that other processes
// also respect, as [flock.Lock] does: while one goroutine holds it, the
// others' TryLock fails with [flock.ErrLocked] and their Lock waits. A Lock is
// not reentrant. Two Lock values on the same key conflict like two processes.
//
// There is no shared (read) lock, because etcd's concurrency package has
// none. Locks are advisory: they bind only programs that take them.
package etcdlock

import (
	"context"
	"errors"
	"io/fs"
	"sync"
	"time"

	"github.com/lockwise/flock"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// A Lock is a lock on a key in etcd. Create one with [New]; the zero value is
// not usable. A Lock may be used by several goroutines at once. It must be
// closed with [Lock.Close] when no longer needed: from its first acquisition
// until Close it keeps a lease alive, and a Lock dropped without Close keeps
// holding whatever it holds until the process exits or the client is closed.
type Lock struct {
	client *clientv3.Client
	key    string
	ttl    int // seconds, as etcd counts lease time

	// ctx ends when the Lock is closed or the client is. Every request the
	// Lock makes runs under it, so Close ends waits and stuck requests alike.
	ctx    context.Context
	cancel context.CancelFunc

	// turn is full while a goroutine is acquiring the lock in etcd or the
	// Lock holds it. Goroutines sharing the Lock queue here, because a
	// concurrency.Mutex is not safe for concurrent use, and because its key
	// is derived from the session alone: two acquisitions in flight on one
	// session would each believe the shared key to be its own.
	turn chan struct{}

	// mu guards the fields below. It is never held across a request to etcd.
	mu     sync.Mutex
	closed bool
	sess   *concurrency.Session // nil until needed, and after it is retired
	hold   *hold                // non-nil while the Lock holds the lock
}

// A hold is one tenure of the lock.
type hold struct {
	mutex *concurrency.Mutex
	sess  *concurrency.Session
	done  chan struct{} // closed when the hold ends, for whatever reason
	// stop detaches done from the session. It reports false if the session
	// had already ended, which means the lock was lost while held.
	stop func() bool
}

// New returns an unlocked [Lock] on key, using client to talk to etcd. It
// makes no request: the session is created by the first acquisition. The Lock
// does not own client. Closing the client ends the Lock's session, so that a
// held lock is lost, and makes every later acquisition fail like one after
// [Lock.Close].
//
// Contenders queue as keys under key + "/", so key must not be, at a "/"
// boundary, a prefix of another lock's key. An empty key, a nil client or a
// non-positive time to live gives an error wrapping [fs.ErrInvalid].
func New(client *clientv3.Client, key string, opts ...Option) (*Lock, error) {
	o := options{ttl: defaultTTL}
	for _, opt := range opts {
		opt(&o)
	}
	if client == nil || key == "" || o.ttl <= 0 {
		return nil, &fs.PathError{Op: "new", Path: key, Err: fs.ErrInvalid}
	}
	ctx, cancel := context.WithCancel(client.Ctx())
	return &Lock{
		client: client,
		key:    key,
		ttl:    int((o.ttl + time.Second - 1) / time.Second),
		ctx:    ctx,
		cancel: cancel,
		turn:   make(chan struct{}, 1),
	}, nil
}

// Key returns the key given to [New].
func (l *Lock) Key() string {
	if l == nil {
		return ""
	}
	return l.key
}

// TryLock takes the lock if no one else holds it, and otherwise returns with
// an error for which errors.Is(err, [flock.ErrLocked]) holds, wrapped in an
// [*fs.PathError] whose Path is the key. It does not wait for the lock, but it
// does wait for etcd to answer: one round trip, two when the lock is taken,
// and one more when the Lock first needs a session. If etcd cannot be
// reached, TryLock waits until it can, until the Lock's session expires, or
// until the Lock is closed.
func (l *Lock) TryLock() error {
	const op = "trylock"
	if err := l.tryTurn(op); err != nil {
		return err
	}
	s, err := l.session(l.ctx)
	if err != nil {
		<-l.turn
		return l.error(op, nil, err)
	}
	m := concurrency.NewMutex(s, l.key)
	ctx, cancel := l.within(l.ctx, s)
	err = m.TryLock(ctx)
	cancel()
	if err == nil {
		return l.begin(op, m, s)
	}
	if !released(m) {
		l.retire(s)
	}
	<-l.turn
	if errors.Is(err, concurrency.ErrLocked) {
		err = flock.ErrLocked
	}
	return l.error(op, s, err)
}

// Lock blocks until it holds the lock. It returns an error only if the lock
// cannot be taken at all (the Lock is closed, or etcd refuses a request); the
// lock is not held then. A waiter whose session expires while it waits, as
// in a partition, rejoins the queue with a new session once etcd answers.
func (l *Lock) Lock() error { return l.lock(context.Background()) }

// LockContext blocks until it holds the lock or ctx is done. If ctx ends
// first it returns ctx.Err() at once and does not hold the lock; if ctx is
// already done it returns ctx.Err() without trying, even if the lock is free.
// A waiter that gives up withdraws from etcd's queue in the background: its
// session's lease is revoked, or if etcd cannot be reached, expires.
func (l *Lock) LockContext(ctx context.Context) error {
	if l != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return l.lock(ctx)
}

// Unlock releases the lock. If the Lock does not hold it, Unlock returns an
// error wrapping [flock.ErrNotLocked] and changes nothing. If the lock was
// lost while held (see [Lock.Done]), Unlock returns an error wrapping
// [ErrLost]; the Lock no longer holds the lock either way. As with
// [sync.Mutex], the goroutine that unlocks need not be the one that locked.
func (l *Lock) Unlock() error {
	const op = "unlock"
	if l == nil {
		return &fs.PathError{Op: op, Path: "", Err: fs.ErrInvalid}
	}
	l.mu.Lock()
	h := l.hold
	switch {
	case l.closed:
		l.mu.Unlock()
		return l.error(op, nil, fs.ErrClosed)
	case h == nil:
		l.mu.Unlock()
		return l.error(op, nil, flock.ErrNotLocked)
	}
	l.hold = nil
	l.mu.Unlock()
	defer func() { <-l.turn }()

	if !h.stop() {
		l.retire(h.sess)
		return l.error(op, nil, ErrLost)
	}
	close(h.done)
	ctx, cancel := l.within(l.ctx, h.sess)
	err := h.mutex.Unlock(ctx)
	cancel()
	if err != nil {
		// The key may still be in etcd. Retiring the session revokes its
		// lease, or lets it expire, and the key goes with it.
		l.retire(h.sess)
		if l.ctx.Err() != nil {
			return nil // Close, running meanwhile, released the lock
		}
		return l.error(op, h.sess, err)
	}
	return nil
}

// Done returns a channel that is closed when the Lock's current hold of the
// lock ends: by [Lock.Unlock] or [Lock.Close], or because the lock was lost,
// its session's lease having expired or been revoked. Loss is the case to
// watch for; a holder should stop the guarded work when the channel closes.
// If the Lock does not hold the lock, Done returns a closed channel.
func (l *Lock) Done() <-chan struct{} {
	if l == nil {
		return closedChan
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hold == nil {
		return closedChan
	}
	return l.hold.done
}

// Close releases the lock if held, wakes every goroutine waiting for it with
// an error wrapping [fs.ErrClosed], and ends the Lock's session, revoking its
// lease so that the lock passes on at once rather than when the lease
// expires. If etcd cannot be reached, Close waits for at most the time to
// live and returns the error; the lease then expires on its own. A second
// Close, and any other method called after Close, returns an error wrapping
// [fs.ErrClosed].
func (l *Lock) Close() error {
	const op = "close"
	if l == nil {
		return &fs.PathError{Op: op, Path: "", Err: fs.ErrInvalid}
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return l.error(op, nil, fs.ErrClosed)
	}
	l.closed = true
	h, s := l.hold, l.sess
	l.hold, l.sess = nil, nil
	l.mu.Unlock()

	l.cancel()
	if h != nil && h.stop() {
		close(h.done)
	}
	if s == nil {
		return nil
	}
	err := s.Close()
	if err == nil || errors.Is(err, rpctypes.ErrLeaseNotFound) || l.client.Ctx().Err() != nil {
		return nil // revoked, already expired, or the client is gone
	}
	return l.error(op, nil, err)
}

var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()
