// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenFollowsTheHold(t *testing.T) {
	t.Parallel()
	ep := newServer(t)
	const key = "/locks/token"
	a := newLock(t, newClient(t, ep), key)
	b := newLock(t, newClient(t, ep), key)

	assert.Zero(t, a.Token(), "Token before any lock")
	require.NoError(t, a.TryLock(), "a.TryLock")
	first := a.Token()
	assert.Positive(t, first, "Token while held")
	assert.Equal(t, first, contenders(t, newClient(t, ep), key)[0].CreateRevision,
		"Token against the CreateRevision of the holder's key")
	assert.ErrorIs(t, b.TryLock(), flock.ErrLocked, "b.TryLock while a holds")
	assert.Zero(t, b.Token(), "Token after a failed TryLock")

	got := lockAsync(context.Background(), b)
	waitContenders(t, newClient(t, ep), key, 2)
	require.NoError(t, a.Unlock(), "a.Unlock")
	assert.Zero(t, a.Token(), "Token after Unlock")
	require.NoError(t, mustReturn(t, got, "b.Lock"))
	t.Logf("tokens: a %d, then b %d after waiting", first, b.Token())
	assert.Greater(t, b.Token(), first, "token of a grant after waiting")
}

// TestStoppedHolderIsFenced stops a holder process with SIGSTOP for longer
// than its time to live: another client gets the lock with a larger token,
// and once the holder runs again, its Done's channel closes and its write,
// fenced by its old token, is refused.
func TestStoppedHolderIsFenced(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3)
	const key, fence, data = "/locks/stopped", "/data/fence", "/data/report"
	h := startHelper(t, "hold", c.Endpoints(), keyEnv+"="+key, ttlEnv+"="+killTTL.String())
	stale, err := strconv.ParseInt(h.expect("locked"), 10, 64)
	require.NoError(t, err, "the holder's token")
	cli := newClient(t, c.Endpoints()...)
	next := newLock(t, cli, key)
	got := lockAsync(context.Background(), next)
	waitContenders(t, cli, key, 2)

	require.NoError(t, h.cmd.Process.Signal(syscall.SIGSTOP), "SIGSTOP the holder")
	stopped := time.Now()
	require.NoError(t, mustReturn(t, got, "the next holder's Lock"))
	took := time.Since(stopped)
	t.Logf("the lock passed %v after SIGSTOP (TTL %v); tokens: stopped holder %d, next %d",
		took, killTTL, stale, next.Token())
	assert.LessOrEqual(t, took, killTTL+passMargin, "time from SIGSTOP to the next grant")
	require.Greater(t, next.Token(), stale, "the next holder's token")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wrote, err := fencedPut(ctx, cli, fence, data, "next", next.Token())
	require.NoError(t, err)
	require.True(t, wrote, "the next holder's fenced write")

	// The commands wait in the pipe until the holder runs again.
	h.send("write " + fence + " " + data + " stale")
	h.send("done")
	h.send("unlock")
	require.NoError(t, h.cmd.Process.Signal(syscall.SIGCONT), "SIGCONT the holder")
	resumed := time.Now()
	h.expect("write refused")
	h.expect("lost")
	t.Logf("the holder's Done closed %v after SIGCONT", time.Since(resumed))
	assert.LessOrEqual(t, time.Since(resumed), time.Second+returnMargin, "time to learn of the loss once running")
	h.expect("unlock: lost")

	resp, err := cli.Get(ctx, data)
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1)
	assert.Equal(t, "next", string(resp.Kvs[0].Value), "the data after the stale write")
}

// TestTokensIncreaseAcrossProcesses has three processes take turns with
// the lock. Each grant records its token under a key, in a transaction that
// fails unless the token is larger than the one recorded by the grant
// before; the test then checks the tokens that the processes report.
func TestTokensIncreaseAcrossProcesses(t *testing.T) {
	t.Parallel()
	const processes, rounds = 3, 1000
	c := newCluster(t, 3)
	const key = "/locks/sequence"
	var helpers []*helper
	start := time.Now()
	for range processes {
		helpers = append(helpers, startHelper(t, "take-turns", c.Endpoints(),
			keyEnv+"="+key, roundsEnv+"="+strconv.Itoa(rounds)))
	}
	var all []int64
	for i, h := range helpers {
		line, err := h.lines.ReadString('\n')
		require.NoError(t, err, "helper %d's tokens; its standard error:\n%s", i, h.logs)
		fields := strings.Fields(line)
		require.Equal(t, "tokens", fields[0], "helper %d's answer", i)
		tokens := make([]int64, 0, rounds)
		for _, f := range fields[1:] {
			n, err := strconv.ParseInt(f, 10, 64)
			require.NoError(t, err)
			tokens = append(tokens, n)
		}
		require.Len(t, tokens, rounds, "helper %d's tokens", i)
		assert.True(t, slices.IsSorted(tokens) && !hasRepeats(tokens), "helper %d's tokens strictly increase", i)
		all = append(all, tokens...)
		require.NoError(t, h.wait(), "helper %d", i)
	}
	took := time.Since(start)
	slices.Sort(all)
	assert.False(t, hasRepeats(all), "a token granted twice")
	resp, err := newClient(t, c.Endpoints()...).Get(context.Background(), lastTokenKey(key))
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1)
	assert.Equal(t, tokenText(all[len(all)-1]), string(resp.Kvs[0].Value), "the last token recorded")
	t.Logf("%d grants to %d processes in %v: tokens %d to %d, strictly increasing in the order granted",
		len(all), processes, took, all[0], all[len(all)-1])
}

// hasRepeats reports whether sorted has two equal elements.
func hasRepeats(sorted []int64) bool {
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return true
		}
	}
	return false
}
