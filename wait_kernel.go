// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build (linux && !flock_fcntl && !flock_poll) || windows

package flock

// This file is the kernel wait of the systems where another goroutine can
// interrupt a blocked lock call (Linux, Windows): the owner blocks in the
// call on a thread of its own, and a cancel interrupts it. The platform part,
// sysWait, says how (wait_linux.go, wait_windows.go).

import (
	"context"
	"io/fs"
	"runtime"
	"sync/atomic"
	"time"
)

const interruptibleKernelWaits = true

// A kernelWait is one blocking lock call. The waiter and a canceller race
// for state: whoever moves it from waiting first decides whether the call's
// own result stands (finished) or the cancel's reason does (cancelling).
type kernelWait struct {
	sys   sysWait
	state atomic.Uint32
	// The first canceller's, stored before it moves state: a wait that
	// is granted makes none.
	cancel atomic.Pointer[cancellation]
}

// A cancellation is how a canceller and the waiter it interrupts hand over.
type cancellation struct {
	reason      error         // why the wait was cancelled
	returned    chan struct{} // closed by the waiter once the blocking call has returned
	interrupted chan struct{} // closed by the canceller once it is done with the descriptor
	quiet       chan struct{} // closed by the canceller once it has stopped interrupting
}

const (
	waiting uint32 = iota
	finished
	cancelling
)

// waitInKernel waits in the kernel, as the owner, until the description
// holds the lock in mode m, ctx ends, or the Lock is closed. It reports
// false, having done nothing, if this thread's wait could not be
// interrupted now.
func (l *Lock) waitInKernel(ctx context.Context, m mode) (waited bool, err error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	w := new(kernelWait)
	if !w.sys.prepare(l.d) {
		return false, nil
	}
	defer w.sys.finish()
	l.mu.Lock()
	if l.adm.closed {
		l.mu.Unlock()
		return true, fs.ErrClosed
	}
	l.waiter = w         // for Close to interrupt
	unwatch := l.unwatch // the previous wait's: see below
	l.unwatch = nil
	l.mu.Unlock()
	if unwatch != nil {
		unwatch()
		unwatch = nil
	}
	if ctx.Done() != nil {
		unwatch = context.AfterFunc(ctx, func() { w.end(ctx.Err()) })
	}
	err = w.wait(m)
	if err != nil && unwatch != nil {
		unwatch()
		unwatch = nil
	}
	l.mu.Lock()
	l.waiter = nil
	// Unregistering the watch of a wait that won took about 1 µs of a
	// 7 µs handoff between processes when made here, before the return;
	// made by the next Unlock after its unlock call, it delayed the next
	// waiter as much whenever the two shared a CPU. So the Lock's next
	// kernel wait, which is about to sleep anyway, or Close does it: a
	// Lock keeps at most one watch. Should ctx end meanwhile, the watch
	// ends a wait that has finished, which does nothing.
	l.unwatch = unwatch
	l.mu.Unlock()
	return true, err
}

// wait makes the blocking call and returns its result, or the reason it was
// cancelled.
func (w *kernelWait) wait(m mode) error {
	err := w.sys.block(m)
	if w.state.CompareAndSwap(waiting, finished) {
		return err
	}
	c := w.cancel.Load()
	close(c.returned)
	<-c.interrupted
	if !lateNudgesAreHarmless {
		// This thread must not run anything else while a nudge meant
		// for the lock call may still land on it.
		<-c.quiet
	}
	w.sys.restore()
	// The kernel may have granted the lock just before the interruption
	// took effect: make sure it is not held. While a goroutine owns the
	// kernel side no one else holds this description's lock, so this
	// releases nothing that belongs to anyone else.
	w.sys.unlock()
	return c.reason
}

// The canceller resends its interruption, backing off, until the call
// returns: one lands before the waiter has entered the call now and then.
const (
	firstNudgeDelay = 20 * time.Microsecond
	maxNudgeDelay   = 10 * time.Millisecond
)

// end cancels the wait, if it has not ended yet, with reason; it returns
// once the blocking call has returned.
func (w *kernelWait) end(reason error) {
	c := &cancellation{reason: reason, returned: make(chan struct{}), interrupted: make(chan struct{}), quiet: make(chan struct{})}
	if !w.cancel.CompareAndSwap(nil, c) || !w.state.CompareAndSwap(waiting, cancelling) {
		return // another canceller came first, or the wait ended
	}
	defer close(c.quiet)
	interrupted := false
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for delay := firstNudgeDelay; ; delay = min(2*delay, maxNudgeDelay) {
		if !interrupted && w.sys.interrupt() {
			// Done with the descriptor: the waiter may go on as soon
			// as its call returns, without waiting for this goroutine
			// to be scheduled again.
			interrupted = true
			close(c.interrupted)
		}
		w.sys.nudge()
		t.Reset(delay)
		select {
		case <-c.returned:
			if !interrupted {
				close(c.interrupted)
			}
			return
		case <-t.C:
		}
	}
}
