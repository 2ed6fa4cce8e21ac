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
// A wait is a LockFileEx without LOCKFILE_FAIL_IMMEDIATELY, made on a thread
// of its own and cancelled from another goroutine. New opens a synchronous
// handle, because os.File can read and write through an overlapped handle
// only from Go 1.25 on, and the holder record is written through the Lock's
// *os.File; on a synchronous handle the wait blocks in LockFileEx and
// CancelSynchronousIo ends it. NewFromFile may be given an overlapped handle;
// there LockFileEx returns ERROR_IO_PENDING, the wait blocks on the request's
// event, and CancelIoEx ends it. Either way the cancelled request completes
// with ERROR_OPERATION_ABORTED, or with the lock if it was granted first.
// Wine (8.0) cancels neither, and never completes a waiting request on an
// overlapped handle: there a wait on a synchronous handle ends only when it
// is granted, and one on an overlapped handle never ends.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sync/atomic"
	"time"

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

// descriptor returns f's handle. A handle fits in an int: the conversion
// round-trips on every GOARCH.
func descriptor(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	if err := rc.Control(func(h uintptr) {
		fd = int(h)
		_, err = checkLockable(windows.Handle(h))
	}); err != nil {
		return -1, err
	}
	return fd, err
}

func closeLockFile(f *os.File, _ int) error { return f.Close() }

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
func tryLockFd(fd int, m mode) error {
	r, err := newRequest()
	if err != nil {
		return err
	}
	defer r.close()
	err = r.lock(windows.Handle(fd), flags(m)|windows.LOCKFILE_FAIL_IMMEDIATELY)
	if err == windows.ERROR_LOCK_VIOLATION {
		return ErrLocked
	}
	return err
}

func unlockFd(fd int) error {
	ov := &windows.Overlapped{Offset: lockOffset, OffsetHigh: lockOffset}
	return windows.UnlockFileEx(windows.Handle(fd), 0, lockLength, 0, ov)
}

// A kernelWait is a LockFileEx request that waits. Like the Linux one, it
// settles a race between the grant and a cancel with a compare-and-swap on
// state, and a cancel that wins after the grant leaves the acquirer to
// release the lock.
type kernelWait struct {
	fd        int // the Lock's handle: a cancel is always prompt, so Close waits and the handle outlives the wait
	req       *request
	thread    windows.Handle // the thread making the request, for CancelSynchronousIo
	state     atomic.Uint32
	reason    error         // why it was cancelled; written before cancelled is closed
	returned  chan struct{} // closed once LockFileEx has returned
	cancelled chan struct{} // closed once the canceller is done
	settled   chan struct{} // closed by the acquirer once the Lock's state is settled
}

const (
	waiting uint32 = iota
	finished
	cancelling
)

// newKernelWait prepares a wait on fd. It must be called on the goroutine
// that then calls wait: it locks that goroutine to its thread, which a cancel
// of a synchronous request must name.
func newKernelWait(fd int) (*kernelWait, error) {
	req, err := newRequest()
	if err != nil {
		return nil, err
	}
	runtime.LockOSThread()
	thread, err := windows.OpenThread(windows.THREAD_TERMINATE, false, windows.GetCurrentThreadId())
	if err != nil {
		runtime.UnlockOSThread()
		req.close()
		return nil, err
	}
	return &kernelWait{
		fd:        fd,
		req:       req,
		thread:    thread,
		returned:  make(chan struct{}),
		cancelled: make(chan struct{}),
		settled:   make(chan struct{}),
	}, nil
}

func (w *kernelWait) wait(ctx context.Context, m mode) error {
	defer runtime.UnlockOSThread()
	if ctx != nil {
		stop := context.AfterFunc(ctx, func() { w.cancel(ctx.Err()) })
		defer stop()
	}
	err := w.req.lock(windows.Handle(w.fd), flags(m))
	close(w.returned)
	if w.state.CompareAndSwap(waiting, finished) {
		return err
	}
	<-w.cancelled
	return w.reason
}

var cancelSynchronousIo = windows.NewLazySystemDLL("kernel32.dll").NewProc("CancelSynchronousIo")

// cancel ends the wait if it has not ended yet, and returns once LockFileEx
// has returned. A cancel can come before the request is made, and then finds
// nothing to cancel, so it is repeated, backing off, until the request ends.
func (w *kernelWait) cancel(reason error) bool {
	if !w.state.CompareAndSwap(waiting, cancelling) {
		return true
	}
	defer close(w.cancelled)
	w.reason = reason
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for delay := 20 * time.Microsecond; ; delay = min(2*delay, 10*time.Millisecond) {
		windows.CancelIoEx(windows.Handle(w.fd), &w.req.ov)
		cancelSynchronousIo.Call(uintptr(w.thread))
		t.Reset(delay)
		select {
		case <-w.returned:
			return true
		case <-t.C:
		}
	}
}

func (w *kernelWait) close() {
	w.req.close()
	windows.CloseHandle(w.thread)
}

// writableDir reports whether dir is a directory; Guard's candidates other
// than the temporary directory do not exist on Windows.
func writableDir(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir()
}
