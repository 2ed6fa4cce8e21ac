// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
)

// A summary turns a case's samples into rows of the table.
type summary func(*samples) []row

// An entry is every run of one case benchmark in this process.
type entry struct {
	name      string
	summarize summary
	s         *samples
	load      string // load average when its last run ended
	cpu       string // other CPU use during its last run
}

var registry struct {
	sync.Mutex
	entries []*entry
}

// record files a run of a case for the table, merging it with the case's
// earlier runs (-count), and reports the run to benchstat: each variant's
// median per-round value of each metric, its pooled p50 and p99 latency,
// and the ratios of the summary.
func record(b *testing.B, s *samples, summarize summary) {
	reportSamples(b, s)
	for _, r := range summarize(s) {
		if r.metric != "" && r.ratio != nil && !math.IsNaN(r.ratio.point) {
			b.ReportMetric(r.ratio.point, r.metric)
		}
	}
	// ns/op would be the time of a whole round of every variant, which
	// means nothing; 0 suppresses it.
	b.ReportMetric(0, "ns/op")

	registry.Lock()
	defer registry.Unlock()
	now := takeCPUSnapshot()
	cpu := now.since(lastCPU)
	lastCPU = now
	for _, e := range registry.entries {
		if e.name == b.Name() {
			e.s.merge(s)
			e.load, e.cpu = loadAverage(), cpu
			return
		}
	}
	all := newSamples()
	all.merge(s)
	registry.entries = append(registry.entries, &entry{b.Name(), summarize, all, loadAverage(), cpu})
}

func reportSamples(b *testing.B, s *samples) {
	for _, k := range slices.Sorted(maps.Keys(s.perRound)) {
		if m := median(s.perRound[k]); !math.IsNaN(m) {
			b.ReportMetric(m, strings.ReplaceAll(k, " ", "-"))
		}
	}
	for _, v := range slices.Sorted(maps.Keys(s.lat)) {
		if p := pooledPercentile(s.lat[v], 50); !math.IsNaN(p) {
			b.ReportMetric(p, v+"-p50-ns")
			b.ReportMetric(pooledPercentile(s.lat[v], 99), v+"-p99-ns")
		}
	}
}
