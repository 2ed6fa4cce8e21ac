// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import (
	"context"
	"errors"

	"github.com/lockwise/flock"
	"golang.org/x/sys/unix"
)

var (
	errConflict = errors.New("lock is held elsewhere") // a -n attempt failed
	errTimedOut = errors.New("timed out")              // a -w wait ended
)

// lock takes the lock that cfg asks for on t. It returns ok, or the code to
// exit with: the conflict code after a conflict or a timeout, or the code
// for a failed system call.
func (a *app) lock(cfg *config, t *lockTarget, nonblocking bool) (code int, ok bool) {
	wait := cfg.timeout
	if nonblocking || wait != nil && wait.forever {
		wait = nil
	}
	for {
		var err error
		if cfg.fcntl {
			err = lockOFD(t, cfg.mode, nonblocking, wait)
		} else {
			err = lockFlock(t, cfg.mode, nonblocking, wait)
		}
		switch {
		case err == nil:
			return 0, true
		case err == errConflict:
			if cfg.verbose {
				a.warn("failed to get lock")
			}
			return cfg.conflictCode, false
		case err == errTimedOut:
			if cfg.verbose {
				a.warn("timeout while waiting to get lock")
			}
			return cfg.conflictCode, false
		}
		var errno unix.Errno
		if !errors.As(err, &errno) {
			a.warn(t.name + ": " + err.Error()) // not a system call's failure: a bug
			return exDataErr, false
		}
		if errno == unix.EIO || errno == unix.EBADF {
			var retry bool
			if retry, code, ok, errno = a.reopenReadWrite(cfg, t, errno); !ok {
				return code, false
			}
			if retry {
				continue
			}
		}
		a.warn(t.name + ": " + strerror(errno))
		if errno == unix.ENOLCK || errno == unix.ENOMEM {
			return exOSErr, false
		}
		return exDataErr, false
	}
}

// reopenReadWrite is flock(1)'s answer to EIO or EBADF, which NFS gives
// when it emulates flock(2) with byte-range locks and the descriptor is not
// open for writing: for an exclusive lock on a file goflock opened itself
// and may write, open it again read-write and retry. It returns the errno
// to report when it does not retry; as with flock(1), that is EISDIR when
// the second open found a directory.
func (a *app) reopenReadWrite(cfg *config, t *lockTarget, errno unix.Errno) (retry bool, code int, ok bool, _ unix.Errno) {
	if t.access == unix.O_RDWR || cfg.mode == modeShared || !t.opened {
		return false, 0, true, errno
	}
	if err := unix.Access(t.path, unix.R_OK|unix.W_OK); err != nil {
		if e, isErrno := err.(unix.Errno); isErrno {
			errno = e
		}
		return false, 0, true, errno
	}
	t.file.Close()
	nt, code, ok := a.openLockFile(t.path, unix.O_RDWR)
	if !ok {
		return false, code, false, errno
	}
	*t = *nt
	if t.access != unix.O_RDWR {
		return false, 0, true, unix.EISDIR
	}
	return true, 0, true, errno
}

// lockFlock takes a flock(2) lock through the library. wait, when set,
// bounds a blocking wait.
func lockFlock(t *lockTarget, mode lockMode, nonblocking bool, wait *timeout) error {
	if t.file == nil {
		return unix.EBADF
	}
	if mode == modeUnlock {
		// The library only releases locks it took itself; here the lock
		// belongs to an open file description that the caller shares.
		how := unix.LOCK_UN
		if nonblocking {
			how |= unix.LOCK_NB
		}
		return ignoringEINTR(func() error { return unix.Flock(t.fd, how) })
	}
	l, err := flock.NewFromFile(t.file)
	if err != nil {
		return err
	}
	t.lock = l // never closed: Close would release a lock that must outlive goflock
	try, block, blockContext := l.TryLock, l.Lock, l.LockContext
	if mode == modeShared {
		try, block, blockContext = l.TryRLock, l.RLock, l.RLockContext
	}
	if !nonblocking && wait == nil {
		return block()
	}
	// A free lock is taken even when the timeout is tiny, as flock(1)'s
	// blocking call returns at once before its timer can interrupt it.
	err = try()
	if nonblocking || !errors.Is(err, flock.ErrLocked) {
		if errors.Is(err, flock.ErrLocked) {
			return errConflict
		}
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait.d)
	defer cancel()
	err = blockContext(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return errTimedOut
	}
	return err
}
