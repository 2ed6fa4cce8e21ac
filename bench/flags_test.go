// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The sizes of the cases. A flag left at zero takes the full run's size, or
// the smoke run's under -short; a flag that is set wins either way. How many
// rounds each case runs is -benchtime: with -benchtime 20x, twenty.
var (
	opsFlag = flag.Int("ops", 0,
		"TryLock cases: calls per variant per round (default 20000; 200 with -short)")
	batchFlag = flag.Int("batch", 0,
		"handoff and cancel cases: timed waits per variant per round (default 200; 5 with -short)")
	sliceFlag = flag.Duration("slice", 0,
		"throughput cases: how long each variant runs per round (default 300ms; 50ms with -short)")
	procsFlag = flag.String("procs", "2,4,8,32",
		"throughput cases: the numbers of processes, comma-separated")
	spinProcsFlag = flag.String("spin-procs", "8",
		"waiter-CPU calibration: the numbers of processes, comma-separated")
	waitersFlag = flag.String("waiters", "",
		"many-waiter case: how many Locks wait at once, comma-separated counts (default 15000; 100 with -short)")
	deadlineFlag = flag.Duration("deadline", 0,
		"many-waiter case: how long after the start the waits' deadline falls (default 3s; 300ms with -short)")
	tableFlag = flag.String("table", "",
		"write the markdown table of the cases that ran to this file")
)

// size returns *v if it is set, else the full or the smoke (-short) size.
func size[T comparable](v *T, full, smoke T) T {
	var zero T
	switch {
	case *v != zero:
		return *v
	case testing.Short():
		return smoke
	default:
		return full
	}
}

func opsSize() int                { return size(opsFlag, 20000, 200) }
func batchSize() int              { return size(batchFlag, 200, 5) }
func sliceSize() time.Duration    { return size(sliceFlag, 300*time.Millisecond, 50*time.Millisecond) }
func deadlineSize() time.Duration { return size(deadlineFlag, 3*time.Second, 300*time.Millisecond) }

func waiterCounts(tb testing.TB) []int {
	return counts(tb, size(waitersFlag, "15000", "100"))
}

// counts parses a comma-separated list of positive counts.
func counts(tb testing.TB, list string) []int {
	var ns []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			tb.Fatalf("bad count %q in %q", f, list)
		}
		ns = append(ns, n)
	}
	return ns
}

// sizes describes the sizes in effect, for the table's header.
func sizes() string {
	return fmt.Sprintf("-ops %d -batch %d -slice %v -procs %s -waiters %s -deadline %v",
		opsSize(), batchSize(), sliceSize(), *procsFlag, size(waitersFlag, "15000", "100"), deadlineSize())
}
