// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build (darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd) && !flock_fcntl

package flock

// This file is the lock of the systems with flock(2). Go's own
// cmd/go/internal/filelock trusts flock(2) on exactly these.

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// openLockFile opens path read-only (read-write to record the holder),
// creating it unless told not to. O_NONBLOCK keeps the open of a FIFO from
// waiting for a writer, so that it can be refused; it changes nothing for
// regular files and directories.
func openLockFile(path string, o *options) (*os.File, error) {
	if path == "" {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrInvalid}
	}
	if o.guard {
		return openGuardFile(path, o)
	}
	flag := os.O_RDONLY | unix.O_NONBLOCK | unix.O_NOCTTY
	if o.record {
		flag = os.O_RDWR | unix.O_NONBLOCK | unix.O_NOCTTY
	}
	if o.noFollow {
		flag |= unix.O_NOFOLLOW
	}
	if !o.noCreate {
		flag |= os.O_CREATE
	}
	f, err := os.OpenFile(path, flag, o.perm)
	if err != nil && !o.noCreate && errors.Is(err, unix.EISDIR) {
		// A directory: open(2) refuses O_CREAT on one. Lock it as it is.
		f, err = os.OpenFile(path, flag&^os.O_CREATE, 0)
	}
	return openedLockFile(path, f, err, o)
}

// A descr is what the lock calls take: a Lock's descriptor, the identity of
// its file, and whether a lock call on it that cannot wait is sure to
// return at once (see onLocalFS).
type descr struct {
	fd    int
	id    fileID
	local bool
}

// descriptor returns f's descriptor, without putting f in blocking mode as
// f.Fd would, and the file's identity.
func descriptor(f *os.File) (descr, error) {
	fd, err := fdOf(f)
	if err != nil {
		return descr{}, err
	}
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstat(fd, &st) }); err != nil {
		return descr{}, err
	}
	return descr{fd: fd, id: fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, local: onLocalFS(fd)}, nil
}

func how(m mode) int {
	if m == shared {
		return unix.LOCK_SH
	}
	return unix.LOCK_EX
}

// tryLockFd takes the lock without waiting; it returns ErrLocked when someone
// else holds it.
func tryLockFd(d descr, m mode) error {
	err := flockNoWait(d, how(m)|unix.LOCK_NB)
	if err == unix.EWOULDBLOCK {
		return ErrLocked
	}
	return explain(err)
}

// explain turns the errnos by which a file system says it cannot do flock
// locks (NFS without a lock manager, some FUSE and network file systems) into
// an error that says so, and leaves the others alone.
func explain(err error) error {
	// errors.ErrUnsupported matches ENOSYS, ENOTSUP and EOPNOTSUPP.
	if errno, ok := err.(unix.Errno); ok && (errno == unix.ENOLCK || errno.Is(errors.ErrUnsupported)) {
		return noFlockError{errno}
	}
	return err
}

// A noFlockError wraps the errno, so that errors.Is(err, unix.ENOLCK) and,
// for ENOTSUP and ENOSYS, errors.Is(err, errors.ErrUnsupported) still hold.
type noFlockError struct{ errno unix.Errno }

func (e noFlockError) Error() string {
	return "file system does not support flock locks: " + e.errno.Error()
}

func (e noFlockError) Unwrap() error { return e.errno }

func unlockFd(d descr) error { return flockNoWait(d, unix.LOCK_UN) }

func closeLockFile(f *os.File) error { return f.Close() }

// usesRecordLocks reports whether this build locks with fcntl record locks.
const usesRecordLocks = false
