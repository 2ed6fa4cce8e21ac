// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Before a latency measurement starts, the waiter must really be waiting:
// otherwise the clock would time how fast it gets to the lock, not how fast
// the lock reaches it.
const (
	// kernelSettle is waited after /proc/locks lists a waiter: the kernel
	// lists a request just before the task goes to sleep, and a task that
	// is not asleep yet would be "woken" for free. 100us is far longer than
	// that window.
	kernelSettle = 100 * time.Microsecond
	// pollSettle is how long a polling waiter (gofrs) is given to fail its
	// first TryLock and start sleeping. A random extra is added so that the
	// unlock lands at a uniformly random point of the poll period, as it
	// would for a real user, not at a fixed phase: the sum of two uniform
	// delays of up to one period, whose smooth distribution makes the phase
	// uniform to within a few per cent although the real period (about
	// 1.1ms) is not known exactly; a single uniform delay would not.
	pollSettle = time.Millisecond
	// blockTimeout bounds the wait for a waiter to show up in /proc/locks.
	blockTimeout = 10 * time.Second
)

// settleWaiter returns once a waiter on the lock file with lockID id (see
// lockID) that announced it is about to wait can be taken as waiting.
// Waiters in flock(2) (inKernel) are seen in /proc/locks; polling waiters
// get a delay.
func settleWaiter(inKernel bool, id string) error {
	if !inKernel {
		pause(pollSettle + rand.N(gofrsRetry) + rand.N(gofrsRetry))
		return nil
	}
	deadline := time.Now().Add(blockTimeout)
	for {
		locks, err := os.ReadFile("/proc/locks")
		if err != nil {
			return err
		}
		if hasBlockedRequest(locks, id) {
			pause(kernelSettle)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no waiter blocked on %s in /proc/locks after %v", id, blockTimeout)
		}
		pause(20 * time.Microsecond)
	}
}

// pause sleeps for d with nanosleep(2), blocking the thread. time.Sleep
// will not do here: in a process with nothing else to run, the runtime
// waits for its timers in epoll with a timeout in whole milliseconds, so
// a sleep shorter than 1ms takes about 1.1ms on Linux. That would slow the
// rounds down and, worse, make the random part of pollSettle come in steps
// of about 1.1ms, the same as gofrs's 1ms poll period once rounded the
// same way, so that the unlock would land at a fixed phase of the poll. (In
// the library, the same rounding applies to the 20us resend timer of a
// cancelled wait that one interruption did not end.)
func pause(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	for unix.Nanosleep(&ts, &ts) == unix.EINTR {
	}
}

// hasBlockedRequest reports whether the /proc/locks text lists a blocked
// request on id. Blocked requests are the lines with "->" after the number:
//
//	5: FLOCK  ADVISORY  WRITE 11853 fe:00:9986749 0 EOF
//	5: -> FLOCK  ADVISORY  WRITE 11875 fe:00:9986749 0 EOF
func hasBlockedRequest(locks []byte, id string) bool {
	for line := range bytes.Lines(locks) {
		f := bytes.Fields(line)
		if len(f) >= 7 && string(f[1]) == "->" && string(f[6]) == id {
			return true
		}
	}
	return false
}

// locksOn returns the /proc/locks lines, held or blocked, on id.
func locksOn(locks []byte, id string) []string {
	var lines []string
	for line := range bytes.Lines(locks) {
		f := bytes.Fields(line)
		if len(f) >= 6 && (string(f[5]) == id || len(f) >= 7 && string(f[6]) == id) {
			lines = append(lines, string(bytes.TrimSpace(line)))
		}
	}
	return lines
}

// lockID returns the name /proc/locks gives the inode at path:
// major:minor:inode, with the device numbers in hex.
func lockID(path string) (string, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return "", err
	}
	return fmt.Sprintf("%02x:%02x:%d", unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino), nil
}
