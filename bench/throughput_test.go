// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// throughputImpls are the variants of BenchmarkThroughput: ours-Lock is
// left out, LockContext being the wait that matters here.
var throughputImpls = []string{"raw", "ours-LockContext", "gofrs-Lock", "gofrs-1ms"}

// BenchmarkThroughput runs, for each -procs count, that many processes
// that each take the lock, increment a counter kept in a file (read, add
// one, write back) and unlock, as often as they can for -slice. Each round
// runs every variant once, with new processes. It reports the total rate,
// the slowest process's share of a fair share (1 is perfectly fair), and the
// CPU time and sleeps per increment; it fails if the counter is not the sum
// of the increments, which would mean two processes held the lock at once.
func BenchmarkThroughput(b *testing.B) {
	for _, procs := range counts(b, *procsFlag) {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) {
			s := newSamples()
			runRounds(b, s, len(throughputImpls), func(v int) {
				throughputRun(b, s, throughputImpls[v], procs)
			})
			record(b, s, summarizeThroughput(procs))
		})
	}
}

// throughputRun runs procs workers of variant im for one slice and records
// the rate, the fairness share and any lost update.
func throughputRun(b *testing.B, s *samples, im string, procs int) {
	dir := b.TempDir()
	lock, counter := filepath.Join(dir, "lock"), filepath.Join(dir, "counter")
	if err := os.WriteFile(counter, make([]byte, 8), 0o600); err != nil {
		b.Fatal(err)
	}
	d := sliceSize()
	ws := make([]*worker, procs)
	for i := range ws {
		ws[i] = startWorker(b, helper(b, "throughput", implEnv+"="+im,
			pathEnv+"="+lock, counterEnv+"="+counter, durationEnv+"="+d.String()))
	}
	// Every worker is ready; closing their stdin starts them together.
	for _, w := range ws {
		w.start.Close()
	}
	var total, least, cpuNs, switches int64 = 0, -1, 0, 0
	for _, w := range ws {
		r := w.result(b)
		n := r.n
		cpuNs += r.cpuNs
		switches += r.switches
		total += n
		if least < 0 || n < least {
			least = n
		}
	}
	data, err := os.ReadFile(counter)
	if err != nil {
		b.Fatal(err)
	}
	if got := binary.LittleEndian.Uint64(data); got != uint64(total) {
		s.fail(b, "lost update", "%s, %d processes: counter = %d, want %d, the sum of the increments",
			im, procs, got, total)
	}
	s.put(im, "ops/s", float64(total)/d.Seconds())
	s.put(im, "min-share", float64(least)*float64(procs)/float64(max(total, 1)))
	s.put(im, "cpu-ns/op", float64(cpuNs)/float64(max(total, 1)))
	s.put(im, "switches/op", float64(switches)/float64(max(total, 1)))
}

func summarizeThroughput(procs int) summary {
	return func(s *samples) []row {
		rate := row{measure: fmt.Sprintf("throughput, LockContext, %d processes", procs),
			cells: map[string]string{}, ref: "raw", metric: "ours-LockContext-vs-raw"}
		share := row{measure: fmt.Sprintf("… slowest process's share of a fair share, %d processes", procs),
			cells: map[string]string{}}
		lost := row{measure: fmt.Sprintf("… lost updates, %d processes", procs), cells: map[string]string{},
			goal: "none", met: yesNo(!s.failed("lost update"))}
		// Where the time goes: a process that waits competes for a CPU
		// with the holder, so CPU used per increment and the sleeps it
		// took (voluntary context switches, the runtime's threads'
		// included) say why one variant is slower.
		used := row{measure: fmt.Sprintf("… CPU time / voluntary context switches per increment, %d processes", procs),
			cells: map[string]string{}}
		for i, im := range throughputImpls {
			col := []string{"raw", "ours", "gofrs", "gofrs-1ms"}[i]
			rate.cells[col] = fmtRate(median(s.values(im, "ops/s")))
			share.cells[col] = fmtNum(median(s.values(im, "min-share")))
			used.cells[col] = fmtNs(median(s.values(im, "cpu-ns/op"))) + " / " + fmtNum(median(s.values(im, "switches/op")))
			lost.cells[col] = fmt.Sprintf("checked %d runs", len(s.values(im, "ops/s")))
		}
		e := roundRatio(s.values("ours-LockContext", "ops/s"), s.values("raw", "ops/s"))
		rate.ratio = &e
		limit := 0.95
		if procs == 4 {
			limit = 0.98
		}
		rate.goal = fmt.Sprintf("≥ %gx raw", limit)
		rate.met = atLeast(e, limit)
		return []row{rate, share, used, lost}
	}
}

// BenchmarkWaiterCPU calibrates BenchmarkThroughput: it runs its workload
// with raw flock(2) as it is, with a LOCK_NB try before the blocking call,
// with 1 µs and 3 µs of CPU spent between a failed try and the blocking
// call, and with the try, or the try and the LOCK_UN, made as a RawSyscall,
// at each -spin-procs count. This library spends such time there (it checks
// that the wait can be interrupted and registers the context watch), and
// makes its try that way on a local file system; the ratios show what that
// costs a lock that several processes contend for, apart from the library's
// own code.
func BenchmarkWaiterCPU(b *testing.B) {
	names := []string{"raw"}
	for _, im := range spinImpls {
		names = append(names, im.name)
	}
	for _, procs := range counts(b, *spinProcsFlag) {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) {
			s := newSamples()
			runRounds(b, s, len(names), func(v int) { throughputRun(b, s, names[v], procs) })
			record(b, s, func(s *samples) []row {
				var rows []row
				what := map[string]string{
					"raw-try":                 "a LOCK_NB try first",
					"raw-try-spin-1us":        "a LOCK_NB try first and 1 µs of CPU between a failed try and the blocking call",
					"raw-try-spin-3us":        "a LOCK_NB try first and 3 µs of CPU between a failed try and the blocking call",
					"raw-try-rawsyscall-try":  "a LOCK_NB try first, made as a RawSyscall",
					"raw-try-rawsyscall-both": "a LOCK_NB try first and LOCK_UN, both made as a RawSyscall",
				}
				for _, name := range names[1:] {
					e := roundRatio(s.values(name, "ops/s"), s.values("raw", "ops/s"))
					rows = append(rows, row{
						measure: fmt.Sprintf("calibration, throughput, %d processes: raw with %s", procs, what[name]),
						cells: map[string]string{"raw": fmtRate(median(s.values(name, "ops/s"))) + " (raw as it is: " +
							fmtRate(median(s.values("raw", "ops/s"))) + ")"},
						ratio: &e, ref: "raw", metric: name + "-vs-raw"})
				}
				return rows
			})
		})
	}
}
