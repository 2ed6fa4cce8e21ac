// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkHandoff measures how long a lock takes to pass from one process
// to another that is waiting for it: from just before the holder unlocks to
// just after the waiter returns with the lock, on CLOCK_MONOTONIC. Each
// variant has a pair of helper processes that take turns, started once and
// kept for every round, so that no round pays for a process start. In each
// round each pair makes -batch handoffs.
func BenchmarkHandoff(b *testing.B) {
	pairs := make([]*handoffPair, len(waitImpls))
	for i, im := range waitImpls {
		pairs[i] = startPair(b, im, lockPath(b))
	}
	n := batchSize()
	for _, p := range pairs {
		p.run(b, n/4+1) // warm up: the first waits start threads
	}
	s := newSamples()
	runRounds(b, s, len(pairs), func(v int) {
		s.latencies(waitImpls[v].name, pairs[v].run(b, n))
	})
	record(b, s, summarizeHandoff)
}

// A handoffPair is two handoffHelper processes on one lock. Helper a holds
// the lock before each even-numbered handoff, b before each odd one.
type handoffPair struct {
	in   [2]io.WriteCloser
	out  [2]*bufio.Reader
	done int // handoffs made so far
}

func startPair(b *testing.B, im impl, path string) *handoffPair {
	// The helpers talk over two pipes; each reads its peer on fd 3 and
	// writes to it on fd 4.
	aIn, bOut := mustPipe(b)
	bIn, aOut := mustPipe(b)
	p := &handoffPair{}
	env := []string{implEnv + "=" + im.name, pathEnv + "=" + path}
	for i, files := range [][]*os.File{{aIn, aOut}, {bIn, bOut}} {
		cmd := helper(b, "handoff", env...)
		if i == 0 {
			cmd.Env = append(cmd.Env, firstEnv+"=1")
		}
		cmd.ExtraFiles = files
		var err error
		if p.in[i], err = cmd.StdinPipe(); err != nil {
			b.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		p.out[i] = bufio.NewReader(stdout)
		b.Cleanup(func() { p.in[i].Close(); cmd.Wait() })
	}
	for _, f := range []*os.File{aIn, aOut, bIn, bOut} {
		f.Close() // the helpers have their own copies
	}
	return p
}

// run makes n handoffs and returns their latencies in ns.
func (p *handoffPair) run(b *testing.B, n int) []int64 {
	var stamps [2][]int64
	for i := range p.in {
		if _, err := fmt.Fprintln(p.in[i], n); err != nil {
			b.Fatalf("handoff helper: %v", err)
		}
	}
	for i := range p.out {
		line, err := p.out[i].ReadString('\n')
		if err != nil {
			b.Fatalf("handoff helper: %v", err)
		}
		if stamps[i], err = parseStamps(line); err != nil || len(stamps[i]) != n {
			b.Fatalf("handoff helper: %d stamps in %q (%v), want %d", len(stamps[i]), line, err, n)
		}
	}
	lat := make([]int64, n)
	for j := range lat {
		// The holder's stamp is its unlock, the other's the grant.
		holder := (p.done + j) % 2
		lat[j] = stamps[1-holder][j] - stamps[holder][j]
	}
	p.done += n
	return lat
}

func parseStamps(line string) ([]int64, error) {
	var stamps []int64
	for _, f := range strings.Fields(line) {
		s, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, err
		}
		stamps = append(stamps, s)
	}
	return stamps, nil
}

func mustPipe(b *testing.B) (r, w *os.File) {
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	return r, w
}

func summarizeHandoff(s *samples) []row {
	var rows []row
	for _, p := range []int{50, 99} {
		for _, ours := range []string{"ours-LockContext", "ours-Lock"} {
			r := latencyRow(s, fmt.Sprintf("handoff across processes, %s: p%d", ours[5:], p), ours, "raw", p)
			r.cells["raw"] = fmtNs(pooledPercentile(s.lat["raw"], p))
			r.cells["gofrs"] = fmtNs(pooledPercentile(s.lat["gofrs-Lock"], p))
			r.cells["gofrs-1ms"] = fmtNs(pooledPercentile(s.lat["gofrs-1ms"], p))
			if ours == "ours-LockContext" {
				limit := map[int]float64{50: 1.15, 99: 1.3}[p]
				r.goal = fmt.Sprintf("≤ %gx raw", limit)
				r.met = atMost(*r.ratio, limit)
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// latencyRow is a row for the p-th percentile of variant's latencies, with
// its ratio to ref's over the same rounds.
func latencyRow(s *samples, measure, variant, ref string, p int) row {
	e := percentileRatio(s.lat[variant], s.lat[ref], p)
	return row{
		measure: measure,
		cells:   map[string]string{"ours": fmtNs(pooledPercentile(s.lat[variant], p))},
		ratio:   &e,
		ref:     ref,
		metric:  fmt.Sprintf("%s-vs-%s-p%d", variant, ref, p),
	}
}
