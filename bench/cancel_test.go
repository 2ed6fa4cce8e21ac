// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"context"
	"errors"
	"testing"
	"time"

	gofrs "github.com/gofrs/flock"
	"github.com/lockwise/flock"
)

// BenchmarkCancel measures how long a wait for a lock that another process
// holds takes to return once its context is cancelled: from just before
// cancel to just after the wait returns. The floor is the same measurement
// for a goroutine that only waits on ctx.Done().
func BenchmarkCancel(b *testing.B) {
	path := lockPath(b)
	holdInOtherProcess(b, path)
	id, err := lockID(path)
	if err != nil {
		b.Fatal(err)
	}

	// waiting gets a value just before each wait starts.
	waiting := make(chan struct{}, 1)

	b.Run("floor-ctx.Done", func(b *testing.B) {
		benchCancel(b, waiting, func(ctx context.Context) error {
			waiting <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		}, func() error { pause(goSettle); return nil })
	})

	b.Run("ours-LockContext", func(b *testing.B) {
		// The wait hook runs just before the goroutine blocks in the
		// kernel, where /proc/locks then shows it.
		l, err := flock.New(path, flock.WithWaitHook(func(string) { waiting <- struct{}{} }))
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		benchCancel(b, waiting, l.LockContext, func() error { return settleWaiter(true, id) })
	})

	b.Run("gofrs-1ms", func(b *testing.B) {
		f := gofrs.New(path)
		defer f.Close()
		benchCancel(b, waiting, func(ctx context.Context) error {
			waiting <- struct{}{}
			_, err := f.TryLockContext(ctx, gofrsRetry)
			return err
		}, func() error { return settleWaiter(false, id) })
	})
}

// warmUp is how long benchCancel runs before it cancels.
const warmUp = 50 * time.Microsecond

// spin returns after d without leaving the CPU.
func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// benchCancel runs b.N cancelled waits. wait must send on waiting once,
// just before it starts to wait, then wait until ctx is done and return
// ctx.Err(); settle returns once that wait can be taken as waiting.
func benchCancel(b *testing.B, waiting <-chan struct{}, wait func(context.Context) error, settle func() error) {
	lat := make([]int64, b.N)
	type result struct {
		end time.Time
		err error
	}
	returned := make(chan result, 1)
	for i := range lat {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			err := wait(ctx)
			returned <- result{time.Now(), err}
		}()
		select {
		case <-waiting:
		case r := <-returned:
			b.Fatalf("wait returned before it waited: %v", r.err)
		}
		if err := settle(); err != nil {
			b.Fatal(err)
		}
		// settle may have blocked this thread in a system call; be a
		// goroutine that is running when it cancels, as a real one is.
		spin(warmUp)
		start := time.Now()
		cancel()
		r := <-returned
		if !errors.Is(r.err, context.Canceled) {
			b.Fatalf("wait returned %v, want context.Canceled", r.err)
		}
		lat[i] = int64(r.end.Sub(start))
	}
	reportLatencies(b, lat)
}
