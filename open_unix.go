// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build aix || darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || solaris

package flock

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// openedLockFile applies, to the result of opening path, the policy that
// every Unix implementation shares: a refused symlink says why, and a FIFO or
// a socket is closed and refused.
func openedLockFile(path string, f *os.File, err error, o *options) (*os.File, error) {
	if err != nil && o.noFollow && refusedLink(err) {
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

// refusedLink reports whether err is how open(2) with O_NOFOLLOW refused a
// symbolic link: ELOOP, but EMLINK on FreeBSD and DragonFly and EFTYPE on
// NetBSD, as Go's os package also knows.
func refusedLink(err error) bool {
	switch runtime.GOOS {
	case "freebsd", "dragonfly":
		return errors.Is(err, unix.EMLINK) || errors.Is(err, unix.ELOOP)
	case "netbsd":
		const eftype = syscall.Errno(79)
		return errors.Is(err, eftype) || errors.Is(err, unix.ELOOP)
	}
	return errors.Is(err, unix.ELOOP)
}

// pathID returns the identity of the file at path, following a link.
func pathID(path string) (fileID, error) {
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Stat(path, &st) }); err != nil {
		return fileID{}, &fs.PathError{Op: "holders", Path: path, Err: err}
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, nil
}

// ignoringEINTR retries fn while it fails with EINTR. The Go runtime installs
// its signal handlers with SA_RESTART, but some kernels still return EINTR
// from these calls; os/file_posix.go retries for the same reason.
func ignoringEINTR(fn func() error) error {
	for {
		err := fn()
		if err != unix.EINTR {
			return err
		}
	}
}

// fdOf returns f's descriptor without putting f in blocking mode, as f.Fd
// would. The descriptor stays valid while f is open and registered.
func fdOf(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	if err := rc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		return -1, err
	}
	return fd, nil
}
