// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import (
	"errors"
	"os"
	"strconv"

	"github.com/lockwise/flock"
	"golang.org/x/sys/unix"
)

// A lockTarget is what goflock locks: a file it opened, or a descriptor it
// was given.
type lockTarget struct {
	file   *os.File    // nil for a descriptor that is not open
	fd     int         // file's descriptor, or the number given
	name   string      // how messages name it: the path or the number
	path   string      // the path, when goflock opened the file itself
	opened bool        // goflock opened path
	access int         // O_RDONLY, O_WRONLY or O_RDWR
	lock   *flock.Lock // the library's handle, once made
}

// openTarget opens the lock file, or checks the descriptor to lock. It
// returns the exit code when that fails.
func (a *app) openTarget(cfg *config) (t *lockTarget, code int, ok bool) {
	if !cfg.haveFile {
		return descriptorTarget(cfg.fd), 0, true
	}
	access := unix.O_RDONLY
	if cfg.fcntl && cfg.mode == modeExclusive {
		access = unix.O_WRONLY // an OFD write lock needs a descriptor open for writing
	}
	return a.openLockFile(cfg.path, access)
}

// descriptorTarget wraps a descriptor that the caller of goflock opened.
// One that is not open stays without a file, so that locking it fails with
// EBADF, as flock(2) would.
func descriptorTarget(fd int) *lockTarget {
	t := &lockTarget{fd: fd, name: strconv.Itoa(fd)}
	if fd < 0 {
		return t
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
		t.file = os.NewFile(uintptr(fd), t.name)
	}
	return t
}

func (a *app) openLockFile(path string, access int) (t *lockTarget, code int, ok bool) {
	fd, access, err := openLockFile(path, access)
	if err != nil {
		a.warn("cannot open lock file " + path + ": " + strerror(err))
		switch {
		case errors.Is(err, unix.EMFILE), errors.Is(err, unix.ENFILE), errors.Is(err, unix.ENOMEM):
			return nil, exOSErr, false
		case errors.Is(err, unix.EROFS), errors.Is(err, unix.ENOSPC):
			return nil, exCantCreat, false
		}
		return nil, exNoInput, false
	}
	t = &lockTarget{file: os.NewFile(uintptr(fd), path), fd: fd, name: path, path: path, opened: true, access: access}
	return t, 0, true
}

// openLockFile opens path the way flock(1) does, creating it with mode 0666
// less the umask, and returns the access mode it got. The mode is read-only
// by default on purpose: a read-only file can be locked, and so can a
// running executable, which a writable open would refuse with ETXTBSY.
// open(2) refuses O_CREAT on a directory with EISDIR; a directory is then
// opened read-only, without O_CREAT, whatever access was asked for.
//
// The descriptor is opened close-on-exec, so that only the command, if
// anyone, inherits it; it is opened with open(2) rather than os.OpenFile,
// which would put a FIFO or a terminal into non-blocking mode, a change the
// command would see through the inherited descriptor.
func openLockFile(path string, access int) (fd, used int, err error) {
	const flags = unix.O_NOCTTY | unix.O_CLOEXEC
	fd, err = openRetrying(path, access|flags|unix.O_CREAT, 0o666)
	if errors.Is(err, unix.EISDIR) {
		access = unix.O_RDONLY
		fd, err = openRetrying(path, access|flags, 0)
	}
	return fd, access, err
}

func openRetrying(path string, flags int, mode uint32) (fd int, err error) {
	err = ignoringEINTR(func() error {
		fd, err = unix.Open(path, flags, mode)
		return err
	})
	return fd, err
}

// ignoringEINTR retries fn while a signal interrupts it. The Go runtime
// installs its handlers with SA_RESTART, but some calls, such as open(2) of
// a FIFO, can still fail with EINTR; os/file_posix.go retries for the same
// reason.
func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); err != unix.EINTR {
			return err
		}
	}
}
