// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build aix || darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || solaris

package flock

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// openedLockFile applies, to the result of opening path, the policy that
// every Unix implementation shares: a refused symlink says why, and a FIFO or
// a socket is closed and refused.
func openedLockFile(path string, f *os.File, err error, o *options) (*os.File, error) {
	if err != nil && o.noFollow && errors.Is(err, unix.ELOOP) {
		err = &fs.PathError{Op: "open", Path: path, Err: errSymlink}
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode()&(fs.ModeNamedPipe|fs.ModeSocket) != 0 {
		err = &fs.PathError{Op: "open", Path: path, Err: errNotLockable}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
