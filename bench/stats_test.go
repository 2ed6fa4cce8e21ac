// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"math"
	"math/rand/v2"
	"slices"
)

// percentile returns the nearest-rank p-th percentile of sorted, which must
// not be empty: the smallest value that at least p% of the values do not
// exceed.
func percentile(sorted []int64, p int) int64 {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return sorted[max(rank, 1)-1]
}

// median returns the median of vs, or NaN if there are none.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// pool returns the latencies of the given rounds (indices into perRound,
// repeats allowed), sorted.
func pool(perRound [][]int64, rounds []int) []int64 {
	var all []int64
	for _, r := range rounds {
		all = append(all, perRound[r]...)
	}
	slices.Sort(all)
	return all
}

// pooledPercentile is the p-th percentile of all rounds' latencies, or NaN.
func pooledPercentile(perRound [][]int64, p int) float64 {
	all := pool(perRound, allRounds(len(perRound)))
	if len(all) == 0 {
		return math.NaN()
	}
	return float64(percentile(all, p))
}

func allRounds(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// An estimate is a statistic with a rough 95% interval.
type estimate struct{ point, lo, hi float64 }

// resamples is the number of bootstrap resamples behind an interval.
const resamples = 400

// bootstrap estimates stat, a function of a multiset of round indices, over
// n rounds: the point estimate uses every round once; the interval is the
// 2.5th to 97.5th percentile of stat over rounds drawn with replacement.
// Resampling whole rounds keeps the variants' batches of a round together,
// which is the pairing the rotated rounds exist for. The seed is fixed, so
// that the same samples give the same table.
func bootstrap(n int, stat func(rounds []int) float64) estimate {
	e := estimate{point: stat(allRounds(n))}
	e.lo, e.hi = e.point, e.point
	if n < 2 {
		return e
	}
	rng := rand.New(rand.NewPCG(1, 2))
	est := make([]float64, resamples)
	idx := make([]int, n)
	for i := range est {
		for j := range idx {
			idx[j] = rng.IntN(n)
		}
		est[i] = stat(idx)
	}
	slices.Sort(est)
	e.lo, e.hi = est[resamples*25/1000], est[resamples*975/1000-1]
	return e
}

// roundRatio estimates the median over rounds of num/den, two series of
// per-round values of the same rounds.
func roundRatio(num, den []float64) estimate {
	n := min(len(num), len(den))
	return bootstrap(n, func(rounds []int) float64 {
		r := make([]float64, len(rounds))
		for i, k := range rounds {
			r[i] = num[k] / den[k]
		}
		return median(r)
	})
}

// percentileRatio estimates the ratio of the p-th percentiles of two
// variants' latencies, pooled over the same rounds.
func percentileRatio(num, den [][]int64, p int) estimate {
	n := min(len(num), len(den))
	return bootstrap(n, func(rounds []int) float64 {
		a, d := pool(num, rounds), pool(den, rounds)
		if len(a) == 0 || len(d) == 0 {
			return math.NaN()
		}
		return float64(percentile(a, p)) / float64(percentile(d, p))
	})
}
