// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock

import "time"

// An Option changes how a [Lock] uses etcd.
type Option func(*options)

type options struct {
	ttl time.Duration
}

// defaultTTL bounds how long a lock outlives a killed holder. The client
// renews the lease every third of it, so a shorter one costs little traffic
// but loses the lock sooner when the holder stalls or etcd is slow to answer.
const defaultTTL = 10 * time.Second

// WithTTL sets the time to live of the lease that the [Lock]'s session keeps
// alive: how long after its holder dies, or loses touch with etcd, the lock
// passes on, and so also how long a holder may go without reaching etcd
// before it loses the lock. It is rounded up to whole seconds, and etcd may
// raise it to its own minimum (about 2s with the default election timeout).
// The default is 10s.
func WithTTL(ttl time.Duration) Option {
	return func(o *options) { o.ttl = ttl }
}
