// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build windows

package flock

// This file opens Guard's lock file safely in a directory that other users
// can write (%ProgramData%), and decides whether a file may take the holder
// record. An ACL does there what file modes do on Unix: a file that one user
// creates in %ProgramData% is readable by all users and writable by its
// creator, so every user's instance can lock it and only its creator writes
// the record.

import (
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// usesRecordLocks reports whether this build locks with fcntl record locks.
const usesRecordLocks = false

// openGuardFile never follows a link (a reparse point) at path, creates the
// file only if it is not there (CREATE_NEW), opens read-write where it may
// and read-only where it may not, and refuses anything but a regular file
// with one link, checked on the handle.
func openGuardFile(path string, o *options) (*os.File, error) {
	const attrs = windows.FILE_ATTRIBUTE_NORMAL | windows.FILE_FLAG_OPEN_REPARSE_POINT | windows.FILE_FLAG_BACKUP_SEMANTICS
	const rw = windows.GENERIC_READ | windows.GENERIC_WRITE
	for range 3 { // an existing file may be removed before it is opened
		h, err := createFile(path, rw, windows.CREATE_NEW, attrs)
		if err == nil {
			return os.NewFile(uintptr(h), path), nil
		}
		if err != windows.ERROR_FILE_EXISTS && err != windows.ERROR_ALREADY_EXISTS {
			return nil, &fs.PathError{Op: "open", Path: path, Err: cannotCreate(path, err)}
		}
		h, err = createFile(path, rw, windows.OPEN_EXISTING, attrs)
		if err == windows.ERROR_ACCESS_DENIED {
			h, err = createFile(path, windows.GENERIC_READ, windows.OPEN_EXISTING, attrs)
		}
		switch {
		case err == windows.ERROR_FILE_NOT_FOUND:
			continue
		case err == windows.ERROR_ACCESS_DENIED:
			return nil, &fs.PathError{Op: "open", Path: path, Err: newAccessDenied(path, err)}
		case err != nil:
			return nil, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		if err := checkGuardFile(h); err != nil {
			windows.CloseHandle(h)
			return nil, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return os.NewFile(uintptr(h), path), nil
	}
	return nil, &fs.PathError{Op: "open", Path: path, Err: errKeepsBeingReplaced}
}

// checkGuardFile refuses what Guard must not lock: a reparse point, a
// directory, and a file with more than one link.
func checkGuardFile(h windows.Handle) error {
	var info windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &info); err != nil {
		return err
	}
	switch {
	case info.FileAttributes&windows.FILE_ATTRIBUTE_REPARSE_POINT != 0:
		return errGuardSymlink
	case info.FileAttributes&windows.FILE_ATTRIBUTE_DIRECTORY != 0:
		return errGuardNotRegular
	case info.NumberOfLinks != 1:
		return fmt.Errorf("has %d links: Guard never locks a file that may be another file linked there; remove it", info.NumberOfLinks)
	}
	return nil
}

// mayWriteRecord reports whether the holder record may be written into f: a
// file (not a directory) with one link, on a handle with write access. The
// handle is duplicated with write access to find out: a file handle cannot
// gain access it was not opened with.
func mayWriteRecord(f *os.File) bool {
	h := windows.Handle(f.Fd())
	if checkGuardFile(h) != nil {
		return false
	}
	self := windows.CurrentProcess()
	var dup windows.Handle
	if windows.DuplicateHandle(self, h, self, &dup, windows.GENERIC_WRITE, false, 0) != nil {
		return false
	}
	windows.CloseHandle(dup)
	return true
}

func newAccessDenied(path string, err error) *accessDenied {
	d := &accessDenied{owner: "another user", err: err}
	if fi, serr := os.Lstat(path); serr == nil {
		d.mode = fi.Mode()
	}
	return d
}
