// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package flock_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The package documentation promises that at most this many goroutines of
// a process wait in the kernel at once, each on a thread of its own.
const documentedKernelWaits = 128

// Many makes args[1] separate Locks on the file at args[0], which the
// parent holds, and has them all wait at once under debug.SetMaxThreads(1000):
// with a 3 s deadline if args[2] is "deadline", or until each is granted in
// turn (and unlocks) once the parent lets go. It prints "waiting" once every
// wait has begun, and at the end how the waits ended, the peak of its
// threads and descriptors, and its threads and descriptors before.
func (helperRoles) Many(args []string) int {
	path, mode := args[0], args[2]
	n, err := strconv.Atoi(args[1])
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	debug.SetMaxThreads(1000)
	var begun atomic.Int64
	locks := make([]*flock.Lock, n)
	for i := range locks {
		if locks[i], err = flock.New(path, flock.WithWaitHook(func(string) { begun.Add(1) })); err != nil {
			fmt.Println("error:", err)
			return 1
		}
	}
	base := sampleProcess()
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if mode == "deadline" {
		ctx, cancel = context.WithTimeout(ctx, 3*time.Second)
	}
	defer cancel()
	var peak processSample
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			peak = peak.max(sampleProcess())
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var granted, deadline, other atomic.Int64
	var wg sync.WaitGroup
	for _, l := range locks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := l.LockContext(ctx); {
			case err == nil:
				granted.Add(1)
				l.Unlock()
			case errors.Is(err, context.DeadlineExceeded):
				deadline.Add(1)
			default:
				other.Add(1)
				fmt.Fprintln(os.Stderr, err)
			}
		}()
	}
	for begun.Load() < int64(n) {
		time.Sleep(time.Millisecond)
	}
	fmt.Println("waiting")
	start := time.Now()
	wg.Wait()
	close(stop)
	<-sampled
	fmt.Printf("granted %d deadline %d other %d in %d ms; peak threads %d fds %d; before threads %d fds %d\n",
		granted.Load(), deadline.Load(), other.Load(), time.Since(start).Milliseconds(),
		peak.threads, peak.fds, base.threads, base.fds)
	return 0
}

type processSample struct{ threads, fds int }

func sampleProcess() processSample {
	var s processSample
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if n, ok := strings.CutPrefix(line, "Threads:"); ok {
			s.threads, _ = strconv.Atoi(strings.TrimSpace(n))
		}
	}
	fds, _ := os.ReadDir("/proc/self/fd")
	s.fds = len(fds)
	return s
}

func (s processSample) max(o processSample) processSample {
	return processSample{max(s.threads, o.threads), max(s.fds, o.fds)}
}

// unracedBinary returns a test binary built without the race detector,
// which allows at most 8128 goroutines alive at once: this one, if it is
// such a build, or a copy built for the purpose.
func unracedBinary(t *testing.T) string {
	t.Helper()
	if !raceEnabled {
		exe, err := os.Executable()
		require.NoError(t, err)
		return exe
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the go command is needed to build a test binary without -race: %v", err)
		}
		t.Skipf("no go command to build a test binary without -race: %v", err)
	}
	exe := filepath.Join(t.TempDir(), "flock.test")
	// The same build tags: a copy over flock(2) would not even see the
	// parent's record lock under -tags flock_fcntl.
	args := []string{"test", "-c", "-o", exe}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-tags" {
				args = append(args, "-tags", s.Value)
			}
		}
	}
	out, err := exec.Command(goTool, append(args, ".")...).CombinedOutput()
	require.NoError(t, err, "go test -c: %s", out)
	return exe
}

// More Locks wait at once than the runtime allows threads: none crashes
// the process, the threads used stay within the documented bound however
// many wait, each wait holds no descriptor but its Lock's beyond the
// moment of a cancel, and every wait ends at its deadline, or is granted
// in turn when the holder lets go.
func TestFifteenThousandWaitingLocksStayWithinTheThreadBound(t *testing.T) {
	t.Parallel()
	exe := unracedBinary(t)
	const n = 15000
	for _, mode := range []string{"deadline", "granted"} {
		t.Run(mode, func(t *testing.T) {
			path := lockPath(t)
			holder := mustNew(t, path)
			require.NoError(t, holder.Lock())
			p := launch(t, []string{exe, path, strconv.Itoa(n), mode}, withEnv(roleEnv+"=Many"))
			require.Equal(t, "waiting", p.readLine())
			if mode == "granted" {
				require.NoError(t, holder.Unlock())
			}
			line := p.readLine()
			t.Log(line)
			require.NoError(t, p.cmd.Wait(), "the helper must not crash")
			var granted, deadline, other, took, threads, fds, baseThreads, baseFds int
			_, err := fmt.Sscanf(line, "granted %d deadline %d other %d in %d ms; peak threads %d fds %d; before threads %d fds %d",
				&granted, &deadline, &other, &took, &threads, &fds, &baseThreads, &baseFds)
			require.NoError(t, err, line)
			if mode == "deadline" {
				assert.Equal(t, [3]int{0, n, 0}, [3]int{granted, deadline, other}, "granted, deadline, other")
			} else {
				assert.Equal(t, [3]int{n, 0, 0}, [3]int{granted, deadline, other}, "granted, deadline, other")
			}
			// The runtime runs goroutines on a few threads besides those
			// blocked in the kernel: one per P, sysmon, a spare or two.
			assert.LessOrEqual(t, threads-baseThreads, documentedKernelWaits+16, "threads added by %d waits", n)
			// A cancel keeps the description on a spare descriptor for a
			// moment; the dummy file of interrupted waits is one per
			// process.
			assert.LessOrEqual(t, fds-baseFds, documentedKernelWaits+1, "descriptors added by %d waits", n)
		})
	}
}
