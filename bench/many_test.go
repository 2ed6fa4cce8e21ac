// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkManyWaiters makes more Locks wait at once than the runtime
// allows threads: a helper process with debug.SetMaxThreads(1000) opens
// -waiters separate Locks on a file this process holds, and all wait, first
// until a deadline, then until this process lets go, when each is granted
// in turn. It reports peak OS threads and descriptors, how late the waits
// ended after their deadline, and how long all took to be granted. A helper
// that crashes (such as "fatal error: thread exhaustion") or hangs is
// reported with its exit status and fatal message. Each round is one run.
func BenchmarkManyWaiters(b *testing.B) {
	for _, n := range waiterCounts(b) {
		b.Run(fmt.Sprintf("waiters=%d", n), func(b *testing.B) {
			s := newSamples()
			runRounds(b, s, 1, func(int) { manyRun(b, s, n) })
			record(b, s, summarizeMany(n))
		})
	}
}

// manyRun runs the helper once with n waiters and records what it saw.
func manyRun(b *testing.B, s *samples, n int) {
	path := lockPath(b)
	fd := openRawFd(b, path)
	if err := flockRetry(fd, unix.LOCK_EX); err != nil {
		b.Fatal(err)
	}
	cmd := helper(b, "many", pathEnv+"="+path, countEnv+"="+strconv.Itoa(n),
		durationEnv+"="+deadlineSize().String())
	stderr := &headBuffer{max: 64 << 10}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	// A helper that hangs is killed, and reported as such.
	timeout := deadlineSize() + grantTimeout + time.Minute
	killer := time.AfterFunc(timeout, func() { cmd.Process.Kill() })
	out := bufio.NewReader(stdout)
	var released int64
	line, err := out.ReadString('\n')
	if err == nil && line == "waiting\n" {
		released = monotonicNow()
		err = flockRetry(fd, unix.LOCK_UN)
	}
	var r manyResult
	if err == nil {
		r, err = readManyResult(out)
	}
	werr := cmd.Wait()
	hung := !killer.Stop()
	if werr != nil || err != nil {
		s.fail(b, "crash", "%s", crashReport(werr, err, hung, timeout, stderr))
		return
	}
	putMany(b, s, r, released)
}

// putMany records one run's figures and checks.
func putMany(b *testing.B, s *samples, r manyResult, released int64) {
	d, g := r.Deadline, r.Grant
	s.put("ours", "threads-idle", float64(r.ThreadsIdle))
	s.put("ours", "peak-threads-deadline", float64(d.PeakThreads))
	s.put("ours", "peak-threads-grant", float64(g.PeakThreads))
	s.put("ours", "fds-per-lock", float64(r.FdsOpen-r.FdsIdle)/float64(r.Waiters))
	s.put("ours", "extra-fds-deadline", float64(d.PeakFds-r.FdsOpen))
	s.put("ours", "extra-fds-grant", float64(g.PeakFds-r.FdsOpen))
	s.put("ours", "all-waiting-ns", float64(d.AllWaitingNs))
	s.put("ours", "late-p50-ns", float64(d.LateP50Ns))
	s.put("ours", "late-p99-ns", float64(d.LateP99Ns))
	s.put("ours", "late-max-ns", float64(d.LateMaxNs))
	s.put("ours", "first-grant-ns", float64(g.FirstGrant-released))
	s.put("ours", "all-granted-ns", float64(g.LastGrant-released))
	if d.AllWaitingNs < 0 {
		s.fail(b, "deadline", "not every Lock was waiting by the deadline")
	}
	if d.Granted > 0 || d.Early > 0 || d.Errors > 0 {
		s.fail(b, "deadline", "%d waits got the lock, %d returned early, %d failed (first: %s)",
			d.Granted, d.Early, d.Errors, d.FirstError)
	}
	if g.Granted != r.Waiters || g.Overlap || g.Errors > 0 {
		s.fail(b, "grant", "%d of %d granted, overlap %v, %d failed (first: %s)",
			g.Granted, r.Waiters, g.Overlap, g.Errors, g.FirstError)
	}
}

// crashReport describes a helper that did not finish: how it ended, and
// the lines of its output that say why.
func crashReport(werr, err error, hung bool, timeout time.Duration, stderr *headBuffer) string {
	var parts []string
	if hung {
		parts = append(parts, fmt.Sprintf("hung: killed after %v", timeout))
	}
	if werr != nil {
		parts = append(parts, werr.Error())
	} else {
		parts = append(parts, "bad output: "+err.Error())
	}
	for line := range strings.Lines(stderr.String()) {
		if isFatalLine(line) && len(parts) < 6 {
			parts = append(parts, strings.TrimSpace(line))
		}
	}
	return strings.Join(parts, "; ")
}

func isFatalLine(line string) bool {
	for _, p := range []string{"fatal error:", "runtime:", "panic:", "helper many:"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// A headBuffer keeps the first max bytes written to it: a crashing helper
// with thousands of goroutines prints megabytes of stacks after the line
// that matters.
type headBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := h.max - h.buf.Len(); room > 0 {
		h.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (h *headBuffer) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.buf.String()
}
