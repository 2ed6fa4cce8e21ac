// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build (linux && !flock_fcntl && !flock_poll) || windows

package flock

// This file is the kernel wait of the systems where another goroutine can
// interrupt a blocked lock call (Linux, Windows): the owner blocks in the
// call on a thread of its own, and a cancel interrupts it. The platform part,
// sysWait, says how (wait_linux.go, wait_windows.go).

import (
	"context"
	"errors"
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
	sys  sysWait
	done <-chan struct{} // Done of the context the wait ends with, if any
	// seen is set, under the Lock's mu, by a canceller that has taken the
	// published wait to end it. Such a wait is never reused: the canceller
	// may still act on it after the wait is over.
	seen  bool
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
	w := l.newWait(ctx.Done())
	if !w.sys.prepare(l.d) {
		return false, nil
	}
	defer w.sys.finish()
	l.mu.Lock()
	if l.adm.closed {
		l.mu.Unlock()
		return true, fs.ErrClosed
	}
	l.waiter = w // for Close and the context watch to end
	l.mu.Unlock()
	if l.watchContext(ctx) {
		err = errContextEnded
	} else {
		err = w.wait(m)
	}
	l.mu.Lock()
	l.waiter = nil
	if !w.seen {
		l.kept.spare = w
	}
	l.mu.Unlock()
	// A wait that fails leaves its watch to the caller's abandon, which
	// drops it.
	if err == errContextEnded {
		err = contextError(ctx)
	}
	return true, err
}

// newWait returns a wait on done, ready to prepare. It reuses the Lock's
// last wait if no canceller saw it, so that a wait nobody cancels allocates
// nothing: an allocation there is made between finding the lock taken and
// sleeping, and as the heap grows between collections it often takes a page
// fault, which makes that time longer (see watchContext for why it
// matters).
func (l *Lock) newWait(done <-chan struct{}) *kernelWait {
	w := l.kept.spare
	l.kept.spare = nil
	if w == nil {
		return &kernelWait{done: done}
	}
	*w = kernelWait{done: done}
	return w
}

// watchContext makes sure that ctx ending ends the Lock's published wait,
// or reports that ctx has ended already. Registering a watch (AfterFunc)
// and unregistering it cost about 0.2 µs, spent between finding the lock
// taken and sleeping in the kernel: time in which a waiting process
// competes for a CPU with the holder, which shows up across processes as
// more handoffs and less throughput (bench/BENCHMARKS.md). So a watch
// outlives its wait, and the next wait on a context with the same Done
// channel (one long-lived context, the usual case) reuses it; a wait on
// another one replaces it. Close or a failed acquisition removes it: a Lock
// keeps at most one.
func (l *Lock) watchContext(ctx context.Context) (ended bool) {
	done := ctx.Done()
	if done == l.kept.watch.done {
		// Kept from an earlier wait, it may have fired before this wait
		// was published, when it found nothing to end.
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	l.dropWatch()
	if done != nil {
		l.kept.watch = contextWatch{done, context.AfterFunc(ctx, func() { l.contextEnded(done) })}
	}
	return false
}

// ownerState is what a Lock keeps from one kernel wait to the next: the
// last wait's context watch, which the watch itself finds the wait to end
// through the Lock's waiter, under mu, and that wait, if it can be reused.
type ownerState struct {
	watch contextWatch
	spare *kernelWait // the last wait, if no canceller saw it
}

// A contextWatch ends a kernel wait when its context ends; see
// watchContext.
type contextWatch struct {
	done <-chan struct{} // the Done channel watched; nil if none
	stop func() bool     // unregisters the watch
}

// dropWatch unregisters the Lock's context watch, if it has one.
func (l *Lock) dropWatch() {
	if l.kept.watch.stop != nil {
		l.kept.watch.stop()
	}
	l.kept.watch = contextWatch{}
}

// waiterToEnd returns the Lock's published wait, if any, for a canceller to
// end, and marks it seen. Called with mu held.
func (l *Lock) waiterToEnd() *kernelWait {
	if l.waiter != nil {
		l.waiter.seen = true
	}
	return l.waiter
}

// contextEnded is the context watch: it ends the Lock's kernel wait, if one
// is in progress and waits on the context whose Done channel is done.
func (l *Lock) contextEnded(done <-chan struct{}) {
	l.mu.Lock()
	var w *kernelWait
	if l.waiter != nil && l.waiter.done == done {
		w = l.waiterToEnd()
	}
	l.mu.Unlock()
	if w != nil {
		w.end(errContextEnded)
	}
}

// errContextEnded is the reason a context watch gives when it ends a wait;
// the waiter returns its own context's error instead.
var errContextEnded = errors.New("context ended")

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

// Where one interruption may not end the call (on Windows, one made before
// the request finds nothing to cancel; on Linux, one that found no
// descriptor to spare changed nothing), the canceller resends it, backing
// off, until the call returns.
const (
	firstNudgeDelay = 20 * time.Microsecond
	maxNudgeDelay   = 10 * time.Millisecond
)

// end cancels the wait, if it has not ended yet, with reason. It returns
// once the blocking call has returned, or, where one interruption ends the
// call for good (interruptEndsCall), once it has made one.
func (w *kernelWait) end(reason error) {
	c := &cancellation{reason: reason, returned: make(chan struct{}), interrupted: make(chan struct{}), quiet: make(chan struct{})}
	if !w.cancel.CompareAndSwap(nil, c) || !w.state.CompareAndSwap(waiting, cancelling) {
		return // another canceller came first, or the wait ended
	}
	defer close(c.quiet)
	interrupted := false
	var t *time.Timer
	for delay := firstNudgeDelay; ; delay = min(2*delay, maxNudgeDelay) {
		if !interrupted && w.sys.interrupt() {
			// Done with the descriptor: the waiter may go on as soon
			// as its call returns, without waiting for this goroutine
			// to be scheduled again.
			interrupted = true
			close(c.interrupted)
		}
		w.sys.nudge()
		if interrupted && interruptEndsCall {
			// Not waiting for the call to return spares the waiter
			// waking this goroutine between its return and the
			// caller's.
			return
		}
		if t == nil {
			t = time.NewTimer(delay)
			defer t.Stop()
		} else {
			t.Reset(delay)
		}
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
