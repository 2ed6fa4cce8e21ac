// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux && !flock_fcntl

package flock

import (
	"context"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A goroutine blocked in flock(2) cannot be woken from Go: the runtime's
// signal handlers use SA_RESTART, so the kernel restarts the call after any
// signal, and closing the descriptor does not help either, because the call
// holds its own reference to the file.
//
// So a kernelWait blocks, on a thread of its own, on a private duplicate of
// the lock's descriptor. To cancel it, dup3 points that descriptor number at a
// private dummy file, then the thread gets SIGURG (the runtime's own
// preemption signal, which needs no handler of ours) until flock returns: the
// restarted call resolves the descriptor again, locks the dummy, and returns
// at once. The dup3 comes first, so a signal that lands before the thread
// enters flock does no harm. A compare-and-swap on state decides between the
// grant and the cancel; if the cancel wins after the kernel granted the real
// lock, the acquirer releases it before the cancelled call returns, so a
// cancelled wait leaves no lock behind. This relies on the runtime's SIGURG
// handler, which every Go program has except one built as a C archive or
// shared library that leaves SIGURG to the host; a program that relays
// SIGURG with signal.Notify sees one per cancelled wait, as it already sees
// them for preemption.
type kernelWait struct {
	fd        int // private duplicate of the lock descriptor
	tid       int // the thread blocked in flock on fd
	state     atomic.Uint32
	reason    error         // why it was cancelled; written before cancelled is closed
	returned  chan struct{} // closed once flock has returned
	cancelled chan struct{} // closed once the canceller is done with fd (signals may follow)
	settled   chan struct{} // closed by the acquirer once the Lock's state is settled
}

const (
	waiting uint32 = iota
	finished
	cancelling
)

// newKernelWait prepares a wait on a duplicate of fd. It must be called on
// the goroutine that then calls wait: it locks that goroutine to its thread,
// whose ID the canceller signals.
func newKernelWait(fd int) (*kernelWait, error) {
	if _, err := cancelTarget(); err != nil {
		return nil, err
	}
	nfd, err := dupFd(fd)
	if err != nil {
		return nil, err
	}
	runtime.LockOSThread()
	return &kernelWait{
		fd:        nfd,
		tid:       unix.Gettid(),
		returned:  make(chan struct{}),
		cancelled: make(chan struct{}),
		settled:   make(chan struct{}),
	}, nil
}

// wait blocks until fd's open file description holds the lock (nil), ctx
// ends (ctx.Err()), cancel is called (its reason), or flock fails.
func (w *kernelWait) wait(ctx context.Context, m mode) error {
	defer runtime.UnlockOSThread()
	if ctx != nil {
		stop := context.AfterFunc(ctx, func() { w.cancel(ctx.Err()) })
		defer stop()
	}
	err := lockFd(w.fd, m)
	close(w.returned)
	if w.state.CompareAndSwap(waiting, finished) {
		return err
	}
	<-w.cancelled
	return w.reason
}

// cancel ends the wait if it has not ended yet. It returns once flock has
// returned, and reports that the wait's end can be awaited.
func (w *kernelWait) cancel(reason error) bool {
	if !w.state.CompareAndSwap(waiting, cancelling) {
		return true
	}
	w.reason = reason
	dummy, _ := cancelTarget() // checked in newKernelWait
	ignoringEINTR(func() error { return unix.Dup3(dummy, w.fd, unix.O_CLOEXEC) })
	// Done with fd: the waiter may close it as soon as flock returns,
	// without waiting for this goroutine to be scheduled again.
	close(w.cancelled)
	pid := unix.Getpid()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	// One signal is enough unless the thread was between system calls when
	// it landed; resend, backing off, until flock has returned. A signal
	// that lands after the waiter moved on is a spurious preemption
	// request, which the runtime ignores.
	for delay := 20 * time.Microsecond; ; delay = min(2*delay, 10*time.Millisecond) {
		unix.Tgkill(pid, w.tid, unix.SIGURG)
		t.Reset(delay)
		select {
		case <-w.returned:
			return true
		case <-t.C:
		}
	}
}

func (w *kernelWait) close() { closeFd(w.fd) }

var dummy struct {
	sync.Mutex
	fd   int
	made bool
}

// cancelTarget returns the process's dummy file for cancelled waits. It must
// be private: a shared file such as /dev/null has a global flock that another
// process could hold, and the cancelled wait would block on it. A memfd is
// private; where memfd_create is refused, an unnamed temporary file is too.
// Every cancelled wait locks the same open file description, which never
// conflicts with itself. A failure (say, EMFILE) is not remembered: the next
// wait tries again.
func cancelTarget() (int, error) {
	dummy.Lock()
	defer dummy.Unlock()
	if dummy.made {
		return dummy.fd, nil
	}
	fd, err := unix.MemfdCreate("flock-cancel", unix.MFD_CLOEXEC)
	if err == unix.ENOSYS || err == unix.EPERM || err == unix.EACCES {
		fd, err = unix.Open(os.TempDir(), unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
		if err == unix.EOPNOTSUPP || err == unix.EISDIR || err == unix.EINVAL {
			fd, err = unlinkedTempFile()
		}
	}
	if err != nil {
		return -1, err
	}
	dummy.fd, dummy.made = fd, true
	return fd, nil
}

// unlinkedTempFile is the last resort for a private dummy file, where the
// kernel refuses both memfd_create and O_TMPFILE.
func unlinkedTempFile() (int, error) {
	f, err := os.CreateTemp("", "flock-cancel")
	if err != nil {
		return -1, err
	}
	defer f.Close()
	os.Remove(f.Name())
	return dupFd(int(f.Fd()))
}
