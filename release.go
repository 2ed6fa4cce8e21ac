// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

// This file gives the kernel lock back: Unlock's release, and Close.

import (
	"io/fs"
	"sync"
)

// release releases the kernel lock as the owner that leave or withdraw made
// of the caller, and gives up ownership. Called with mu held; returns with
// it released.
func (l *Lock) release(op string, m mode) error {
	var err error
	if l.opts.record {
		// Clearing the record writes the file: not under mu.
		l.mu.Unlock()
		err = l.releaseKernel(m, false)
		l.mu.Lock()
	} else {
		err = unlockFd(l.d)
	}
	l.adm.abandoned()
	l.mu.Unlock()
	if err != nil {
		return l.error(op, err)
	}
	return nil
}

// close closes the Lock as its last owner: it waits for the current owner,
// interrupting its wait, then releases the lock and closes the file.
func (l *Lock) close() error {
	l.mu.Lock()
	if l.adm.closed {
		l.mu.Unlock()
		return l.error("close", fs.ErrClosed)
	}
	owner, t := l.adm.close()
	close(l.closing)
	w := l.waiterToEnd()
	l.mu.Unlock()
	if !owner {
		if w != nil {
			w.end(fs.ErrClosed)
		}
		<-t.ready
	}
	l.mu.Lock()
	held := l.adm.held
	l.adm.held, l.adm.readers = unlocked, 0
	l.mu.Unlock()
	var err error
	if held != unlocked || l.opts.removeOnClose {
		err = l.releaseKernel(held, true)
	}
	if cerr := closeLockFile(l.f); err == nil {
		err = cerr
	}
	l.dropWatch()
	l.mu.Lock()
	if l.pinned {
		unpin(l)
	}
	l.mu.Unlock()
	if err != nil {
		return l.error("close", err)
	}
	return nil
}

// pinned keeps every Lock that has ever held its lock reachable until Close,
// so that a Lock dropped without Close cannot be collected and have its
// file's cleanup close the descriptor, silently letting a second instance
// start. Pinning at the first hold rather than at each keeps the lock and
// unlock path free of shared state.
var pinned struct {
	sync.Mutex
	locks map[*Lock]struct{}
}

// pin and unpin are called with l.mu held.
func pin(l *Lock) {
	pinned.Lock()
	if pinned.locks == nil {
		pinned.locks = make(map[*Lock]struct{})
	}
	pinned.locks[l] = struct{}{}
	pinned.Unlock()
	l.pinned = true
}

func unpin(l *Lock) {
	pinned.Lock()
	delete(pinned.locks, l)
	pinned.Unlock()
	l.pinned = false
}
