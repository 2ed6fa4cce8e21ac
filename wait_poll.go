// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build (darwin || dragonfly || freebsd || illumos || netbsd || openbsd) && !flock_fcntl

package flock

import (
	"context"
	"sync/atomic"
)

// Outside Linux no sound way is known to interrupt a blocked flock(2) from Go
// without cgo: the Linux technique needs tgkill to reach one thread. So a
// wait that a context can end polls (poll.go); a wait that nothing can end
// blocks in the kernel.
type kernelWait struct {
	poller
	fd       int // private duplicate of the lock descriptor
	blocking atomic.Bool
	settled  chan struct{} // closed by the acquirer once the Lock's state is settled
}

func newKernelWait(fd int) (*kernelWait, error) {
	nfd, err := dupFd(fd)
	if err != nil {
		return nil, err
	}
	return &kernelWait{poller: poller{stop: make(chan struct{})}, fd: nfd, settled: make(chan struct{})}, nil
}

func (w *kernelWait) wait(ctx context.Context, m mode) error {
	if ctx == nil {
		// Close cannot interrupt this wait; the acquirer releases the lock
		// through w.fd if it is granted after Close. The order matters: a
		// cancel that saw blocking unset closed stop first, so this sees it.
		w.blocking.Store(true)
		select {
		case <-w.stop:
			return w.reason
		default:
		}
		return lockFd(w.fd, m)
	}
	return w.poll(ctx, w.fd, m)
}

// cancel stops a polling wait, or a blocking one that has not started, and
// reports true; it cannot stop a blocking one that has, and reports false.
func (w *kernelWait) cancel(reason error) bool {
	w.stopWith(reason)
	return !w.blocking.Load()
}

func (w *kernelWait) close() { closeFd(w.fd) }
