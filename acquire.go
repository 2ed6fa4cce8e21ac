// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

// This file takes and gives back the kernel lock: what the goroutine that
// owns a Lock's kernel side (see admission) does, and how the others wait
// for their turn.

import (
	"context"
	"errors"
	"io/fs"
	"os"
)

func newLock(f *os.File, path string, o *options) (*Lock, error) {
	if o.record && !mayWriteRecord(f) {
		if !o.guard {
			return nil, &fs.PathError{Op: "open", Path: path, Err: errRecordNeedsFile}
		}
		// Someone else's file: lock it, without a record.
		o.record = false
	}
	d, err := descriptor(f)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return &Lock{path: path, opts: *o, made: true, closing: make(chan struct{}), f: f, d: d}, nil
}

// usable reports the error for a nil or zero Lock, which has no file.
func (l *Lock) usable(op string) error {
	if l == nil || !l.made {
		return &fs.PathError{Op: op, Path: l.Path(), Err: fs.ErrInvalid}
	}
	return nil
}

func (l *Lock) error(op string, err error) error {
	return &fs.PathError{Op: op, Path: l.path, Err: err}
}

// acquire is every locking method; try reports whether to fail with
// ErrLocked instead of waiting.
func (l *Lock) acquire(ctx context.Context, m mode, op string, try bool) error {
	if err := l.usable(op); err != nil {
		return err
	}
	if ctx == nil {
		return l.error(op, errNilContext)
	}
	if err := ctx.Err(); err != nil {
		return l.error(op, err)
	}
	l.mu.Lock()
	switch l.adm.enter(m) {
	case entryJoined:
		l.mu.Unlock()
		return nil
	case entryClosed:
		l.mu.Unlock()
		return l.error(op, fs.ErrClosed)
	case entryOwner:
		if !l.opts.checksAfterWin(m) {
			// The whole step may be one flock call that cannot wait:
			// make it under mu rather than give mu up and take it again.
			switch err := tryLockFd(l.d, m); {
			case err == nil:
				l.grant(m)
				l.mu.Unlock()
				return nil
			case err == ErrLocked && try:
				err = l.busyError()
				fallthrough
			case err != ErrLocked:
				l.adm.abandoned()
				l.mu.Unlock()
				return l.error(op, err)
			}
		}
		l.mu.Unlock()
		// Known to be taken if the whole step was tried above.
		return l.take(ctx, m, op, try, true, !l.opts.checksAfterWin(m))
	}
	if try {
		err := l.busyError()
		l.mu.Unlock()
		return l.error(op, err)
	}
	t := l.adm.enqueue(m)
	l.mu.Unlock()
	return l.await(ctx, t, op)
}

// await waits for a queued goroutine's turn, then takes the lock if the turn
// made it the owner.
func (l *Lock) await(ctx context.Context, t *ticket, op string) error {
	l.waitHook(func() { l.withdraw(t, op) })
	select {
	case <-t.ready:
	case <-ctx.Done():
		if err := l.withdraw(t, op); err != nil {
			return err
		}
		return l.error(op, contextError(ctx))
	}
	switch {
	case t.closed:
		return l.error(op, fs.ErrClosed)
	case t.joined:
		return nil
	}
	return l.take(ctx, t.mode, op, false, false, false)
}

// withdraw takes a goroutine that gives up waiting out of the queue, and
// gives back whatever it was granted meanwhile.
func (l *Lock) withdraw(t *ticket, op string) error {
	l.mu.Lock()
	if ex, m := l.adm.withdraw(t); ex == exitRelease {
		return l.release(op, m)
	}
	l.mu.Unlock()
	return nil
}

// waitHook calls the wait hook, if there is one. Should the hook panic, undo
// runs before the panic goes on up, so that the Lock is left as if the call
// that was about to wait had never been made.
func (l *Lock) waitHook(undo func()) {
	if l.opts.onWait == nil {
		return
	}
	returned := false
	defer func() {
		if !returned {
			undo()
		}
	}()
	l.opts.onWait(l.path)
	returned = true
}

// take takes the kernel lock as the owner, waiting if it must and try is
// false; hook reports whether the wait hook is still due, and busy whether
// the caller has just found the lock taken. Reopening after a
// wait is how waiters follow a file that its holder removed on Close,
// however often that happens; only a file that is replaced each time it is
// won at once is a livelock to give up on.
func (l *Lock) take(ctx context.Context, m mode, op string, try, hook, busy bool) error {
	var err error
	for unwaited := 0; ; {
		waited := false
		if err = ErrLocked; !busy {
			err = tryLockFd(l.d, m)
		}
		busy = false
		if err == ErrLocked && try {
			err = l.busyError()
		} else if err == ErrLocked {
			if hook {
				l.waitHook(l.abandon)
				hook = false
			}
			waited, err = true, l.waitAsOwner(ctx, m)
		}
		if err == nil {
			err = l.checkWin(m)
		}
		if err != errReplaced {
			break
		}
		if !waited {
			if unwaited++; unwaited == maxReopens {
				err = errKeepsBeingReplaced
				break
			}
		}
	}
	if err != nil {
		l.abandon()
		return l.error(op, err)
	}
	l.mu.Lock()
	if l.grant(m) {
		l.mu.Unlock()
		return nil
	}
	// Closed while this goroutine took the lock: give it back.
	l.mu.Unlock()
	l.releaseKernel(m, false)
	l.abandon()
	return l.error(op, fs.ErrClosed)
}

// grant records the owner's success and keeps the Lock reachable from its
// first hold on. Called with mu held.
func (l *Lock) grant(m mode) bool {
	if !l.adm.granted(m) {
		return false
	}
	if !l.pinned {
		pin(l)
	}
	return true
}

// abandon gives up ownership of the kernel side.
func (l *Lock) abandon() {
	l.dropWatch()
	l.mu.Lock()
	l.adm.abandoned()
	l.mu.Unlock()
}

// errReplaced is the cause when the path check found another file at the
// path and reopened it: the caller tries again.
var (
	errReplaced           = errors.New("lock file was removed or replaced while being locked")
	errKeepsBeingReplaced = errors.New("lock file keeps being removed or replaced")
)

// maxReopens bounds how often an acquisition reopens a lock file that was
// replaced between winning it at once and checking the path, so that a path
// that is replaced in a loop gives an error instead of a livelock.
const maxReopens = 10
