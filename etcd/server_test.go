// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock_test

import (
	"context"
	"strings"
	"testing"
	"time"

	etcdlock "github.com/lockwise/flock/etcd"
	"github.com/lockwise/flock/etcd/internal/etcdtest"
	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// startEtcd starts a single-member etcd server with its data in dir and
// returns its client endpoint and a function that stops it.
func startEtcd(dir string) (endpoint string, stop func(), err error) {
	c, err := etcdtest.Start(dir, 1)
	if err != nil {
		return "", nil, err
	}
	return c.Endpoint(0), c.Stop, nil
}

// Helpers shared by the tests and benchmarks.

// newCluster starts an etcd cluster of n members for one test.
func newCluster(tb testing.TB, n int) *etcdtest.Cluster {
	tb.Helper()
	start := time.Now()
	c, err := etcdtest.Start(tb.TempDir(), n)
	require.NoError(tb, err, "start etcd")
	tb.Cleanup(c.Stop)
	tb.Logf("%d etcd members serving on %s, after %v", n, strings.Join(c.Endpoints(), ","), time.Since(start))
	return c
}

// newServer starts a single etcd server for one test and returns its
// endpoint.
func newServer(tb testing.TB) string {
	tb.Helper()
	return newCluster(tb, 1).Endpoint(0)
}

// newClient returns a client of the etcd members at endpoints, closed when
// the test ends. Each client stands for one machine of a fleet.
func newClient(tb testing.TB, endpoints ...string) *clientv3.Client {
	tb.Helper()
	cli, err := dial(endpoints)
	require.NoError(tb, err, "dial etcd")
	tb.Cleanup(func() { cli.Close() })
	return cli
}

func dial(endpoints []string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 10 * time.Second,
		Logger:      zap.NewNop(),
	})
}

// newLock returns a Lock that is closed when the test ends.
func newLock(tb testing.TB, cli *clientv3.Client, key string, opts ...etcdlock.Option) *etcdlock.Lock {
	tb.Helper()
	l, err := etcdlock.New(cli, key, opts...)
	require.NoError(tb, err, "New(%q)", key)
	tb.Cleanup(func() { l.Close() })
	return l
}

// contenders returns the keys queued for the lock on key, holder first.
func contenders(tb testing.TB, cli *clientv3.Client, key string) []*mvccpb.KeyValue {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := cli.Get(ctx, key+"/", clientv3.WithPrefix(),
		clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
	require.NoError(tb, err, "list contenders")
	return resp.Kvs
}

// waitContenders waits until n keys are queued for the lock on key: the
// sign, in etcd itself, that a waiter has joined the queue or left it.
func waitContenders(tb testing.TB, cli *clientv3.Client, key string, n int) {
	tb.Helper()
	tb.Logf("waiting for %d contenders on %s", n, key)
	for i := 0; ; i++ {
		got := len(contenders(tb, cli, key))
		if got == n {
			return
		}
		if i > 0 && i%500 == 0 {
			tb.Logf("still %d contenders on %s, want %d", got, key, n)
		}
		time.Sleep(pollInterval)
	}
}

const (
	// pollInterval paces loops that wait for etcd's state to change.
	pollInterval = 10 * time.Millisecond
	// blockTime is how long an operation that should block is watched
	// before the test believes that it does.
	blockTime = 200 * time.Millisecond
	// eventually bounds waits for things that do happen, on a slow machine.
	eventually = 2 * time.Minute
)
