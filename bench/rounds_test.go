// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"fmt"
	"testing"
)

// Every case compares its variants round by round: in each round every
// variant runs one batch, in an order rotated by the round number, and
// ratios compare batches of the same rounds. Noise on this kind of machine
// (another job starting, a frequency change, a cache left cold or warm by
// the previous batch) drifts over seconds; a variant that always ran first,
// or all of whose runs came after another's, would get a different share
// of it. b.N is the number of rounds: -benchtime 20x runs twenty.

// order returns the order in which n variants run in round r: variant
// (r+i) mod n runs i-th, so that over n rounds each runs once in each place.
func order(n, r int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = (r + i) % n
	}
	return o
}

// runRounds runs the benchmark's rounds; in each it calls run once for
// each of n variants, in rotated order.
func runRounds(b *testing.B, s *samples, n int, run func(v int)) {
	for r := 0; b.Loop(); r++ {
		for _, v := range order(n, r) {
			run(v)
		}
		s.rounds++
	}
}

// samples holds what a case measured, kept per round so that every ratio
// can pair the variants' batches of the same round.
type samples struct {
	rounds int
	// perRound holds one value per round, by variant and metric (see key).
	perRound map[string][]float64
	// lat holds latencies in ns by variant, one slice per round.
	lat      map[string][][]int64
	problems []problem
}

// A problem is a check that failed: kind names the check, for the table.
type problem struct{ kind, text string }

func newSamples() *samples {
	return &samples{perRound: map[string][]float64{}, lat: map[string][][]int64{}}
}

func key(variant, metric string) string { return variant + " " + metric }

// put records this round's value of metric for variant; call it once per
// round for each variant and metric it is called for at all.
func (s *samples) put(variant, metric string, v float64) {
	k := key(variant, metric)
	s.perRound[k] = append(s.perRound[k], v)
}

func (s *samples) values(variant, metric string) []float64 {
	return s.perRound[key(variant, metric)]
}

// latencies records this round's latencies for variant.
func (s *samples) latencies(variant string, ns []int64) {
	s.lat[variant] = append(s.lat[variant], ns)
}

// fail records a failed check and fails the benchmark, which goes on.
func (s *samples) fail(b *testing.B, kind, format string, args ...any) {
	b.Helper()
	text := fmt.Sprintf(format, args...)
	s.problems = append(s.problems, problem{kind, text})
	b.Errorf("%s: %s", kind, text)
}

func (s *samples) failed(kind string) bool {
	for _, p := range s.problems {
		if p.kind == kind {
			return true
		}
	}
	return false
}

// merge appends o's rounds to s's: the runs of one case under -count.
func (s *samples) merge(o *samples) {
	s.rounds += o.rounds
	for k, v := range o.perRound {
		s.perRound[k] = append(s.perRound[k], v...)
	}
	for k, v := range o.lat {
		s.lat[k] = append(s.lat[k], v...)
	}
	s.problems = append(s.problems, o.problems...)
}
