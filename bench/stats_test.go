// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"slices"
	"testing"
)

// reportLatencies reports the distribution of latencies (in ns) as the
// benchmark's metrics, which benchstat reads like any other unit. The ns/op
// of these benchmarks would be the time of a whole round, settle delays
// included, which means nothing, so it is suppressed.
func reportLatencies(b *testing.B, ns []int64) {
	if len(ns) == 0 {
		return
	}
	s := slices.Clone(ns)
	slices.Sort(s)
	var sum float64
	for _, v := range s {
		sum += float64(v)
	}
	b.ReportMetric(float64(percentile(s, 50)), "p50-ns")
	b.ReportMetric(float64(percentile(s, 99)), "p99-ns")
	b.ReportMetric(sum/float64(len(s)), "mean-ns")
	b.ReportMetric(0, "ns/op")
}

// percentile returns the nearest-rank p-th percentile of sorted, which must
// not be empty: the smallest value that at least p% of the values do not
// exceed.
func percentile(sorted []int64, p int) int64 {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return sorted[max(rank, 1)-1]
}

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
