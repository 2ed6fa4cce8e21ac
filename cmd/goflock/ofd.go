// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import (
	"errors"
	"io"
	"math/rand/v2"
	"time"

	"golang.org/x/sys/unix"
)

// --fcntl locks the whole file with a Linux open file description (OFD)
// lock, as util-linux 2.41 and later do. The library offers flock(2) only,
// so these calls are made here. OFD locks belong to the open file
// description like flock(2) locks, but they are byte-range locks: they
// conflict with fcntl(2) and lockf(3) locks of other processes, not with
// flock(2) locks.

// Bounds of the polling in a --fcntl wait with a timeout.
const (
	firstPollDelay = time.Millisecond
	maxPollDelay   = 50 * time.Millisecond
)

func lockOFD(t *lockTarget, mode lockMode, nonblocking bool, wait *timeout) error {
	if t.file == nil {
		return unix.EBADF
	}
	typ := int16(unix.F_WRLCK)
	switch mode {
	case modeShared:
		typ = unix.F_RDLCK
	case modeUnlock:
		typ = unix.F_UNLCK
	}
	switch {
	case nonblocking:
		return setOFD(t.fd, typ, false)
	case wait != nil:
		return pollOFD(t.fd, typ, wait.d)
	}
	return setOFD(t.fd, typ, true)
}

// pollOFD retries a non-blocking lock, backing off exponentially with
// jitter, until it succeeds or d has passed. It does not wait in the
// kernel: F_OFD_SETLKW can be interrupted only by a signal without
// SA_RESTART, which Go does not install, and the other way out (pointing
// the descriptor elsewhere, as the library does for flock) cannot tell,
// when the grant and the cancellation race, whether the caller's shared
// description gained a lock. For an OFD upgrade that matters: unlike
// flock(2), a failed upgrade keeps the lock that was already held.
func pollOFD(fd int, typ int16, d time.Duration) error {
	deadline := time.Now().Add(d)
	delay := firstPollDelay
	for {
		err := setOFD(fd, typ, false)
		if err != errConflict {
			return err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return errTimedOut
		}
		time.Sleep(min(delay-delay/10+rand.N(delay/5+1), left))
		delay = min(2*delay, maxPollDelay)
	}
}

// setOFD sets or clears the lock on the whole file, waiting for it if told
// to. A conflict is EAGAIN, or EACCES on some systems.
func setOFD(fd int, typ int16, wait bool) error {
	cmd := unix.F_OFD_SETLK
	if wait {
		cmd = unix.F_OFD_SETLKW
	}
	lk := unix.Flock_t{Type: typ, Whence: io.SeekStart}
	err := ignoringEINTR(func() error { return unix.FcntlFlock(uintptr(fd), cmd, &lk) })
	if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES) {
		return errConflict
	}
	return err
}
