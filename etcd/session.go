// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock

import (
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// session returns the Lock's session, first creating one if there is none or
// the last one has ended. Only the goroutine with the turn calls it.
func (l *Lock) session(ctx context.Context) (*concurrency.Session, error) {
	l.mu.Lock()
	s := l.sess
	l.mu.Unlock()
	if s != nil {
		if !expired(s) {
			return s, nil
		}
		l.retire(s) // expired while idle
	}
	// The lease is granted under ctx, but the session is not given ctx: its
	// keepalives must outlive the call that happens to create it.
	lease, err := l.client.Grant(ctx, int64(l.ttl))
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
		go l.revoke(s)
		return nil, fs.ErrClosed
	}
	l.sess = s
	return s, nil
}

// retire stops using s and withdraws its keys from etcd: its lease is no
// longer kept alive, and is revoked in the background, within the request
// timeout; if that fails, the lease expires on its own. Close waits for the
// revocation, so that a program that exits after Close leaves no key behind.
func (l *Lock) retire(s *concurrency.Session) {
	l.mu.Lock()
	if l.sess == s {
		l.sess = nil
	}
	// Counted only before Close, so that no Add races with its Wait; one
	// that starts after Close has nothing to wait for.
	counted := !l.closed
	if counted {
		l.revoking.Add(1)
	}
	l.mu.Unlock()
	s.Orphan()
	go func() {
		l.revoke(s)
		if counted {
			l.revoking.Done()
		}
	}()
}

// revoke ends s and revokes its lease, within the request timeout. A lease
// that is already gone, or a client that is closed, is no error.
func (l *Lock) revoke(s *concurrency.Session) error {
	s.Orphan()
	ctx, cancel := context.WithTimeout(l.client.Ctx(), l.timeout)
	defer cancel()
	_, err := l.client.Revoke(ctx, s.Lease())
	if err == nil || errors.Is(err, rpctypes.ErrLeaseNotFound) || l.client.Ctx().Err() != nil {
		return nil
	}
	return err
}

// A backoff paces the retries of requests that etcd could not serve: capped
// exponential delays with jitter, so that the waiters of a cluster that
// comes back do not all ask at the same moment.
type backoff struct{ next time.Duration }

const (
	firstRetryDelay = 50 * time.Millisecond
	maxRetryDelay   = time.Second
)

// wait sleeps for the next delay, and reports false if ctx ended first.
func (b *backoff) wait(ctx context.Context) bool {
	b.next = min(max(2*b.next, firstRetryDelay), maxRetryDelay)
	t := time.NewTimer(b.next/2 + rand.N(b.next/2))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
