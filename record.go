// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

// This file holds what the owner does to the file around the kernel lock:
// the check that the path still names the locked file, the holder record,
// and removal on Close.

import (
	"errors"
	"io/fs"
	"os"
)

// checkWin runs the checks that follow winning the kernel lock: that the
// path still names the locked file, then writing the holder record. On
// failure it releases the kernel lock; errReplaced means that it reopened
// the path and the caller may try again. Called by the owner.
func (l *Lock) checkWin(m mode) error {
	if l.opts.pathCheck {
		same, err := l.pathNamesFile()
		if err != nil || !same {
			unlockFd(l.d)
			if err != nil {
				return err
			}
			return l.reopen()
		}
	}
	if l.opts.record && m == exclusive {
		if err := l.writeRecord(); err != nil {
			unlockFd(l.d)
			return err
		}
	}
	return nil
}

func (l *Lock) pathNamesFile() (bool, error) {
	stat := os.Stat
	if l.opts.noFollow {
		stat = os.Lstat
	}
	atPath, err := stat(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	open, err := l.f.Stat()
	if err != nil {
		return false, err
	}
	return os.SameFile(atPath, open), nil
}

// reopen replaces the Lock's file with the one now at the path. Called by
// the owner.
func (l *Lock) reopen() error {
	f, err := openLockFile(l.path, &l.opts)
	if err != nil {
		return err
	}
	d, err := descriptor(f)
	if err != nil {
		f.Close()
		return err
	}
	old := l.f
	l.mu.Lock()
	l.f, l.d = f, d
	if l.opts.guard {
		// The new file may be someone else's.
		l.opts.record = mayWriteRecord(f)
	}
	l.mu.Unlock()
	closeLockFile(old)
	return errReplaced
}

// releaseKernel empties the holder record, or removes the file where the
// options ask for it on Close, then releases the kernel lock that the
// description holds in mode m. Called by the owner.
func (l *Lock) releaseKernel(m mode, closing bool) error {
	if closing && l.opts.removeOnClose {
		// Removing is safe only while holding the exclusive lock.
		if m == exclusive || tryLockFd(l.d, exclusive) == nil {
			if same, err := l.pathNamesFile(); err == nil && same {
				os.Remove(l.path)
			}
		}
	} else if l.opts.record && m == exclusive {
		l.f.Truncate(0)
	}
	return unlockFd(l.d)
}
