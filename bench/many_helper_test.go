// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lockwise/flock"
)

// maxThreads is the helper's thread limit: Go's default is 10,000, and a
// program that waits with more Locks than that must not need a thread each.
const maxThreads = 1000

// grantTimeout bounds the grant phase, in case some wait is never granted.
const grantTimeout = 2 * time.Minute

// manyResult is what manyHelper prints, as JSON, when it is done.
type manyResult struct {
	Waiters     int
	ThreadsIdle int // before the first wait
	FdsIdle     int // before the Locks were opened
	FdsOpen     int // with every Lock open, before the first wait
	Deadline    phaseResult
	Grant       phaseResult
}

// phaseResult describes one phase, in which every Lock waits at once.
type phaseResult struct {
	AllWaitingNs int64 // from the start to the last wait hook; -1 if not all waited
	PeakThreads  int
	PeakFds      int
	// Deadline phase: when the waits returned, relative to the deadline.
	LateP50Ns, LateP99Ns, LateMaxNs int64
	Early                           int // returned before the deadline
	// Grant phase: CLOCK_MONOTONIC stamps of the first and last grant.
	FirstGrant, LastGrant int64
	Overlap               bool // two Locks held the lock at once
	// Both: waits that got the lock (in the deadline phase, wrongly),
	// and waits that ended any other way than expected.
	Granted    int
	Errors     int
	FirstError string
}

// manyHelper runs BenchmarkManyWaiters's waits in a process limited to
// maxThreads threads. $FLOCKBENCH_COUNT Locks on $FLOCKBENCH_PATH, which the
// benchmark holds, all wait at once: first until a deadline
// $FLOCKBENCH_DURATION after the start, then, once it has printed
// "waiting", until the benchmark lets go and they are granted in turn.
func manyHelper() error {
	debug.SetMaxThreads(maxThreads)
	n, err := strconv.Atoi(os.Getenv(countEnv))
	if err != nil {
		return err
	}
	d, err := time.ParseDuration(os.Getenv(durationEnv))
	if err != nil {
		return err
	}
	// The first open of a file in a Go process also opens the runtime's
	// epoll descriptors; do it now, so that they do not count as the Locks'.
	if f, err := os.Open(os.Getenv(pathEnv)); err == nil {
		f.Close()
	}
	r := manyResult{Waiters: n, FdsIdle: descriptors()}
	var hooked atomic.Int64
	locks := make([]*flock.Lock, n)
	for i := range locks {
		if locks[i], err = flock.New(os.Getenv(pathEnv), flock.WithWaitHook(func(string) { hooked.Add(1) })); err != nil {
			return fmt.Errorf("Lock %d of %d: %v", i, n, err)
		}
	}
	r.FdsOpen, r.ThreadsIdle = descriptors(), threads()
	s := startSampler()
	defer s.close()
	r.Deadline = deadlinePhase(locks, &hooked, d)
	r.Deadline.PeakThreads, r.Deadline.PeakFds = s.peaks()
	r.Grant = grantPhase(locks, &hooked)
	r.Grant.PeakThreads, r.Grant.PeakFds = s.peaks()
	for _, l := range locks {
		l.Close()
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// deadlinePhase makes every Lock wait, each with its own context, until
// one deadline d after the start. None may get the lock.
func deadlinePhase(locks []*flock.Lock, hooked *atomic.Int64, d time.Duration) phaseResult {
	hooked.Store(0)
	start := time.Now()
	deadline := start.Add(d)
	ends := make([]time.Time, len(locks))
	errs := make([]error, len(locks))
	var wg sync.WaitGroup
	for i, l := range locks {
		wg.Go(func() {
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			errs[i] = l.LockContext(ctx)
			ends[i] = time.Now()
		})
	}
	p := phaseResult{AllWaitingNs: waitAll(hooked, len(locks), start, deadline)}
	wg.Wait()
	late := make([]int64, len(locks))
	for i, err := range errs {
		late[i] = int64(ends[i].Sub(deadline))
		switch {
		case err == nil:
			p.Granted++
			locks[i].Unlock()
		case !errors.Is(err, context.DeadlineExceeded):
			p.noteError(err)
		case late[i] < 0:
			p.Early++
		}
	}
	slices.Sort(late)
	p.LateP50Ns, p.LateP99Ns, p.LateMaxNs = percentile(late, 50), percentile(late, 99), late[len(late)-1]
	return p
}

// grantPhase makes every Lock wait until it is granted, and then unlock at
// once, so that the next is granted. It prints "waiting" once all are.
func grantPhase(locks []*flock.Lock, hooked *atomic.Int64) phaseResult {
	hooked.Store(0)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), grantTimeout)
	defer cancel()
	grants := make([]int64, len(locks))
	errs := make([]error, len(locks))
	var inside atomic.Int32
	var overlap atomic.Bool
	var wg sync.WaitGroup
	for i, l := range locks {
		wg.Go(func() {
			if errs[i] = l.LockContext(ctx); errs[i] != nil {
				return
			}
			grants[i] = monotonicNow()
			if inside.Add(1) != 1 {
				overlap.Store(true)
			}
			inside.Add(-1)
			errs[i] = l.Unlock()
		})
	}
	p := phaseResult{AllWaitingNs: waitAll(hooked, len(locks), start, start.Add(grantTimeout))}
	fmt.Println("waiting")
	wg.Wait()
	p.Overlap = overlap.Load()
	for i, err := range errs {
		if err != nil {
			p.noteError(err)
			continue
		}
		p.Granted++
		if p.FirstGrant == 0 || grants[i] < p.FirstGrant {
			p.FirstGrant = grants[i]
		}
		p.LastGrant = max(p.LastGrant, grants[i])
	}
	return p
}

// waitAll returns how long after start the wait hook had been called n
// times, polling, or -1 if it had not by until.
func waitAll(hooked *atomic.Int64, n int, start, until time.Time) int64 {
	for hooked.Load() < int64(n) {
		if time.Now().After(until) {
			return -1
		}
		time.Sleep(time.Millisecond)
	}
	return int64(time.Since(start))
}

func (p *phaseResult) noteError(err error) {
	if p.Errors++; p.Errors == 1 {
		p.FirstError = err.Error()
	}
}

// readManyResult reads the helper's JSON line.
func readManyResult(out *bufio.Reader) (manyResult, error) {
	var r manyResult
	line, err := out.ReadBytes('\n')
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(line, &r)
}
