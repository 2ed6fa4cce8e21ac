// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// runInfo is what the table's header says about the run: when, on what,
// under what load, and of which code.
type runInfo struct {
	start     time.Time
	loadStart string
	cpu       cpuSnapshot
}

func startRun() runInfo {
	r := runInfo{time.Now(), loadAverage(), takeCPUSnapshot()}
	lastCPU = r.cpu
	return r
}

func (r runInfo) header(w *strings.Builder) {
	fmt.Fprintf(w, "# Benchmark run of %s\n\n", r.start.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "- Code: %s\n", checkout())
	fmt.Fprintf(w, "- Machine: %s\n", machine())
	fmt.Fprintf(w, "- Load average (1, 5, 15 min): %s at the start, %s at the end\n", r.loadStart, loadAverage())
	fmt.Fprintf(w, "- Other CPU use during the run: %s\n", takeCPUSnapshot().since(r.cpu))
	fmt.Fprintf(w, "- Command: `%s`\n", strings.Join(os.Args, " "))
	fmt.Fprintf(w, "- Sizes: %s; took %v\n", sizes(), time.Since(r.start).Round(time.Second))
}

// A cpuSnapshot is the machine's CPU time so far, and this process's with
// its waited-for children (the helpers), in seconds. Between two snapshots
// the difference is what other processes used, and what the hypervisor
// gave to other machines (steal): the noise of a run. The load average
// cannot tell that apart from the benchmark's own processes.
type cpuSnapshot struct {
	at                time.Time
	busy, steal, ours float64
}

// lastCPU is the snapshot taken when the last case ended.
var lastCPU cpuSnapshot

func takeCPUSnapshot() cpuSnapshot {
	s := cpuSnapshot{at: time.Now()}
	data, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	tick := func(i int) float64 {
		if i >= len(f) {
			return 0
		}
		v, _ := strconv.ParseFloat(f[i], 64)
		return v / 100 // USER_HZ
	}
	s.busy = tick(1) + tick(2) + tick(3) + tick(6) + tick(7)
	s.steal = tick(8)
	for _, who := range []int{unix.RUSAGE_SELF, unix.RUSAGE_CHILDREN} {
		var ru unix.Rusage
		unix.Getrusage(who, &ru)
		s.ours += float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	}
	return s
}

// since describes the other CPU use between earlier and s, in CPUs.
func (s cpuSnapshot) since(earlier cpuSnapshot) string {
	secs := s.at.Sub(earlier.at).Seconds()
	others := max(s.busy-earlier.busy-(s.ours-earlier.ours), 0)
	return fmt.Sprintf("other processes %.2f CPUs, steal %.2f CPUs, over %.1f s",
		others/secs, (s.steal-earlier.steal)/secs, secs)
}

// loadAverage returns the three load averages of /proc/loadavg.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

func machine() string {
	var u unix.Utsname
	unix.Uname(&u)
	return fmt.Sprintf("%s %s/%s, kernel %s, %s × %d, GOMAXPROCS %d",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, unix.ByteSliceToString(u.Release[:]),
		cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0))
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// checkout names the commit of the checkout and any uncommitted changes
// outside bench/: through go.work those are what the benchmarks compiled.
func checkout() string {
	head, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown (no git)"
	}
	s := "commit " + strings.TrimSpace(string(head))
	core, _ := exec.Command("git", "log", "-1", "--format=%h %cs",
		"--", ":(top,exclude)bench", ":(top,exclude)etcd").Output()
	s += fmt.Sprintf(" (the core last changed in %s)", strings.TrimSpace(string(core)))
	status, _ := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
	var changed []string
	for _, line := range strings.Split(string(status), "\n") {
		if len(line) > 3 && !strings.HasPrefix(line[3:], "bench/") {
			changed = append(changed, line[3:])
		}
	}
	if len(changed) == 0 {
		return s + ", no uncommitted changes outside bench/"
	}
	return s + ", with uncommitted changes to " + strings.Join(changed, ", ")
}
