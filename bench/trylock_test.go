// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"os"
	"runtime"
	"testing"
	"time"

	gofrs "github.com/gofrs/flock"
	"github.com/lockwise/flock"
	"golang.org/x/sys/unix"
)

// A callVariant is one way to make the call a TryLock case times. setup
// opens what the variant needs (closed when the benchmark ends) and returns
// one call, which reports anything other than the expected outcome.
type callVariant struct {
	name  string
	setup func(b *testing.B, path string) func() error
}

// uncontended are the variants of BenchmarkTryLock: take the free lock
// without waiting, then release it.
var uncontended = []callVariant{
	{"raw", func(b *testing.B, path string) func() error {
		fd := openRawFd(b, path)
		return func() error {
			if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
				return err
			}
			return unix.Flock(fd, unix.LOCK_UN)
		}
	}},
	{"ours", func(b *testing.B, path string) func() error {
		l := openOurs(b, path)
		return func() error {
			if err := l.TryLock(); err != nil {
				return err
			}
			return l.Unlock()
		}
	}},
	{"gofrs", func(b *testing.B, path string) func() error {
		f := gofrs.New(path)
		b.Cleanup(func() { f.Close() })
		return func() error {
			if ok, err := f.TryLock(); !ok || err != nil {
				return errTryLock(ok, err)
			}
			return f.Unlock()
		}
	}},
}

// BenchmarkTryLock measures an uncontended TryLock followed by Unlock: what
// a program pays on every guarded operation when nobody competes.
func BenchmarkTryLock(b *testing.B) {
	record(b, timeCalls(b, lockPath(b), uncontended), summarizeTryLock)
}

// timeCalls runs the variants' calls in rotated rounds, -ops calls per
// variant per round, and records each batch's ns/op and allocs/op.
func timeCalls(b *testing.B, path string, vs []callVariant) *samples {
	calls := make([]func() error, len(vs))
	for i, v := range vs {
		calls[i] = v.setup(b, path)
	}
	n := opsSize()
	for _, call := range calls {
		callBatch(b, call, n/10+1) // warm caches and the runtime's state
	}
	s := newSamples()
	runRounds(b, s, len(vs), func(v int) {
		ns, allocs := callBatch(b, calls[v], n)
		s.put(vs[v].name, "ns/op", ns)
		s.put(vs[v].name, "allocs/op", allocs)
	})
	return s
}

// callBatch times n calls and counts their allocations. It collects
// garbage first, so that no variant's batch pays for another's garbage.
func callBatch(b *testing.B, call func() error, n int) (nsPerOp, allocsPerOp float64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for range n {
		if err := call(); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return float64(elapsed.Nanoseconds()) / float64(n), float64(after.Mallocs-before.Mallocs) / float64(n)
}

func summarizeTryLock(s *samples) []row {
	t := callRow(s, "TryLock+Unlock, uncontended: time/op", "ours", "gofrs")
	t.goal = "≤ 1.05x raw"
	if t.ratio != nil {
		t.met = atMost(*t.ratio, 1.05)
	}
	a := allocRow(s, "TryLock+Unlock, uncontended: allocs/op", "ours", "gofrs")
	a.goal = "0 allocs"
	a.met = yesNo(len(s.values("ours", "allocs/op")) > 0 && maxOf(s.values("ours", "allocs/op")) == 0)
	return []row{t, a}
}

func openRawFd(b *testing.B, path string) int {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return int(f.Fd())
}

func openOurs(b *testing.B, path string, opts ...flock.Option) *flock.Lock {
	l, err := flock.New(path, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}
