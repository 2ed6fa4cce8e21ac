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

// tryAcquire makes one attempt at the lock without waiting, all under ctx.
// On failure the Lock has no key in the queue, or its session is retired so
// that the key goes with the lease.
func (l *Lock) tryAcquire(ctx context.Context) (ticket, *concurrency.Session, error) {
	for attempt := 1; ; attempt++ {
		s, err := l.session(ctx)
		if err != nil {
			return ticket{}, nil, err
		}
		t, first, err := enqueue(ctx, l.client, l.prefix, s.Lease())
		if err != nil {
			l.retire(s) // the key may have been put all the same
			// A lease that etcd expired before the client noticed: one
			// more try, with a new session.
			if attempt == 1 && errors.Is(err, rpctypes.ErrLeaseNotFound) {
				continue
			}
			return ticket{}, nil, err
		}
		if first {
			return t, s, nil
		}
		if _, err := release(ctx, l.client, t); err != nil {
			l.retire(s)
		}
		return ticket{}, nil, flock.ErrLocked
	}
}

// lock is Lock and LockContext.
func (l *Lock) lock(ctx context.Context) error {
	const op = "lock"
	if err := l.waitTurn(ctx, op); err != nil {
		return err
	}
	lctx, stop := l.within(ctx, nil)
	defer stop()
	var retry backoff
	for {
		t, s, err := l.acquire(lctx)
		if err == nil {
			return l.begin(op, t, s)
		}
		retryable := errors.Is(err, errTicketGone) || unavailable(err) ||
			errors.Is(err, rpctypes.ErrLeaseNotFound)
		if lctx.Err() == nil && retryable && retry.wait(lctx) {
			continue
		}
		<-l.turn
		if ctx.Err() != nil {
			return l.error(op, ctx.Err())
		}
		return l.error(op, l.cause(err))
	}
}

// acquire queues for the lock and waits for it, under ctx. Each request is
// bounded by the request timeout; the wait is not. On failure the Lock has no
// key in the queue, or its session is retired so that the key goes with the
// lease.
func (l *Lock) acquire(ctx context.Context) (ticket, *concurrency.Session, error) {
	rctx, cancel := context.WithTimeout(ctx, l.timeout)
	s, err := l.session(rctx)
	if err != nil {
		cancel()
		return ticket{}, nil, err
	}
	t, first, err := enqueue(rctx, l.client, l.prefix, s.Lease())
	cancel()
	if err != nil {
		l.retire(s)
		return ticket{}, nil, err
	}
	if first {
		return t, s, nil
	}
	// A session that ends while waiting ends the wait: its key is gone.
	wctx, stop := l.within(ctx, s)
	defer stop()
	var retry backoff
	for {
		err = awaitTurn(wctx, l.client, l.prefix, t, l.timeout)
		if err == nil {
			return t, s, nil
		}
		if wctx.Err() != nil || !unavailable(err) || !retry.wait(wctx) {
			break
		}
	}
	// Withdraw: retiring s revokes its lease in the background, so that
	// giving up never waits for etcd.
	l.retire(s)
	if ctx.Err() == nil && expired(s) {
		return ticket{}, nil, errTicketGone
	}
	return ticket{}, nil, err
}

// tryTurn takes the Lock's turn, or fails with ErrLocked if another
// goroutine has it.
func (l *Lock) tryTurn(op string) error {
	if l == nil {
		return &fs.PathError{Op: op, Path: "", Err: fs.ErrInvalid}
	}
	if l.ctx.Err() != nil {
		return l.error(op, fs.ErrClosed)
	}
	select {
	case l.turn <- struct{}{}:
	default:
		return l.error(op, flock.ErrLocked)
	}
	return l.checkTurn(op)
}

// waitTurn waits for the Lock's turn.
func (l *Lock) waitTurn(ctx context.Context, op string) error {
	if l == nil {
		return &fs.PathError{Op: op, Path: "", Err: fs.ErrInvalid}
	}
	if l.ctx.Err() != nil {
		return l.error(op, fs.ErrClosed)
	}
	select {
	case l.turn <- struct{}{}:
	case <-ctx.Done():
		return l.error(op, ctx.Err())
	case <-l.ctx.Done():
		return l.error(op, fs.ErrClosed)
	}
	return l.checkTurn(op)
}

// checkTurn gives the turn back if the Lock was closed while it was taken.
func (l *Lock) checkTurn(op string) error {
	if l.ctx.Err() != nil {
		<-l.turn
		return l.error(op, fs.ErrClosed)
	}
	return nil
}

// begin records a hold of the lock just taken with t on s. The caller has the
// turn, which the hold keeps until Unlock or Close.
func (l *Lock) begin(op string, t ticket, s *concurrency.Session) error {
	h := &hold{ticket: t, sess: s, done: make(chan struct{})}
	h.stop = context.AfterFunc(s.Ctx(), func() { close(h.done) })
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		// Close has taken s and revokes its lease, which releases t.
		if h.stop() {
			close(h.done)
		}
		<-l.turn
		return l.error(op, fs.ErrClosed)
	}
	l.hold = h
	return nil
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

// expired reports whether s has ended.
func expired(s *concurrency.Session) bool {
	select {
	case <-s.Done():
		return true
	default:
		return false
	}
}

// error returns an *fs.PathError naming the operation and the key.
func (l *Lock) error(op string, err error) error {
	return &fs.PathError{Op: op, Path: l.key, Err: err}
}

// cause is what a caller is told of a request that failed with err: that
// the Lock was closed meanwhile, if it was, and that etcd was unavailable,
// if it was.
func (l *Lock) cause(err error) error {
	if l.ctx.Err() != nil {
		return fs.ErrClosed
	}
	return l.unanswered(err)
}

// unanswered wraps err in ErrUnavailable if it says that etcd could not
// serve the request.
func (l *Lock) unanswered(err error) error {
	if unavailable(err) {
		return &unavailableError{timeout: l.timeout, cause: err}
	}
	return err
}
