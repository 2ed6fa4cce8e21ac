// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock

import (
	"context"
	"errors"
	"io/fs"

	"github.com/lockwise/flock"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// lock is Lock and LockContext.
func (l *Lock) lock(ctx context.Context) error {
	const op = "lock"
	if err := l.waitTurn(ctx, op); err != nil {
		return err
	}
	for {
		s, err := l.session(ctx)
		if err != nil {
			<-l.turn
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return l.error(op, nil, err)
		}
		m := concurrency.NewMutex(s, l.key)
		wctx, cancel := l.within(ctx, s)
		res := make(chan error, 1)
		go func() { res <- m.Lock(wctx) }()
		abandoned := false
		select {
		case err = <-res:
		case <-wctx.Done():
			// Do not wait for the Mutex to withdraw its key: it does so
			// with a request that has no deadline, which in a partition
			// would outlast ctx. Retiring the session withdraws the key
			// instead, and res is buffered, so the goroutine ends alone.
			err, abandoned = wctx.Err(), true
		}
		cancel()
		if err == nil {
			return l.begin(op, m, s)
		}
		// Decide before retiring s, which ends it.
		requeue := ctx.Err() == nil && l.ctx.Err() == nil && expired(s, err)
		if abandoned || !released(m) {
			l.retire(s)
		}
		if requeue {
			continue // the session ended while waiting: queue again
		}
		<-l.turn
		if ctx.Err() != nil {
			return ctx.Err() // unwrapped, as the flock package returns it
		}
		return l.error(op, s, err)
	}
}

// tryTurn takes the Lock's turn, or fails with ErrLocked if another
// goroutine has it.
func (l *Lock) tryTurn(op string) error {
	if l == nil {
		return &fs.PathError{Op: op, Path: "", Err: fs.ErrInvalid}
	}
	if l.ctx.Err() != nil {
		return l.error(op, nil, fs.ErrClosed)
	}
	select {
	case l.turn <- struct{}{}:
	default:
		return l.error(op, nil, flock.ErrLocked)
	}
	return l.checkTurn(op)
}

// waitTurn waits for the Lock's turn.
func (l *Lock) waitTurn(ctx context.Context, op string) error {
	if l == nil {
		return &fs.PathError{Op: op, Path: "", Err: fs.ErrInvalid}
	}
	if l.ctx.Err() != nil {
		return l.error(op, nil, fs.ErrClosed)
	}
	select {
	case l.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-l.ctx.Done():
		return l.error(op, nil, fs.ErrClosed)
	}
	return l.checkTurn(op)
}

// checkTurn gives the turn back if the Lock was closed while it was taken.
func (l *Lock) checkTurn(op string) error {
	if l.ctx.Err() != nil {
		<-l.turn
		return l.error(op, nil, fs.ErrClosed)
	}
	return nil
}

// session returns the Lock's session, first creating one if there is none or
// the last one has ended. Only the goroutine with the turn calls it.
func (l *Lock) session(ctx context.Context) (*concurrency.Session, error) {
	l.mu.Lock()
	s := l.sess
	l.mu.Unlock()
	if s != nil {
		select {
		case <-s.Done():
			l.retire(s) // expired while idle
		default:
			return s, nil
		}
	}
	// The lease is granted under ctx, but the session is not given ctx: its
	// keepalives must outlive the call that happens to create it.
	gctx, cancel := l.within(ctx, nil)
	lease, err := l.client.Grant(gctx, int64(l.ttl))
	cancel()
	if err != nil {
		return nil, err
	}
	s, err = concurrency.NewSession(l.client,
		concurrency.WithLease(lease.ID), concurrency.WithTTL(l.ttl))
	if err != nil {
		return nil, err // the lease, never kept alive, expires on its own
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		go s.Close()
		return nil, fs.ErrClosed
	}
	l.sess = s
	return s, nil
}

// begin records a hold of the lock just taken with m. The caller has the turn,
// which the hold keeps until Unlock or Close.
func (l *Lock) begin(op string, m *concurrency.Mutex, s *concurrency.Session) error {
	h := &hold{mutex: m, sess: s, done: make(chan struct{})}
	h.stop = context.AfterFunc(s.Ctx(), func() { close(h.done) })
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		// Close has taken s and revokes its lease, which releases m.
		if h.stop() {
			close(h.done)
		}
		<-l.turn
		return l.error(op, nil, fs.ErrClosed)
	}
	l.hold = h
	return nil
}

// retire stops using s and withdraws its keys from etcd: its lease is no
// longer kept alive, and is revoked in the background. Revoking takes at most
// the time to live, after which the lease has expired anyway.
func (l *Lock) retire(s *concurrency.Session) {
	l.mu.Lock()
	if l.sess == s {
		l.sess = nil
	}
	l.mu.Unlock()
	s.Orphan()
	go s.Close()
}

// within returns a context that ends when parent ends, when the Lock is
// closed, or when s (if not nil) ends.
func (l *Lock) within(parent context.Context, s *concurrency.Session) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	stopClose := context.AfterFunc(l.ctx, cancel)
	stopSession := func() bool { return false }
	if s != nil {
		stopSession = context.AfterFunc(s.Ctx(), cancel)
	}
	return ctx, func() {
		stopClose()
		stopSession()
		cancel()
	}
}

// released reports whether m withdrew its key after failing to lock: the
// Mutex marks its key that way only once etcd confirmed the deletion.
func released(m *concurrency.Mutex) bool { return m.Key() == "\x00" }

// expired reports whether an acquisition failed because its session ended.
func expired(s *concurrency.Session, err error) bool {
	select {
	case <-s.Done():
		return true
	default:
	}
	return errors.Is(err, concurrency.ErrSessionExpired) ||
		errors.Is(err, rpctypes.ErrLeaseNotFound)
}

// error returns an *fs.PathError naming the operation and the key. A request
// cut short by Close or by the end of session s (if not nil) reports that,
// not a bare cancellation.
func (l *Lock) error(op string, s *concurrency.Session, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, fs.ErrClosed) {
		switch {
		case l.ctx.Err() != nil:
			err = fs.ErrClosed
		case s != nil && expired(s, nil):
			err = concurrency.ErrSessionExpired
		}
	}
	return &fs.PathError{Op: op, Path: l.key, Err: err}
}
