// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/lockwise/flock"
	"golang.org/x/sys/unix"
)

// heldElsewhere are the variants of BenchmarkTryLockFailed: find the lock
// taken by another process, and fail. The lock file is empty, as it is for
// a Lock without WithHolderRecord. "ours-Holders" also asks who holds the
// lock, which reads /proc: what a program pays that prints the error.
var heldElsewhere = []callVariant{
	{"raw", func(b *testing.B, path string) func() error {
		fd := openRawFd(b, path)
		return func() error {
			if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != unix.EWOULDBLOCK {
				return fmt.Errorf("flock(LOCK_EX|LOCK_NB): %v, want EWOULDBLOCK", err)
			}
			return nil
		}
	}},
	{"ours", func(b *testing.B, path string) func() error {
		l := openOurs(b, path)
		return func() error {
			// errors.Is is part of the cost: it is how a caller tells
			// "taken" from a real failure.
			if err := l.TryLock(); !errors.Is(err, flock.ErrLocked) {
				return fmt.Errorf("TryLock: %v, want ErrLocked", err)
			}
			return nil
		}
	}},
	{"ours-Holders", func(b *testing.B, path string) func() error {
		l := openOurs(b, path)
		return func() error {
			var held *flock.HeldError
			if err := l.TryLock(); !errors.As(err, &held) {
				return fmt.Errorf("TryLock: %v, want a *flock.HeldError", err)
			}
			if len(held.Holders()) == 0 {
				return errors.New("Holders: none, but another process holds it")
			}
			return nil
		}
	}},
}

// BenchmarkTryLockFailed measures a TryLock that fails because another
// process holds the lock, against the raw flock(LOCK_NB) failure: issue 10
// wants it at most 2x raw when nobody asks who holds the lock.
func BenchmarkTryLockFailed(b *testing.B) {
	path := lockPath(b)
	holdInOtherProcess(b, path)
	record(b, timeCalls(b, path, heldElsewhere), summarizeTryLockFailed)
}

func summarizeTryLockFailed(s *samples) []row {
	var rows []row
	for _, v := range heldElsewhere[1:] {
		t := callRow(s, "TryLock held by another process, "+v.name+": time/op", v.name, "")
		a := allocRow(s, "TryLock held by another process, "+v.name+": allocs/op", v.name, "")
		if v.name == "ours" {
			t.goal = "≤ 2x raw"
			if t.ratio != nil {
				t.met = atMost(*t.ratio, 2)
			}
		}
		rows = append(rows, t, a)
	}
	return rows
}

// callRow is the time/op row of a TryLock case: the median over rounds of
// each variant's ns/op, and variant's ratio to raw.
func callRow(s *samples, measure, variant, gofrsVariant string) row {
	r := row{measure: measure, cells: map[string]string{
		"ours": fmtNs(median(s.values(variant, "ns/op"))),
		"raw":  fmtNs(median(s.values("raw", "ns/op"))),
	}, ref: "raw", metric: variant + "-vs-raw"}
	if gofrsVariant != "" {
		r.cells["gofrs"] = fmtNs(median(s.values(gofrsVariant, "ns/op")))
	}
	if num, den := s.values(variant, "ns/op"), s.values("raw", "ns/op"); len(num) > 0 && len(den) > 0 {
		e := roundRatio(num, den)
		r.ratio = &e
	}
	return r
}

// allocRow is the allocs/op row: the most any round saw.
func allocRow(s *samples, measure, variant, gofrsVariant string) row {
	r := row{measure: measure, cells: map[string]string{
		"ours": fmtNum(maxOf(s.values(variant, "allocs/op"))),
		"raw":  fmtNum(maxOf(s.values("raw", "allocs/op"))),
	}}
	if gofrsVariant != "" {
		r.cells["gofrs"] = fmtNum(maxOf(s.values(gofrsVariant, "allocs/op")))
	}
	return r
}

func maxOf(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	return slices.Max(vs)
}

func errTryLock(ok bool, err error) error {
	if err != nil {
		return err
	}
	return errors.New("TryLock: false, want true")
}
