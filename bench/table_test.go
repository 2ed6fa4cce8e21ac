// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"fmt"
	"math"
	"os"
	"strings"
)

// A row is one line of the table: a measure, its value in each column and,
// where there is one, the ratio a goal is about and whether it is met.
type row struct {
	measure string
	cells   map[string]string // by column key
	ratio   *estimate         // the measured variant over ref
	ref     string            // what ratio divides by: "raw" or "floor"
	goal    string            // as the issue states it
	met     string
	metric  string // benchstat unit for ratio; "" leaves it out
}

var columns = []struct{ key, title string }{
	{"ours", "ours"},
	{"raw", "raw flock(2)"},
	{"gofrs", "gofrs (TryLock, or blocking Lock)"},
	{"gofrs-1ms", "gofrs 1 ms poll"},
	{"floor", "cancel floor"},
}

// atMost and atLeast judge an estimate against a goal by its point
// estimate, and say so when the interval reaches across the goal: on a
// noisy machine that verdict could go either way in another run.
func atMost(e estimate, limit float64) string {
	return judge(e.point <= limit, e.lo <= limit, e.hi <= limit)
}

func atLeast(e estimate, limit float64) string {
	return judge(e.point >= limit, e.lo >= limit, e.hi >= limit)
}

func judge(point, lo, hi bool) string {
	s := "no"
	if point {
		s = "yes"
	}
	if lo != hi {
		s += ", interval crosses"
	}
	return s
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// fmtNs prints a duration in ns with three significant digits.
func fmtNs(ns float64) string {
	switch {
	case math.IsNaN(ns):
		return "–"
	case math.Abs(ns) < 1e3:
		return fmt.Sprintf("%.3g ns", ns)
	case math.Abs(ns) < 1e6:
		return fmt.Sprintf("%.3g µs", ns/1e3)
	case math.Abs(ns) < 1e9:
		return fmt.Sprintf("%.3g ms", ns/1e6)
	}
	return fmt.Sprintf("%.3g s", ns/1e9)
}

func fmtRate(perSec float64) string {
	if math.IsNaN(perSec) {
		return "–"
	}
	return fmt.Sprintf("%.1fk ops/s", perSec/1e3)
}

func fmtNum(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.3g", v)
}

func fmtRatio(e *estimate, ref string) string {
	if e == nil || math.IsNaN(e.point) {
		return ""
	}
	s := fmt.Sprintf("%.3gx %s", e.point, ref)
	if e.lo != e.hi {
		s += fmt.Sprintf(" (%.3g–%.3g)", e.lo, e.hi)
	}
	return s
}

// writeTable writes the table of every case that ran, with the machine,
// the checkout and the load, to path.
func writeTable(path string, run runInfo) error {
	var w strings.Builder
	run.header(&w)
	fmt.Fprint(&w, "\n| case |")
	for _, c := range columns {
		fmt.Fprintf(&w, " %s |", c.title)
	}
	fmt.Fprint(&w, " ratio (95% interval) | goal | met? |\n|---|")
	fmt.Fprint(&w, strings.Repeat("---|", len(columns)+3), "\n")
	registry.Lock()
	defer registry.Unlock()
	for _, e := range registry.entries {
		for _, r := range e.summarize(e.s) {
			fmt.Fprintf(&w, "| %s |", r.measure)
			for _, c := range columns {
				fmt.Fprintf(&w, " %s |", r.cells[c.key])
			}
			fmt.Fprintf(&w, " %s | %s | %s |\n", fmtRatio(r.ratio, r.ref), r.goal, r.met)
		}
	}
	writeRounds(&w)
	return os.WriteFile(path, []byte(w.String()), 0o644)
}

// writeRounds lists each case's rounds, the load when it ended, and every
// failed check. Called with the registry locked.
func writeRounds(w *strings.Builder) {
	fmt.Fprint(w, "\nEach case's rounds; the other CPU use while it ran (the last run, under -count);\n")
	fmt.Fprint(w, "the load average (1, 5, 15 min) as it ended, which counts the benchmark's own processes:\n\n")
	for _, e := range registry.entries {
		fmt.Fprintf(w, "- %s: rounds %d; %s; load %s\n", e.name, e.s.rounds, e.cpu, e.load)
	}
	first := true
	for _, e := range registry.entries {
		for _, p := range distinct(e.s.problems) {
			if first {
				fmt.Fprint(w, "\nFailed checks:\n\n")
				first = false
			}
			fmt.Fprintf(w, "- %s: %s: %s\n", e.name, p.kind, p.text)
		}
	}
}

// distinct returns the problems without repeats, each repeated one with
// the number of times it happened.
func distinct(ps []problem) []problem {
	var out []problem
	n := map[problem]int{}
	for _, p := range ps {
		if n[p]++; n[p] == 1 {
			out = append(out, p)
		}
	}
	for i, p := range out {
		if n[p] > 1 {
			out[i].text += fmt.Sprintf(" (%d times)", n[p])
		}
	}
	return out
}
