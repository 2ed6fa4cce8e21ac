// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build !(aix || darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || solaris || windows)

package flock

import (
	"errors"
	"io/fs"
	"os"
)

// On systems without flock(2), New still opens the file, so that callers can
// report a clear error, and every locking method fails with an error
// wrapping errors.ErrUnsupported.

func openLockFile(path string, o *options) (*os.File, error) {
	if path == "" {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrInvalid}
	}
	flag := os.O_RDONLY
	if !o.noCreate {
		flag |= os.O_CREATE
	}
	return os.OpenFile(path, flag, o.perm)
}

// A descr is what the lock calls take, which here is nothing.
type descr struct {
	fd int
	id fileID
}

func descriptor(*os.File) (descr, error) { return descr{fd: -1}, nil }

func tryLockFd(descr, mode) error { return errors.ErrUnsupported }

func unlockFd(descr) error { return errors.ErrUnsupported }

func closeLockFile(f *os.File) error { return f.Close() }

func pathID(path string) (fileID, error) {
	if _, err := os.Stat(path); err != nil {
		return fileID{}, &fs.PathError{Op: "holders", Path: path, Err: err}
	}
	return fileID{}, nil
}

// usesRecordLocks reports whether this build locks with fcntl record locks.
const usesRecordLocks = false

func mayWriteRecord(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode().IsRegular()
}
