// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

import "errors"

// ErrLocked is what [Lock.TryLock] and [Lock.TryRLock] return, wrapped in an
// [*fs.PathError] that names the lock file, when another holder has the lock:
// another process, another [Lock] on the same file, or another goroutine
// using the same [Lock]. It is the Go counterpart of EWOULDBLOCK from
// flock(LOCK_NB) and of Python's BlockingIOError. Test for it with
// errors.Is(err, flock.ErrLocked).
var ErrLocked = errors.New("lock is held elsewhere")

// ErrNotLocked is what [Lock.Unlock] returns, wrapped in an [*fs.PathError],
// when the [Lock] does not hold the lock. Nothing is released in that case.
var ErrNotLocked = errors.New("not locked")

// errNotLockable is the cause when New is given a path that names a FIFO or a
// socket: opening a FIFO for reading can block forever, and neither is a lock
// file anyone meant to use.
var errNotLockable = errors.New("not a regular file, directory or device")

// errNilContext is the cause when LockContext or RLockContext is given a nil
// context: an error a program can report, where the standard library would
// panic.
var errNilContext = errors.New("nil Context")

// errSymlink is the cause when WithoutSymlinks refuses a path.
var errSymlink = errors.New("is a symbolic link, which WithoutSymlinks refuses")

// errRecordNeedsFile is the cause when WithHolderRecord is given anything but
// a regular file: a record cannot be written into a directory or a device.
var errRecordNeedsFile = errors.New("WithHolderRecord needs a regular file")
