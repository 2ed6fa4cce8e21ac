// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock

import "time"

// An Option changes how a [Lock] uses etcd.
type Option func(*options)

type options struct {
	ttl     time.Duration
	timeout time.Duration
}

const (
	// defaultTTL bounds how long a lock outlives a killed holder. The client
	// renews the lease every third of it, so a shorter one costs little
	// traffic but loses the lock sooner when the holder stalls or etcd is
	// slow to answer.
	defaultTTL = 10 * time.Second

	// defaultRequestTimeout is etcd's own default request timeout: a healthy
	// cluster answers in milliseconds, and one that has not answered in
	// five seconds is electing a leader, partitioned or down.
	defaultRequestTimeout = 5 * time.Second
)

// WithTTL sets the time to live of the lease that the [Lock]'s session keeps
// alive: how long after its holder dies, or loses touch with etcd, the lock
// passes on, and so also how long a holder may go without reaching etcd
// before it loses the lock. It is rounded up to whole seconds, and etcd may
// raise it to its own minimum (2s with the default election timeout). The
// default is 10s.
//
// etcd deletes the lock's key once the lease has expired, looking for
// expired leases every half second, and a waiter learns of the deletion
// through a watch, so a killed holder's lock passes on within the time to
// live and a fraction of a second.
func WithTTL(ttl time.Duration) Option {
	return func(o *options) { o.ttl = ttl }
}

// WithRequestTimeout sets how long [Lock.TryLock], [Lock.Unlock] and
// [Lock.Close] wait for etcd: each returns within d, all its requests
// included, even when etcd cannot be reached. A call that runs out of time
// fails with an error wrapping [ErrUnavailable] and
// [context.DeadlineExceeded]. [Lock.Lock] and [Lock.LockContext] bound each
// request they make by d as well, except the watch that waits for the lock,
// and retry the requests that etcd could not serve. The default is 5s.
func WithRequestTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}
