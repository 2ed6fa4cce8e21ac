// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lockwise/flock"
	etcdlock "github.com/lockwise/flock/etcd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// The helper process is this test binary run again with helperEnv set to the
// name of the test that plays the holder; the other variables tell it where.
const (
	helperEnv   = "ETCDLOCK_TEST_HELPER"
	endpointEnv = "ETCDLOCK_TEST_ENDPOINT"
	keyEnv      = "ETCDLOCK_TEST_KEY"
	ttlEnv      = "ETCDLOCK_TEST_TTL"
	holderTest  = "TestKilledHolderReleasesWithinTTL"
)

// killTTL is the lease time to live of killed holders: etcd's minimum with
// the default election timeout, so that the tests wait as little as they can.
const killTTL = 2 * time.Second

func TestKilledHolderReleasesWithinTTL(t *testing.T) {
	if os.Getenv(helperEnv) == holderTest {
		holdUntilKilled()
		return
	}
	t.Parallel()
	ep := newServer(t)
	took := killHolder(t, ep, "/locks/killed")
	t.Logf("the lock passed %v after SIGKILL (TTL %v)", took, killTTL)
}

// killHolder starts a helper process that takes the lock on key, checks that
// the lock is held, kills the helper with SIGKILL, and returns how long after
// the kill a waiter, queued beforehand, got the lock.
func killHolder(tb testing.TB, endpoint, key string) time.Duration {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Skipf("cannot re-run the test binary: %v", err)
	}
	ctx := context.Background()
	if d, ok := tb.(interface{ Deadline() (time.Time, bool) }); ok {
		if deadline, ok := d.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, deadline)
			defer cancel()
		}
	}
	ready, readyW, err := os.Pipe()
	require.NoError(tb, err)
	defer ready.Close()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^"+holderTest+"$")
	cmd.Env = append(os.Environ(),
		helperEnv+"="+holderTest, endpointEnv+"="+endpoint,
		keyEnv+"="+key, ttlEnv+"="+killTTL.String())
	cmd.ExtraFiles = []*os.File{readyW} // descriptor 3 in the helper
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(tb, cmd.Start(), "start the holder process")
	readyW.Close()
	defer func() {
		if tb.Failed() {
			tb.Logf("holder process output:\n%s", out.String())
		}
	}()

	// The helper writes its line only once it holds the lock; EOF means it
	// died first.
	line, err := bufio.NewReader(ready).ReadString('\n')
	require.NoError(tb, err, "read the holder's readiness line")
	require.Equal(tb, "locked\n", line)
	tb.Logf("holder process %d has the lock", cmd.Process.Pid)

	admin := newClient(tb, endpoint)
	waiter := newLock(tb, newClient(tb, endpoint), key)
	assert.ErrorIs(tb, waiter.TryLock(), flock.ErrLocked, "TryLock while the holder process lives")
	got := make(chan error, 1)
	go func() { got <- waiter.Lock() }()
	waitContenders(tb, admin, key, 2)

	require.NoError(tb, cmd.Process.Kill(), "SIGKILL the holder")
	killed := time.Now()
	tb.Log("holder killed")
	_ = cmd.Wait() // killed: the error says so
	for {
		select {
		case err := <-got:
			took := time.Since(killed)
			require.NoError(tb, err, "waiter.Lock")
			require.NoError(tb, waiter.Unlock(), "waiter.Unlock")
			return took
		case <-time.After(10 * time.Second):
			tb.Logf("the lock has not passed %v after the kill", time.Since(killed))
		}
	}
}

// holdUntilKilled is the helper process: it takes the lock, says so on
// descriptor 3, and waits to be killed.
func holdUntilKilled() {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "holder:", err)
		os.Exit(2)
	}
	ttl, err := time.ParseDuration(os.Getenv(ttlEnv))
	if err != nil {
		fail(err)
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{os.Getenv(endpointEnv)},
		DialTimeout: 10 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		fail(err)
	}
	l, err := etcdlock.New(cli, os.Getenv(keyEnv), etcdlock.WithTTL(ttl))
	if err != nil {
		fail(err)
	}
	if err := l.Lock(); err != nil {
		fail(err)
	}
	if _, err := os.NewFile(3, "ready").WriteString("locked\n"); err != nil {
		fail(err)
	}
	select {}
}
