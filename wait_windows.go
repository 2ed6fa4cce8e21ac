// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build windows

package flock

// How a Windows kernel wait is interrupted. The owner makes a LockFileEx
// request without LOCKFILE_FAIL_IMMEDIATELY on a thread of its own. New opens
// a synchronous handle, because os.File can read and write through an
// overlapped handle only from Go 1.25 on, and the holder record is written
// through the Lock's *os.File; on a synchronous handle the request blocks in
// LockFileEx, and CancelSynchronousIo on the thread ends it. NewFromFile may
// be given an overlapped handle; there LockFileEx returns ERROR_IO_PENDING,
// the request blocks on its event, and CancelIoEx ends it. Either way the
// cancelled request completes with ERROR_OPERATION_ABORTED, or with the lock
// if it was granted first.
//
// Wine (8.0) cancels neither, and never completes a waiting request on an
// overlapped handle, so under Wine prepare declines and the owner polls.

import (
	"sync"

	"golang.org/x/sys/windows"
)

// A CancelSynchronousIo that lands after the thread moved on would cancel
// whatever synchronous I/O it does next.
const lateNudgesAreHarmless = false

// A cancel made before the request finds nothing to cancel.
const interruptEndsCall = false

type sysWait struct {
	d      descr
	handle windows.Handle // the Lock's handle
	req    *request
	thread windows.Handle // the owner's thread, for CancelSynchronousIo
}

func (s *sysWait) prepare(d descr) bool {
	if underWine() {
		return false
	}
	req, err := newRequest()
	if err != nil {
		return false
	}
	thread, err := windows.OpenThread(windows.THREAD_TERMINATE, false, windows.GetCurrentThreadId())
	if err != nil {
		req.close()
		return false
	}
	*s = sysWait{d: d, handle: windows.Handle(d.fd), req: req, thread: thread}
	return true
}

func (s *sysWait) block(m mode) error { return s.req.lock(s.handle, flags(m)) }

func (s *sysWait) interrupt() bool { return true } // nudge does it all

var cancelSynchronousIo = windows.NewLazySystemDLL("kernel32.dll").NewProc("CancelSynchronousIo")

// nudge cancels the request, however it waits. A cancel that comes before
// the request is made finds nothing to cancel, hence the canceller's
// repeats.
func (s *sysWait) nudge() {
	windows.CancelIoEx(s.handle, &s.req.ov)
	cancelSynchronousIo.Call(uintptr(s.thread))
}

func (s *sysWait) restore() {}

func (s *sysWait) unlock() { unlockFd(s.d) }

func (s *sysWait) finish() {
	s.req.close()
	windows.CloseHandle(s.thread)
}

// underWine reports whether the process runs under Wine, whose ntdll has
// wine_get_version.
var underWine = sync.OnceValue(func() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
})
