// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock

import (
	"context"
	"errors"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrLost is what [Lock.Unlock] returns, wrapped in an [*fs.PathError] that
// names the key, when the lock was lost while held: the session's lease
// expired or was revoked, or the lock's key was deleted, so another holder
// may have had the lock before Unlock was called. [Lock.Done]'s channel is
// closed by then. Test for it with errors.Is(err, etcdlock.ErrLost).
var ErrLost = errors.New("lock lost while held")

// ErrUnavailable is the cause, wrapped in an [*fs.PathError] that names the
// key and the operation, when etcd did not answer [Lock.TryLock],
// [Lock.Unlock] or [Lock.Close] within the request timeout (see
// [WithRequestTimeout]), or answered that it cannot serve requests, as a
// member without a leader does. The error wraps etcd's answer or
// [context.DeadlineExceeded] too. TryLock failing this way says nothing
// about who holds the lock. Test for it with errors.Is(err,
// etcdlock.ErrUnavailable).
var ErrUnavailable = errors.New("etcd unavailable")

// errNilContext is the cause when LockContext is given a nil context, as in
// package flock: an error a program can report, where the standard library
// would panic.
var errNilContext = errors.New("nil Context")

// errTicketGone is the cause when a waiter's key vanished from the queue:
// its lease ended, or someone deleted the key. The waiter queues again.
var errTicketGone = errors.New("queued key deleted while waiting")

// An unavailableError is ErrUnavailable with what etcd said, or how long it
// was given to say anything.
type unavailableError struct {
	timeout time.Duration // the request timeout, if it ran out
	cause   error
}

func (e *unavailableError) Error() string {
	if e.timeout > 0 && errors.Is(e.cause, context.DeadlineExceeded) {
		return ErrUnavailable.Error() + ": no answer within " + e.timeout.String()
	}
	return ErrUnavailable.Error() + ": " + e.cause.Error()
}

func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.cause} }

// unavailable reports whether err says that etcd could not serve a request
// at the time, rather than that it refused it: a request timeout, a member
// without a leader, a connection that failed. Those are worth retrying.
func unavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ee rpctypes.EtcdError
	if errors.As(err, &ee) {
		return ee.Code() == codes.Unavailable
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}
