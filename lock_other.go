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

func descriptor(*os.File) (int, fileID, error) { return -1, fileID{}, nil }

func tryLockFd(int, mode) error { return errors.ErrUnsupported }

func unlockFd(int) error { return errors.ErrUnsupported }

func closeLockFile(f *os.File) error { return f.Close() }
