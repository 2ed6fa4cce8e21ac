// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package main

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	etcdlock "github.com/lockwise/flock/etcd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// conflictBound is how soon a -n copy must exit while the lock is held: its
// one TryLock, on a healthy cluster, plus process start on a loaded machine.
// It is far below the 5s request timeout, so an exit that took that long,
// waiting on etcd, would not pass.
const conflictBound = 3 * time.Second

// tokenOf reads a holdCommand's first line, "token N".
func tokenOf(t *testing.T, c *proc) int64 {
	t.Helper()
	rest, ok := strings.CutPrefix(c.line(), "token ")
	require.True(t, ok, "the command's first line")
	n, err := strconv.ParseInt(rest, 10, 64)
	require.NoError(t, err, "the token")
	return n
}

// TestTwoCopiesOneRuns runs two copies of goflock-etcd on one key, one with
// its endpoints from ETCDCTL_ENDPOINTS and one with --endpoints: while the
// first runs its command, the second, with -n, exits 1 at once without
// running its own.
func TestTwoCopiesOneRuns(t *testing.T) {
	eps := endpoints(t)
	const key = "/locks/two-copies"
	first := start(t, []string{"ETCDCTL_ENDPOINTS=" + eps}, key, "sh", "-c", holdCommand)
	held := tokenOf(t, first)

	code, out, _ := runCopy(t, nil, "--endpoints", eps, "-n", key, "echo", "second ran")
	assert.Equal(t, 1, code, "exit code of the -n copy while the first runs")
	assert.Empty(t, out, "output of the -n copy")
	code, _, _ = runCopy(t, nil, "--endpoints="+eps, "-nE", "7", key, "true")
	assert.Equal(t, 7, code, "exit code of -n -E 7")

	first.stdin.Close()
	assert.Equal(t, "released", first.line())
	code, _ = first.exit()
	assert.Equal(t, 0, code, "exit code of the first copy")

	next := start(t, nil, "--endpoints", eps, "-n", key, "sh", "-c", holdCommand)
	assert.Greater(t, tokenOf(t, next), held, "the next copy's token")
	next.stdin.Close()
	code, took := next.exit()
	assert.Equal(t, 0, code, "exit code of the next copy")
	t.Logf("the next -n copy took the lock and ran in %v", took)
}

func TestNonblockingConflictIsQuick(t *testing.T) {
	eps := endpoints(t)
	const key = "/locks/quick"
	first := start(t, nil, "--endpoints", eps, key, "sh", "-c", holdCommand)
	tokenOf(t, first)
	second := start(t, nil, "--endpoints", eps, "-n", key, "true")
	second.stdin.Close()
	code, took := second.exit()
	assert.Equal(t, 1, code)
	assert.LessOrEqual(t, took, conflictBound, "time for a -n copy to give up")
	first.stdin.Close()
	first.exit()
}

func TestWaitTimesOutThenWaiterRuns(t *testing.T) {
	eps := endpoints(t)
	const key = "/locks/wait"
	first := start(t, nil, "--endpoints", eps, key, "sh", "-c", holdCommand)
	tokenOf(t, first)

	code, out, stderr := runCopy(t, nil, "--endpoints", eps, "--verbose", "-w", "0.5", key, "echo", "ran")
	assert.Equal(t, 1, code, "exit code after -w 0.5 while held")
	assert.Empty(t, out)
	assert.Contains(t, stderr, "timeout while waiting to get lock")

	waiter := start(t, nil, "--endpoints", eps, "--verbose", key, "echo", "waiter ran")
	waitQueued(t, newClient(t), key, 2)
	first.stdin.Close()
	first.exit()
	assert.Contains(t, waiter.line(), "getting lock took")
	assert.Equal(t, "goflock-etcd: executing echo", waiter.line())
	assert.Equal(t, "waiter ran", waiter.line())
	code, _ = waiter.exit()
	assert.Equal(t, 0, code)
}

func TestExitCodesOfTheCommand(t *testing.T) {
	eps := endpoints(t)
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"exit status", []string{"sh", "-c", "exit 7"}, 7},
		{"killed by SIGTERM", []string{"sh", "-c", "kill -TERM $$"}, 128 + int(syscall.SIGTERM)},
		{"not found", []string{"/nonexistent/command"}, exUnavailable},
		{"-c", []string{"-c", "exit 3"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--endpoints", eps, "/locks/codes/" + tc.name}, tc.args...)
			code, _, _ := runCopy(t, nil, args...)
			assert.Equal(t, tc.want, code)
		})
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"/locks/key"},
		{"-s", "/locks/key", "true"},
		{"-E", "256", "/locks/key", "true"},
		{"-w", "-1", "/locks/key", "true"},
		{"-w", "soon", "/locks/key", "true"},
		{"--ttl", "0s", "/locks/key", "true"},
		{"--bogus", "/locks/key", "true"},
		{"-q", "/locks/key", "true"},
		{"--n", "/locks/key", "true"},
		{"/locks/key", "-c", "true", "extra"},
		{"-w"},
	} {
		code, out, stderr := runCopy(t, nil, args...)
		assert.Equal(t, exUsage, code, "goflock-etcd %q", args)
		assert.Empty(t, out, "goflock-etcd %q", args)
		assert.Contains(t, stderr, "goflock-etcd: ", "goflock-etcd %q", args)
	}
	code, out, _ := runCopy(t, nil, "--help")
	assert.Equal(t, 0, code, "--help")
	assert.Contains(t, out, "Usage:", "--help")
}

func TestEtcdDownExitsTempFail(t *testing.T) {
	// Nothing listens on port 1 of the loopback address.
	code, out, stderr := runCopy(t, nil, "--endpoints", "127.0.0.1:1", "--request-timeout", "1s", "-n", "/locks/down", "true")
	assert.Equal(t, exTempFail, code)
	assert.Empty(t, out, "the command must not run")
	assert.Contains(t, stderr, "etcd unavailable")
}

// TestLostLockStopsTheCommand revokes a running copy's lease: it stops its
// command with SIGTERM and exits 75.
func TestLostLockStopsTheCommand(t *testing.T) {
	eps := endpoints(t)
	const key = "/locks/lost"
	c := start(t, nil, "--endpoints", eps, key, "sh", "-c", `echo "token $FLOCK_FENCING_TOKEN"; exec sleep 60`)
	tokenOf(t, c)
	cli := newClient(t)
	revokeHolder(t, cli, key)
	code, took := c.exit()
	assert.Equal(t, exTempFail, code)
	assert.Contains(t, c.stderr.String(), "lost the lock on "+key)
	t.Logf("exited %v after its start, the lease revoked", took)
}

// TestSignalReachesTheCommand sends SIGTERM to a running copy: the command
// gets it, and the lock is free once the copy exits.
func TestSignalReachesTheCommand(t *testing.T) {
	eps := endpoints(t)
	const key = "/locks/signal"
	c := start(t, nil, "--endpoints", eps, key, "sh", "-c", `echo "token $FLOCK_FENCING_TOKEN"; exec sleep 60`)
	tokenOf(t, c)
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGTERM))
	code, _ := c.exit()
	assert.Equal(t, 128+int(syscall.SIGTERM), code, "exit code: the command's death by SIGTERM")
	l, err := etcdlock.New(newClient(t), key)
	require.NoError(t, err)
	defer l.Close()
	assert.NoError(t, l.TryLock(), "TryLock after the copy exited")
}

func revokeHolder(t *testing.T, cli *clientv3.Client, key string) {
	t.Helper()
	resp, err := cli.Get(ctxFor(t), key+"/", clientv3.WithFirstCreate()...)
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1, "the holder's key")
	_, err = cli.Revoke(ctxFor(t), clientv3.LeaseID(resp.Kvs[0].Lease))
	require.NoError(t, err, "revoke the holder's lease")
}

// waitQueued waits until n contenders are queued for the lock on key.
func waitQueued(t *testing.T, cli *clientv3.Client, key string, n int64) {
	t.Helper()
	for {
		resp, err := cli.Get(ctxFor(t), key+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		require.NoError(t, err)
		if resp.Count == n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
