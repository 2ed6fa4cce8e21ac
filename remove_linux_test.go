// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock_test

// Removal under load, watched with inotify.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The removal stress test runs briefly by default; run it longer with
//
//	go test -race -run '^TestRemoveOnClose' -remove.duration=10m -timeout=1h .
var removeDuration = flag.Duration("remove.duration", 3*time.Second, "how long the removal stress test runs")

// Remove locks, checks that it is alone, and closes, in a loop, until
// its stdin is closed; then it prints "done" and its count of rounds. It
// proves it is alone by creating the marker file FLOCK_MARKER exclusively
// and removing it again before it lets go; each time it finds the marker
// there, or gone when it comes to remove it, it prints "violation".
//
// By default each round uses a new Lock made WithRemoveOnClose, so Close
// removes the lock file while holding it. With FLOCK_UNSAFE set it removes
// the file itself, while holding it, from a plain Lock: what a cleanup job or
// a naive program does, and what the package documentation warns against.
func (helperRoles) Remove(args []string) int {
	path := args[0]
	marker := os.Getenv("FLOCK_MARKER")
	unsafe := os.Getenv("FLOCK_UNSAFE") != ""
	var stop atomic.Bool
	go func() { io.Copy(io.Discard, os.Stdin); stop.Store(true) }()
	fmt.Println("ready")
	n := 0
	for ; !stop.Load(); n++ {
		opts := []flock.Option{flock.WithRemoveOnClose()}
		if unsafe {
			opts = nil
		}
		l, err := flock.New(path, opts...)
		if err != nil {
			return helperFailed(err)
		}
		// Lock follows the file however often holders remove it: it
		// must never give up.
		if err := l.Lock(); err != nil {
			return helperFailed(err)
		}
		if err := checkAlone(marker); err != nil {
			fmt.Println("violation:", err)
		}
		// Without the path check, the file at the path may be gone
		// already: removed by another holder of the same file.
		if unsafe {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return helperFailed(err)
			}
		}
		if err := l.Close(); err != nil {
			return helperFailed(err)
		}
	}
	fmt.Println("done", n)
	return 0
}

func checkAlone(marker string) error {
	f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("another holder is inside: %w", err)
	}
	f.Close()
	time.Sleep(rand.N(200 * time.Microsecond)) // room for an intruder
	if err := os.Remove(marker); err != nil {
		return fmt.Errorf("another holder was inside: %w", err)
	}
	return nil
}

// removals is what runRemovers saw.
type removals struct {
	rounds, violations int
	removed, created   int // the lock file, as inotify saw it
	first              string
}

// runRemovers runs procs removeHelper processes on one lock file for d, or
// until the first violation if untilViolation is set.
func runRemovers(t *testing.T, procs int, d time.Duration, untilViolation bool, env ...string) removals {
	t.Helper()
	dir := t.TempDir()
	// The lock file has a directory of its own, so that inotify reports
	// only what happens to it.
	path := filepath.Join(dir, "locks", "test.lock")
	require.NoError(t, os.Mkdir(filepath.Dir(path), 0o755))
	watch := watchDir(t, filepath.Dir(path))
	f := newFleet(t, "Remove", path, append(env, "FLOCK_MARKER="+filepath.Join(dir, "inside"))...)
	for range procs {
		f.start()
	}
	var (
		r        removals
		booting  = procs
		end      time.Time // zero until every helper is up
		stopping bool
	)
	stop := func() { stopping, end = true, time.Time{}; f.stopAll() }
	for len(f.live) > 0 {
		e, ok := f.recv(end)
		word, arg, _ := strings.Cut(e.line, " ")
		switch {
		case !ok:
			stop()
		case e.exited:
			assert.NoError(t, e.err, "helper %d", e.m.id)
		case word == "ready":
			if booting--; booting == 0 && !stopping {
				end = time.Now().Add(d)
			}
		case word == "violation:":
			if r.violations++; r.violations == 1 {
				r.first = arg
				if untilViolation && !stopping {
					stop()
				}
			}
		case word == "done":
			n, err := strconv.Atoi(arg)
			require.NoError(t, err)
			r.rounds += n
		default:
			t.Errorf("helper %d: %s", e.m.id, e.line)
		}
	}
	events := watch()
	r.removed, r.created = events["test.lock"][unix.IN_DELETE], events["test.lock"][unix.IN_CREATE]
	return r
}

// A lock file that Close removes while holding it excludes as well as one
// that stays: a process that waited on the removed file, or opened it just
// before, finds it gone once it wins and takes the new one instead. Without
// the path check, the same removal lets two processes in. Parallel, like the
// soak test, to keep clear of the tests that count goroutines.
func TestRemoveOnCloseUnderLoadNeverAdmitsTwo(t *testing.T) {
	t.Parallel()
	const procs = 6
	t.Run("WithRemoveOnClose", func(t *testing.T) {
		r := runRemovers(t, procs, *removeDuration, false)
		t.Logf("%d processes, %v: %d rounds, the lock file removed %d times and created %d times; violations: %d",
			procs, *removeDuration, r.rounds, r.removed, r.created, r.violations)
		assert.Zero(t, r.violations, "first: %s", r.first)
		assert.Greater(t, r.rounds, 10*procs)
		// Close removes the file every round: inotify merges only
		// identical consecutive events, and a removal always follows a
		// creation, so the count is exact.
		assert.Equal(t, r.rounds, r.removed, "removals")
	})
	t.Run("unlink without path check lets two in", func(t *testing.T) {
		// Two holders need a process woken on the removed file while
		// another creates the new one: it takes a few rounds at most,
		// but how many depends on the scheduler, so it runs until the
		// first violation, within a generous bound.
		r := runRemovers(t, procs, 30*time.Second, true, "FLOCK_UNSAFE=1")
		t.Logf("%d processes: %d violations in %d rounds in all, the first: %s", procs, r.violations, r.rounds, r.first)
		assert.NotZero(t, r.violations, "no two holders in %d rounds", r.rounds)
	})
}

// watchDir watches dir with inotify and returns a function that stops
// watching and returns, for each name, how many events of each kind (create
// and delete) it saw. It is an observer independent of the processes under
// test: they cannot misreport what happened to the file.
func watchDir(t *testing.T, dir string) func() map[string]map[uint32]int {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	require.NoError(t, err)
	_, err = unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_DELETE)
	require.NoError(t, err)
	// Non-blocking, so that the runtime poller lets Close end a Read.
	file := os.NewFile(uintptr(fd), "inotify")
	t.Cleanup(func() { file.Close() })
	const sentinel = ".sentinel"
	result := make(chan map[string]map[uint32]int, 1)
	go func() {
		counts := map[string]map[uint32]int{}
		buf := make([]byte, 64<<10)
		for {
			n, err := file.Read(buf)
			if err != nil {
				counts["error: "+err.Error()] = nil
				break
			}
			if inotifyEvents(buf[:n], counts, sentinel) {
				break
			}
		}
		result <- counts
	}()
	return func() map[string]map[uint32]int {
		t.Helper()
		// Events arrive in order: once the sentinel's removal is read,
		// so is everything before it.
		s := filepath.Join(dir, sentinel)
		require.NoError(t, os.WriteFile(s, nil, 0o600))
		require.NoError(t, os.Remove(s))
		counts := <-result
		for name := range counts {
			require.False(t, strings.HasPrefix(name, "error: "), "inotify: %s", name)
		}
		_, overflow := counts[""]
		require.False(t, overflow, "inotify queue overflowed")
		return counts
	}
}

// inotifyEvents counts the events in buf and reports whether one of them is
// the removal of the sentinel.
func inotifyEvents(buf []byte, counts map[string]map[uint32]int, sentinel string) bool {
	for len(buf) >= unix.SizeofInotifyEvent {
		// struct inotify_event: wd, mask, cookie, len, then len bytes of name.
		mask := binary.NativeEndian.Uint32(buf[4:])
		size := int(binary.NativeEndian.Uint32(buf[12:]))
		name := string(bytes.TrimRight(buf[unix.SizeofInotifyEvent:unix.SizeofInotifyEvent+size], "\x00"))
		buf = buf[unix.SizeofInotifyEvent+size:]
		if mask&unix.IN_Q_OVERFLOW != 0 {
			name = ""
		}
		if name == sentinel && mask&unix.IN_DELETE != 0 {
			return true
		}
		if counts[name] == nil {
			counts[name] = map[uint32]int{}
		}
		counts[name][mask&(unix.IN_CREATE|unix.IN_DELETE)]++
	}
	return false
}
