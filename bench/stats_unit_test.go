// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"math"
	"testing"
)

func TestPercentile(t *testing.T) {
	hundred := make([]int64, 100)
	for i := range hundred {
		hundred[i] = int64(i + 1)
	}
	for _, tc := range []struct {
		s    []int64
		p    int
		want int64
	}{
		{[]int64{7}, 50, 7},
		{[]int64{7}, 99, 7},
		{[]int64{1, 2}, 50, 1},
		{[]int64{1, 2}, 99, 2},
		{[]int64{1, 2, 3}, 50, 2},
		{hundred, 50, 50},
		{hundred, 99, 99},
		{hundred, 100, 100},
	} {
		if got := percentile(tc.s, tc.p); got != tc.want {
			t.Errorf("percentile(%v, %d) = %d, want %d", tc.s, tc.p, got, tc.want)
		}
	}
}

func TestMedian(t *testing.T) {
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median of 3 1 2 = %v, want 2", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median of 4 1 3 2 = %v, want 2.5", got)
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median of nothing = %v, want NaN", got)
	}
}

// TestOrder checks the rotation: over n rounds each of n variants runs
// once in each place.
func TestOrder(t *testing.T) {
	for n := 1; n <= 5; n++ {
		seen := make([][]int, n) // seen[place][variant]
		for i := range seen {
			seen[i] = make([]int, n)
		}
		for r := range n {
			for place, v := range order(n, r) {
				seen[place][v]++
			}
		}
		for place := range seen {
			for v, c := range seen[place] {
				if c != 1 {
					t.Errorf("n=%d: variant %d ran %d times in place %d, want 1", n, v, c, place)
				}
			}
		}
	}
}

func TestRoundRatio(t *testing.T) {
	// Round 2 is a noise spike that hit both variants; pairing by round
	// keeps it out of the ratio.
	num := []float64{11, 11, 22, 11}
	den := []float64{10, 10, 20, 10}
	e := roundRatio(num, den)
	if math.Abs(e.point-1.1) > 1e-9 || math.Abs(e.lo-1.1) > 1e-9 || math.Abs(e.hi-1.1) > 1e-9 {
		t.Errorf("roundRatio = %+v, want 1.1 with no spread", e)
	}
}

func TestPercentileRatio(t *testing.T) {
	num := [][]int64{{2, 4}, {6, 8}}
	den := [][]int64{{1, 2}, {3, 4}}
	if e := percentileRatio(num, den, 50); e.point != 2 {
		t.Errorf("p50 ratio = %v, want 2", e.point)
	}
}
