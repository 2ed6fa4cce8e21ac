// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"fmt"
	"math"
)

func summarizeMany(n int) summary {
	return func(s *samples) []row {
		m := func(metric string) float64 { return maxOf(s.values("ours", metric)) }
		med := func(metric string) float64 { return median(s.values("ours", metric)) }
		ok := len(s.values("ours", "fds-per-lock")) > 0 // some run finished
		verdict := func(kind string) string {
			if !ok {
				return "–"
			}
			return yesNo(!s.failed(kind))
		}
		rows := []row{
			{measure: fmt.Sprintf("%d Locks waiting at once, SetMaxThreads(%d): outcome", n, maxThreads),
				cells: map[string]string{"ours": outcome(s)}, goal: "no crash", met: yesNo(!s.failed("crash"))},
			{measure: "… peak OS threads, deadline / grant phase (before waiting)",
				cells: map[string]string{"ours": fmt.Sprintf("%s / %s (%s)",
					fmtNum(m("peak-threads-deadline")), fmtNum(m("peak-threads-grant")), fmtNum(m("threads-idle")))},
				goal: "a documented bound, independent of the count, well under 1000"},
			{measure: "… descriptors per Lock",
				cells: map[string]string{"ours": fmtFds(m("fds-per-lock"))}, goal: "1",
				met: yesNoIf(ok, m("fds-per-lock") == 1)},
			{measure: "… peak descriptors beyond the Locks', deadline / grant phase",
				cells: map[string]string{"ours": fmt.Sprintf("%s / %s",
					fmtNum(m("extra-fds-deadline")), fmtNum(m("extra-fds-grant")))},
				goal: fmt.Sprintf("≤ 1 per wait in the kernel (≤ %d)", n),
				met:  yesNoIf(ok, math.Max(m("extra-fds-deadline"), m("extra-fds-grant")) <= float64(n))},
			{measure: "… start → every Lock waiting (median)",
				cells: map[string]string{"ours": fmtNs(med("all-waiting-ns"))}},
			{measure: "… deadline → waits return, p50 / p99 / max (worst run)",
				cells: map[string]string{"ours": fmt.Sprintf("%s / %s / %s",
					fmtNs(m("late-p50-ns")), fmtNs(m("late-p99-ns")), fmtNs(m("late-max-ns")))},
				goal: "every wait ends at its deadline", met: verdict("deadline")},
			{measure: "… holder lets go → first / all granted in turn (median)",
				cells: map[string]string{"ours": fmt.Sprintf("%s / %s",
					fmtNs(med("first-grant-ns")), fmtNs(med("all-granted-ns")))},
				goal: "all granted in turn", met: verdict("grant")},
		}
		return rows
	}
}

func yesNoIf(ran, ok bool) string {
	if !ran {
		return "–"
	}
	return yesNo(ok)
}

// outcome says how the runs of the helper ended.
func outcome(s *samples) string {
	crashes, first := 0, ""
	for _, p := range s.problems {
		if p.kind == "crash" {
			if crashes++; crashes == 1 {
				first = p.text
			}
		}
	}
	if crashes == 0 {
		return fmt.Sprintf("no crash in %d runs", s.rounds)
	}
	return fmt.Sprintf("**crashed** in %d of %d runs: %s", crashes, s.rounds, first)
}

// fmtFds prints descriptors per Lock with enough digits to tell 1 from
// 1 plus a few descriptors over 15,000 Locks.
func fmtFds(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.6g", v)
}
