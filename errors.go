// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

import (
	"errors"
	"fmt"
)

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

// errRecordNeedsFile is the cause when WithHolderRecord is given a file that
// the record may not be written into (see mayWriteRecord).
var errRecordNeedsFile = errors.New("WithHolderRecord needs a regular file with one link, which this user owns and may write")

// errHoldersUnsupported is the cause when Holders is called on a system
// whose kernel does not say who holds a lock.
var errHoldersUnsupported = fmt.Errorf("this system does not say who holds a lock: %w", errors.ErrUnsupported)

// errGuardSymlink and errGuardNotRegular are the causes when Guard finds
// something at its lock path that it will not lock.
var (
	errGuardSymlink    = errors.New("is a symbolic link, which Guard never follows; remove it")
	errGuardNotRegular = errors.New("is not a regular file; Guard locks only a file of its own; remove it")
)
