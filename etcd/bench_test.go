// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	etcdlock "github.com/lockwise/flock/etcd"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// BenchmarkTryLockUnlock measures an uncontended TryLock and Unlock: two
// requests to etcd, the lease being granted before the timer starts, against
// one member and against a cluster of three.
func BenchmarkTryLockUnlock(b *testing.B) {
	for _, members := range []int{1, 3} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			c := newCluster(b, members)
			l := newLock(b, newClient(b, c.Endpoints()...), "/locks/bench")
			require.NoError(b, l.TryLock())
			require.NoError(b, l.Unlock())
			for b.Loop() {
				if err := l.TryLock(); err != nil {
					b.Fatal(err)
				}
				if err := l.Unlock(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandoff measures the time from a holder's call to Unlock to the
// return of Lock in a waiter queued on another client, the two clients
// taking turns, and reports the median and 99th percentile.
//
// "fresh" unlocks as soon as the waiter's key is in the queue, while the
// waiter may still be setting up its watch: the case that the read after the
// watch starts is there for (see awaitDelete). "waiting" lets the waiter
// settle first, which is the usual case of a waiter that has been waiting
// for a while.
func BenchmarkHandoff(b *testing.B) {
	for _, bc := range []struct {
		name   string
		settle time.Duration
	}{
		{"waiting", 300 * time.Millisecond},
		{"fresh", 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ep := newServer(b)
			const key = "/locks/handoff"
			admin := newClient(b, ep)
			locks := [2]*etcdlock.Lock{
				newLock(b, newClient(b, ep), key),
				newLock(b, newClient(b, ep), key),
			}
			require.NoError(b, locks[0].Lock())
			var took []time.Duration
			for i := 0; i < b.N; i++ {
				holder, waiter := locks[i%2], locks[(i+1)%2]
				took = append(took, handoff(b, admin, key, holder, waiter, bc.settle))
			}
			slices.Sort(took)
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(ms(took[len(took)/2]), "p50-ms")
			b.ReportMetric(ms(took[len(took)*99/100]), "p99-ms")
		})
	}
}

// handoff queues waiter behind holder, waits for settle, then times the
// handoff between them.
func handoff(b *testing.B, admin *clientv3.Client, key string, holder, waiter *etcdlock.Lock, settle time.Duration) time.Duration {
	ctx := context.Background()
	resp, err := admin.Get(ctx, key+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	require.NoError(b, err)
	// Watching from the next revision sees the waiter's key being put, even
	// if it is put before the watch is set up.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	puts := admin.Watch(wctx, key+"/", clientv3.WithPrefix(),
		clientv3.WithRev(resp.Header.Revision+1), clientv3.WithFilterDelete())
	locked := make(chan time.Time, 1)
	go func() {
		if err := waiter.Lock(); err != nil {
			panic(err) // not b.Fatal: this is not the benchmark's goroutine
		}
		locked <- time.Now()
	}()
	<-puts
	time.Sleep(settle)
	start := time.Now()
	require.NoError(b, holder.Unlock())
	return (<-locked).Sub(start)
}

// BenchmarkKilledHolderExpiry measures how long after a holder process is
// killed with SIGKILL a queued waiter gets the lock, with a 2s time to live.
// Each iteration starts and kills a process; run it with a small -benchtime
// count, such as 5x.
func BenchmarkKilledHolderExpiry(b *testing.B) {
	ep := newServer(b)
	var total, longest time.Duration
	for i := 0; i < b.N; i++ {
		took := killHolder(b, []string{ep}, "/locks/bench-killed")
		total += took
		longest = max(longest, took)
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(total/time.Duration(b.N)), "mean-ms")
	b.ReportMetric(ms(longest), "max-ms")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
