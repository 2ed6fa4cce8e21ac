// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Cross-process cases re-run this test binary as a helper process; its role
// comes from roleEnv and its parameters from the other env* variables.
// TestMain runs the helper instead of the benchmarks.
const (
	roleEnv     = "FLOCKBENCH_ROLE"
	implEnv     = "FLOCKBENCH_IMPL"
	pathEnv     = "FLOCKBENCH_PATH"
	counterEnv  = "FLOCKBENCH_COUNTER"
	countEnv    = "FLOCKBENCH_COUNT"
	firstEnv    = "FLOCKBENCH_FIRST"
	durationEnv = "FLOCKBENCH_DURATION"
)

func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(runHelper(role))
	}
	run := startRun()
	code := m.Run()
	if *tableFlag != "" {
		if err := writeTable(*tableFlag, run); err != nil {
			fmt.Fprintln(os.Stderr, "table:", err)
			code = max(code, 1)
		}
	}
	os.Exit(code)
}

func runHelper(role string) int {
	var err error
	switch role {
	case "hold":
		err = holdHelper()
	case "handoff":
		err = handoffHelper()
	case "throughput":
		err = throughputHelper()
	case "many":
		err = manyHelper()
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "helper %s: %v\n", role, err)
		return 1
	}
	return 0
}

// helper returns a command that runs this binary in role with the given
// extra environment ("KEY=value").
func helper(tb testing.TB, role string, env ...string) *exec.Cmd {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), roleEnv+"="+role)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	return cmd
}

// holdHelper takes the lock at $FLOCKBENCH_PATH with a plain flock(2),
// prints "locked", and holds it until stdin reaches EOF.
func holdHelper() error {
	f, err := os.OpenFile(os.Getenv(pathEnv), os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := flockRetry(int(f.Fd()), unix.LOCK_EX); err != nil {
		return err
	}
	fmt.Println("locked")
	_, err = io.Copy(io.Discard, os.Stdin)
	return err
}

// holdInOtherProcess starts holdHelper on path and returns once it holds
// the lock. The returned function makes the helper let go and exit; it is
// also called when the benchmark ends, and may be called more than once.
func holdInOtherProcess(b *testing.B, path string) (release func()) {
	b.Helper()
	cmd := helper(b, "hold", pathEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	released := false
	release = func() {
		if !released {
			released = true
			stdin.Close()
			cmd.Wait()
		}
	}
	b.Cleanup(release)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		b.Fatalf("holder: got %q, %v; want \"locked\"", line, err)
	}
	return release
}

// lockPath creates an empty lock file in a fresh temporary directory and
// returns its path. It exists before anyone locks it, so that its inode can
// be looked up in /proc/locks.
func lockPath(b *testing.B) string {
	path := filepath.Join(b.TempDir(), "lock")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// flockRetry is unix.Flock retried on EINTR, as careful raw code does.
func flockRetry(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if err != unix.EINTR {
			return err
		}
	}
}

// monotonicNow reads CLOCK_MONOTONIC, which every process of the system
// shares; the monotonic reading of time.Now is relative to the process start
// and cannot be compared across processes.
func monotonicNow() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}
