// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	gofrs "github.com/gofrs/flock"
	"github.com/lockwise/flock"
)

// A cancelVariant is a wait for a lock that another process holds, which
// its context ends.
type cancelVariant struct {
	name string
	// wait must send on the case's waiting channel once, just before it
	// starts to wait, then wait until ctx ends and return ctx.Err().
	wait func(ctx context.Context) error
	// settle returns once the announced wait can be taken as waiting.
	settle func() error
	// holds reports whether the variant holds the lock after a cancelled
	// wait, which it must not; nil for a variant that takes no lock.
	holds func() bool
}

// BenchmarkCancel measures how long a wait for a lock that another process
// holds takes to return once its context is cancelled: from just before
// cancel to the moment the waiting goroutine resumes. The floor is a
// goroutine blocked on the same ctx.Done() and woken by the same cancel,
// timestamped the same way as it resumes: one wakeup, no lock. A second
// floor, the wakeup-pair variant, is a thread blocked in read(2) that the
// cancel wakes through a context.AfterFunc: the two wakeups any cancel of
// a kernel wait needs. It also checks that a cancelled wait never takes the
// lock later.
func BenchmarkCancel(b *testing.B) {
	path := lockPath(b)
	release := holdInOtherProcess(b, path)
	id, err := lockID(path)
	if err != nil {
		b.Fatal(err)
	}
	waiting := make(chan struct{}, 1)
	vs := cancelVariants(b, path, id, waiting)
	s := newSamples()
	n := batchSize()
	runRounds(b, s, len(vs), func(v int) {
		own, floor := make([]int64, n), make([]int64, n)
		for i := range own {
			own[i], floor[i] = cancelTrial(b, s, waiting, vs[v])
		}
		s.latencies(vs[v].name, own)
		s.latencies("floor-beside-"+vs[v].name, floor)
		checkNoKernelWait(b, s, id)
	})
	release()
	checkNothingHeld(b, s, path, id)
	record(b, s, summarizeCancel)
}

func cancelVariants(b *testing.B, path, id string, waiting chan struct{}) []cancelVariant {
	// The wait hook runs just before the goroutine waits, in the kernel,
	// where /proc/locks then shows it.
	l := openOurs(b, path, flock.WithWaitHook(func(string) { waiting <- struct{}{} }))
	g := gofrs.New(path)
	b.Cleanup(func() { g.Close() })
	return []cancelVariant{
		{"ours-LockContext", l.LockContext,
			func() error { return settleWaiter(true, id) },
			func() bool { return !errors.Is(l.Unlock(), flock.ErrNotLocked) }},
		{"gofrs-1ms", func(ctx context.Context) error {
			waiting <- struct{}{}
			_, err := g.TryLockContext(ctx, gofrsRetry)
			return err
		}, func() error { return settleWaiter(false, id) }, g.Locked},
		wakeupPairFloor(b, waiting),
	}
}

// warmUp is how long the cancelling goroutine runs before it cancels.
const warmUp = 50 * time.Microsecond

// spin returns after d without leaving the CPU.
func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// cancelTrial runs one cancelled wait of v beside a floor goroutine on the
// same context, and returns how long each took from cancel to resuming.
func cancelTrial(b *testing.B, s *samples, waiting <-chan struct{}, v cancelVariant) (own, floor int64) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	floorEnd := make(chan time.Time, 1)
	go func() {
		<-ctx.Done()
		floorEnd <- time.Now()
	}()
	type result struct {
		end time.Time
		err error
	}
	returned := make(chan result, 1)
	go func() {
		err := v.wait(ctx)
		returned <- result{time.Now(), err}
	}()
	select {
	case <-waiting:
	case r := <-returned:
		b.Fatalf("%s returned before it waited: %v", v.name, r.err)
	}
	if err := v.settle(); err != nil {
		b.Fatal(err)
	}
	// settle may have blocked this thread in a system call; be a goroutine
	// that is running when it cancels, as a real one is.
	spin(warmUp)
	start := time.Now()
	cancel()
	r, fe := <-returned, <-floorEnd
	if !errors.Is(r.err, context.Canceled) {
		b.Fatalf("%s returned %v, want context.Canceled", v.name, r.err)
	}
	if v.holds != nil && v.holds() {
		s.fail(b, "took the lock", "%s holds the lock after a cancelled wait", v.name)
	}
	return int64(r.end.Sub(start)), int64(fe.Sub(start))
}

// checkNoKernelWait fails if a wait is still queued in the kernel on the
// lock after every wait of a batch was cancelled: it would be granted the
// lock when the holder lets go.
func checkNoKernelWait(b *testing.B, s *samples, id string) {
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		b.Fatal(err)
	}
	if hasBlockedRequest(locks, id) {
		s.fail(b, "took the lock", "a cancelled wait is still queued in the kernel on %s", id)
	}
}

// checkNothingHeld runs once the holder has exited: no cancelled wait may
// then hold the lock, so /proc/locks lists nothing on it, and a new Lock
// takes it at once.
func checkNothingHeld(b *testing.B, s *samples, path, id string) {
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		b.Fatal(err)
	}
	if lines := locksOn(locks, id); len(lines) > 0 {
		s.fail(b, "took the lock", "after the holder exited, /proc/locks lists %q", lines)
	}
	l := openOurs(b, path)
	if err := l.TryLock(); err != nil {
		s.fail(b, "took the lock", "after the holder exited, TryLock: %v", err)
	}
}

func summarizeCancel(s *samples) []row {
	var rows []row
	for _, p := range []int{50, 99} {
		r := latencyRow(s, fmt.Sprintf("cancel → LockContext returns: p%d", p),
			"ours-LockContext", "floor-beside-ours-LockContext", p)
		r.ref = "floor"
		r.metric = fmt.Sprintf("ours-LockContext-vs-floor-p%d", p)
		r.cells["gofrs-1ms"] = fmtNs(pooledPercentile(s.lat["gofrs-1ms"], p))
		r.cells["floor"] = fmtNs(pooledPercentile(s.lat["floor-beside-ours-LockContext"], p))
		if p == 99 {
			r.goal = "≤ 2x floor"
			r.met = atMost(*r.ratio, 2)
		}
		rows = append(rows, r)
	}
	for _, p := range []int{50, 99} {
		r := latencyRow(s, fmt.Sprintf("… ours against the wakeup-pair floor: p%d", p),
			"ours-LockContext", "wakeup-pair-floor", p)
		r.ref = "wakeup pair"
		r.cells["floor"] = fmtNs(pooledPercentile(s.lat["wakeup-pair-floor"], p))
		rows = append(rows, r)
	}
	waits := 0
	for _, round := range s.lat["ours-LockContext"] {
		waits += len(round)
	}
	took := row{measure: "… a cancelled wait took the lock later", goal: "never",
		cells: map[string]string{"ours": fmt.Sprintf("never, in %d waits", waits)},
		met:   yesNo(!s.failed("took the lock"))}
	if s.failed("took the lock") {
		took.cells["ours"] = "**yes**, see the failed checks"
	}
	return append(rows, took)
}
