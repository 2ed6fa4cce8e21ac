// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build windows

package flock

// On Windows a Lock is a LockFileEx byte-range lock. Like a flock lock it
// belongs to the handle (its file object), so another handle conflicts with
// it, in this process or any other, and it is released when the handle is
// closed or the process ends.
//
// Windows locks are mandatory: no other handle may read or write locked
// bytes. So the lock covers one byte at the largest offset, which no file
// reaches, as bbolt does (etcd-io/bbolt#121,
// https://github.com/etcd-io/bbolt/blob/main/bolt_windows.go): the holder
// record at the start of the file stays readable to everyone.
//
// Directories cannot be locked: the file systems that ship with Windows (NTFS,
// FAT, CDFS, UDF, and SMB shares through RDBSS) fail a lock request on
// anything but a file with STATUS_INVALID_PARAMETER. A directory is refused
// when the Lock is made, with an error wrapping errors.ErrUnsupported.
//
// A wait is a LockFileEx without LOCKFILE_FAIL_IMMEDIATELY (wait_windows.go).

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

var errDirectory = fmt.Errorf("a directory cannot be locked on Windows: %w", errors.ErrUnsupported)

// openLockFile opens path for reading (and writing, to record the holder).
// It opens it with windows.CreateFile rather than os.OpenFile, which asks for
// write access whenever it may create the file and does not share the file
// for deletion, so that WithRemoveOnClose could not remove it while open.
func openLockFile(path string, o *options) (*os.File, error) {
	if path == "" {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrInvalid}
	}
	if o.guard {
		return openGuardFile(path, o)
	}
	name, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	access := uint32(windows.GENERIC_READ)
	if o.record {
		access |= windows.GENERIC_WRITE
	}
	share := uint32(windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE)
	create := uint32(windows.OPEN_ALWAYS)
	if o.noCreate {
		create = windows.OPEN_EXISTING
	}
	attrs := uint32(windows.FILE_ATTRIBUTE_NORMAL)
	if o.perm&0o200 == 0 {
		attrs = windows.FILE_ATTRIBUTE_READONLY // as os.OpenFile does
	}
	// FILE_FLAG_BACKUP_SEMANTICS lets a directory open, to be refused below
	// with a clear error.
	attrs |= windows.FILE_FLAG_BACKUP_SEMANTICS
	if o.noFollow {
		attrs |= windows.FILE_FLAG_OPEN_REPARSE_POINT
	}
	h, err := windows.CreateFile(name, access, share, nil, create, attrs, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	info, err := checkLockable(h)
	if err == nil && o.noFollow && info.FileAttributes&windows.FILE_ATTRIBUTE_REPARSE_POINT != 0 {
		err = errSymlink
	}
	if err != nil {
		windows.CloseHandle(h)
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// checkLockable refuses what LockFileEx cannot lock: directories, and pipes,
// which are not files.
func checkLockable(h windows.Handle) (info windows.ByHandleFileInformation, err error) {
	typ, err := windows.GetFileType(h)
	if err != nil {
		return info, err
	}
	if typ != windows.FILE_TYPE_DISK {
		if typ == windows.FILE_TYPE_PIPE {
			err = errNotLockable
		}
		return info, err
	}
	if err := windows.GetFileInformationByHandle(h, &info); err != nil {
		return info, err
	}
	if info.FileAttributes&windows.FILE_ATTRIBUTE_DIRECTORY != 0 {
		err = errDirectory
	}
	return info, err
}

// A descr is what the lock calls take: a Lock's handle and the identity of
// its file.
type descr struct {
	fd int
	id fileID
}

// descriptor returns f's handle, and the file's volume and index as its
// identity. A handle fits in an int: the conversion round-trips on every
// GOARCH.
func descriptor(f *os.File) (descr, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return descr{}, err
	}
	fd := -1
	var info windows.ByHandleFileInformation
	if cerr := rc.Control(func(h uintptr) {
		fd = int(h)
		info, err = checkLockable(windows.Handle(h))
	}); cerr != nil {
		return descr{}, cerr
	}
	id := fileID{dev: uint64(info.VolumeSerialNumber), ino: uint64(info.FileIndexHigh)<<32 | uint64(info.FileIndexLow)}
	return descr{fd: fd, id: id}, err
}

func closeLockFile(f *os.File) error { return f.Close() }

// The locked byte: the last one of the largest file.
const lockOffset, lockLength = ^uint32(0), 1

func flags(m mode) uint32 {
	if m == shared {
		return 0
	}
	return windows.LOCKFILE_EXCLUSIVE_LOCK
}

// A request is one LockFileEx call. Its OVERLAPPED gives the offset, and on an
// overlapped handle it is how the request completes and is cancelled; it is
// on the heap, where the kernel may write to it until the request completes.
type request struct {
	ov windows.Overlapped
	ev windows.Handle
}

func newRequest() (*request, error) {
	ev, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return nil, err
	}
	r := &request{ev: ev}
	r.ov.Offset, r.ov.OffsetHigh = lockOffset, lockOffset
	// The low bit keeps the completion away from an I/O completion port the
	// handle may be associated with, such as the Go runtime's (see
	// internal/poll.execIO).
	r.ov.HEvent = ev | 1
	return r, nil
}

// lock makes the request and returns once it has completed.
func (r *request) lock(h windows.Handle, flags uint32) error {
	err := windows.LockFileEx(h, flags, 0, lockLength, 0, &r.ov)
	if err == windows.ERROR_IO_PENDING {
		var n uint32
		err = windows.GetOverlappedResult(h, &r.ov, &n, true)
	}
	return err
}

func (r *request) close() { windows.CloseHandle(r.ev) }

// tryLockFd takes the lock without waiting; it returns ErrLocked when someone
// else holds it.
func tryLockFd(d descr, m mode) error {
	r, err := newRequest()
	if err != nil {
		return err
	}
	defer r.close()
	err = r.lock(windows.Handle(d.fd), flags(m)|windows.LOCKFILE_FAIL_IMMEDIATELY)
	if err == windows.ERROR_LOCK_VIOLATION {
		return ErrLocked
	}
	return err
}

func unlockFd(d descr) error {
	ov := &windows.Overlapped{Offset: lockOffset, OffsetHigh: lockOffset}
	return windows.UnlockFileEx(windows.Handle(d.fd), 0, lockLength, 0, ov)
}

// pathID returns the identity of the file at path.
func pathID(path string) (fileID, error) {
	h, err := createFile(path, 0, windows.OPEN_EXISTING, windows.FILE_FLAG_BACKUP_SEMANTICS)
	if err != nil {
		return fileID{}, &fs.PathError{Op: "holders", Path: path, Err: err}
	}
	defer windows.CloseHandle(h)
	var info windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &info); err != nil {
		return fileID{}, &fs.PathError{Op: "holders", Path: path, Err: err}
	}
	return fileID{dev: uint64(info.VolumeSerialNumber), ino: uint64(info.FileIndexHigh)<<32 | uint64(info.FileIndexLow)}, nil
}

// createFile opens path, sharing it with every other opener.
func createFile(path string, access, disposition, attrs uint32) (windows.Handle, error) {
	name, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return windows.InvalidHandle, err
	}
	share := uint32(windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE)
	return windows.CreateFile(name, access, share, nil, disposition, attrs, 0)
}
