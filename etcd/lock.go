// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

// Package etcdlock provides the lock of package [flock] across machines: a
// lock on a key in etcd, with the same methods and the same sentinel errors,
// so that a program guarded by a lock file can be guarded across a cluster
// by changing the constructor it calls.
//
// A [Lock] queues for its key the way etcd's own lock recipe does (the Mutex
// of go.etcd.io/etcd/client/v3/concurrency, and etcdctl lock), so that it
// excludes holders of that recipe too. Each Lock owns one session: an etcd
// lease that the client keeps alive in the background. Taking the lock puts
// a key under the lock's key, attached to that lease, and the oldest such key
// holds the lock. When the holding process exits, is killed, or can no
// longer reach etcd, the lease is no longer kept alive and etcd deletes the
// key when the lease expires, which passes the lock to the next waiter. That
// is this package's counterpart of a file lock dying with its process, later
// by up to the lease's time to live (see [WithTTL]).
//
// Unlike a file lock, a distributed lock can be lost while it is held: a
// holder that cannot reach etcd for longer than the time to live, because of
// a partition or a stalled process, loses its lease, and another process may
// then take the lock while the first still believes it holds it. [Lock.Done]
// reports the loss, and [Lock.Unlock] then returns [ErrLost]. The client
// learns of the loss only when its keepalives have gone unanswered for the
// time to live, checked once a second, so a second holder may start up to
// about a second before Done's channel closes, and a holder that was stopped
// learns of it only when it runs again. Work that must never overlap needs
// the resource itself to refuse a stale holder: [Lock.Token] gives each hold
// a fencing token for that, a number that grows with every grant of the key.
//
// Inside one process a Lock behaves like a [sync.Mutex] that other processes
// also respect, as [flock.Lock] does: while one goroutine holds it, the
// others' TryLock fails with [flock.ErrLocked] and their Lock waits. A Lock is
// not reentrant. Two Lock values on the same key conflict like two processes.
//
// Where the two packages differ, etcd is the reason. Every error, including
// a context's, is an [*fs.PathError] naming the operation and the key, since
// a lock that lives in a cluster fails in more ways than one on a file:
// errors.Is finds [flock.ErrLocked], [flock.ErrNotLocked], [fs.ErrClosed],
// [ErrLost], [ErrUnavailable] and the context's error in it. [Lock.TryLock]
// waits for etcd to answer, within the request timeout (see
// [WithRequestTimeout]). There is no shared (read) lock. Locks are advisory:
// they bind only programs that take them.
package etcdlock

import (
	"context"
	"io/fs"
	"sync"
	"time"

	"github.com/lockwise/flock"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// A Lock is a lock on a key in etcd. Create one with [New]; the zero value is
// not usable. A Lock may be used by several goroutines at once. It must be
// closed with [Lock.Close] when no longer needed: from its first acquisition
// until Close it keeps a lease alive, and a Lock dropped without Close keeps
// holding whatever it holds until the process exits or the client is closed.
type Lock struct {
	client  *clientv3.Client
	key     string
	prefix  string        // key + "/", under which contenders queue
	ttl     int           // seconds, as etcd counts lease time
	timeout time.Duration // for each request, and each TryLock, Unlock and Close

	// ctx ends when the Lock is closed or the client is. Every request the
	// Lock makes runs under it, so Close ends waits and stuck requests alike.
	ctx    context.Context
	cancel context.CancelFunc

	// turn is full while a goroutine is acquiring the lock in etcd or the
	// Lock holds it. Goroutines sharing the Lock queue here, because the
	// Lock's key in the queue is derived from its session alone: two
	// acquisitions in flight on one session would each believe the shared
	// key to be its own.
	turn chan struct{}

	// revoking counts the revocations of retired sessions still running,
	// which Close waits for. Adds happen under mu, before closed is set.
	revoking sync.WaitGroup

	// mu guards the fields below. It is never held across a request to etcd.
	mu     sync.Mutex
	closed bool
	sess   *concurrency.Session // nil until needed, and after it is retired
	hold   *hold                // non-nil while the Lock holds the lock
}

// A hold is one tenure of the lock.
type hold struct {
	ticket // its rev is the fencing token
	sess   *concurrency.Session
	done   chan struct{} // closed when the hold ends, for whatever reason
	// stop detaches done from the session. It reports false if the session
	// had already ended, which means the lock was lost while held.
	stop func() bool
}

// New returns an unlocked [Lock] on key, using client to talk to etcd. It
// makes no request: the session is created by the first acquisition. The Lock
// does not own client. Closing the client ends the Lock's session, so that a
// held lock is lost, and makes every later call fail like one after
// [Lock.Close].
//
// Contenders queue as keys under key + "/", so key must not be, at a "/"
// boundary, a prefix of another lock's key. An empty key, a nil client, or a
// non-positive time to live or request timeout gives an error wrapping
// [fs.ErrInvalid].
func New(client *clientv3.Client, key string, opts ...Option) (*Lock, error) {
	o := options{ttl: defaultTTL, timeout: defaultRequestTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if client == nil || key == "" || o.ttl <= 0 || o.timeout <= 0 {
		return nil, &fs.PathError{Op: "new", Path: key, Err: fs.ErrInvalid}
	}
	ctx, cancel := context.WithCancel(client.Ctx())
	return &Lock{
		client:  client,
		key:     key,
		prefix:  key + "/",
		ttl:     int((o.ttl + time.Second - 1) / time.Second),
		timeout: o.timeout,
		ctx:     ctx,
		cancel:  cancel,
		turn:    make(chan struct{}, 1),
	}, nil
}

// Key returns the key given to [New].
func (l *Lock) Key() string {
	if l == nil {
		return ""
	}
	return l.key
}

// Token returns the fencing token of the Lock's current hold of the lock, or
// 0 if it holds none. Tokens are positive and strictly increase over every
// grant of the key, by any client of the cluster: a later holder always has
// a larger token than an earlier one. The token is the CreateRevision of the
// Lock's key in the queue, so an etcd transaction can compare it too.
//
// A resource that must never be written by two holders at once keeps the
// highest token it has seen and refuses a write that carries a lower one
// (see the example). A hold that was lost keeps its token until
// [Lock.Unlock], so that its writes, once a later holder has written with
// its own, are refused.
func (l *Lock) Token() int64 {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hold == nil {
		return 0
	}
	return l.hold.rev
}

// TryLock takes the lock if no one else holds it, and otherwise returns with
// an error for which errors.Is(err, [flock.ErrLocked]) holds, wrapped in an
// [*fs.PathError] whose Path is the key. It does not wait for the lock, but it
// does wait for etcd to answer: one round trip, two when the lock is taken,
// and one more when the Lock first needs a session. It returns within the
// request timeout (see [WithRequestTimeout]) even if etcd cannot be reached,
// with an error wrapping [ErrUnavailable], which is not ErrLocked: the lock
// is not held then, and who holds it is unknown.
func (l *Lock) TryLock() error {
	const op = "trylock"
	if err := l.tryTurn(op); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(l.ctx, l.timeout)
	defer cancel()
	t, s, err := l.tryAcquire(ctx)
	if err != nil {
		<-l.turn
		return l.error(op, l.cause(err))
	}
	return l.begin(op, t, s)
}

// Lock blocks until it holds the lock. It returns an error only if the lock
// cannot be taken at all (the Lock is closed, or etcd refuses a request); the
// lock is not held then. While etcd cannot be reached, or has no leader, Lock
// keeps trying; a waiter whose session expires meanwhile queues again with a
// new session once etcd answers.
func (l *Lock) Lock() error { return l.lock(context.Background()) }

// LockContext blocks until it holds the lock or ctx is done. If ctx ends
// first it returns an error wrapping ctx.Err() at once and does not hold the
// lock; if ctx is already done it does so without trying, even if the lock is
// free. A waiter that gives up withdraws from etcd's queue in the background:
// its session's lease is revoked, or if etcd cannot be reached, expires;
// [Lock.Close] waits for that withdrawal, within the request timeout. A
// nil ctx gives an error, not a panic. Otherwise LockContext behaves as
// [Lock.Lock].
func (l *Lock) LockContext(ctx context.Context) error {
	const op = "lock"
	if l == nil {
		return &fs.PathError{Op: op, Path: "", Err: fs.ErrInvalid}
	}
	if ctx == nil {
		return l.error(op, errNilContext)
	}
	if err := ctx.Err(); err != nil {
		return l.error(op, err)
	}
	return l.lock(ctx)
}

// Unlock releases the lock. If the Lock does not hold it, Unlock returns an
// error wrapping [flock.ErrNotLocked] and changes nothing. If the lock was
// lost while held (see [Lock.Done]), Unlock returns an error wrapping
// [ErrLost]. If etcd does not answer within the request timeout, Unlock
// returns an error wrapping [ErrUnavailable], and the lock passes on when
// the session's lease, no longer kept alive, expires. The Lock no longer
// holds the lock in any of these cases. As with [sync.Mutex], the goroutine
// that unlocks need not be the one that locked.
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
		return l.error(op, fs.ErrClosed)
	case h == nil:
		l.mu.Unlock()
		return l.error(op, flock.ErrNotLocked)
	}
	l.hold = nil
	l.mu.Unlock()
	defer func() { <-l.turn }()

	if !h.stop() {
		l.retire(h.sess)
		return l.error(op, ErrLost)
	}
	close(h.done)
	ctx, cancel := context.WithTimeout(l.ctx, l.timeout)
	held, err := release(ctx, l.client, h.ticket)
	cancel()
	switch {
	case err != nil && l.ctx.Err() != nil:
		return nil // Close, running meanwhile, revoked the lease
	case err != nil:
		// The key may still be in etcd. Retiring the session revokes its
		// lease, or lets it expire, and the key goes with it.
		l.retire(h.sess)
		return l.error(op, l.cause(err))
	case !held:
		return l.error(op, ErrLost)
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
// expires. It also waits for the withdrawals that waiters who gave up left
// running in the background. If etcd does not answer within the request
// timeout, Close returns an error wrapping [ErrUnavailable]; the lease then
// expires on its own. A
// second Close, and any other method called after Close, returns an error
// wrapping [fs.ErrClosed].
func (l *Lock) Close() error {
	const op = "close"
	if l == nil {
		return &fs.PathError{Op: op, Path: "", Err: fs.ErrInvalid}
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return l.error(op, fs.ErrClosed)
	}
	l.closed = true
	h, s := l.hold, l.sess
	l.hold, l.sess = nil, nil
	l.mu.Unlock()

	l.cancel()
	if h != nil && h.stop() {
		close(h.done)
	}
	var err error
	if s != nil {
		err = l.revoke(s)
	}
	l.revoking.Wait()
	if err != nil {
		return l.error(op, l.unanswered(err))
	}
	return nil
}

var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()
