// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	etcdlock "github.com/lockwise/flock/etcd"
	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// startEtcd starts a single-member etcd server with its data in dir,
// listening on loopback ports that the kernel picks, and returns its client
// endpoint and a function that stops it.
func startEtcd(dir string) (endpoint string, stop func(), err error) {
	cfg := embed.NewConfig()
	cfg.Dir = dir
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	local := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	cfg.ListenClientUrls = []url.URL{local}
	cfg.AdvertiseClientUrls = []url.URL{local}
	cfg.ListenPeerUrls = []url.URL{local}
	cfg.AdvertisePeerUrls = []url.URL{local}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// The data is thrown away with dir; fsync would only make tests slow.
	cfg.UnsafeNoFsync = true
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return "", nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(time.Minute):
		e.Close()
		return "", nil, errors.New("etcd did not become ready within a minute")
	}
	return e.Clients[0].Addr().String(), e.Close, nil
}

// Helpers shared by the tests and benchmarks.

// newServer starts an etcd server for one test and returns its endpoint.
func newServer(tb testing.TB) string {
	tb.Helper()
	endpoint, stop, err := startEtcd(tb.TempDir())
	require.NoError(tb, err, "start etcd")
	tb.Cleanup(stop)
	tb.Logf("etcd serving on %s", endpoint)
	return endpoint
}

// newClient returns a client of the server at endpoint, closed when the test
// ends. Each client stands for one machine of a cluster.
func newClient(tb testing.TB, endpoint string) *clientv3.Client {
	tb.Helper()
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{endpoint},
		DialTimeout: 10 * time.Second,
		Logger:      zap.NewNop(),
	})
	require.NoError(tb, err, "dial etcd")
	tb.Cleanup(func() { cli.Close() })
	return cli
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
