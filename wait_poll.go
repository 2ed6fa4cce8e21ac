// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build (darwin || dragonfly || freebsd || illumos || netbsd || openbsd) && !flock_fcntl

package flock

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Outside Linux no sound way is known to interrupt a blocked flock(2) from Go
// without cgo: the Linux technique needs tgkill to reach one thread. Leaving a
// goroutine blocked in the kernel after its caller gave up would take the
// lock later for nobody (a "ghost" that makes other processes' TryLock fail).
// So a wait that a context can cancel polls with LOCK_NB, backing off
// exponentially with jitter; a wait that nothing can cancel blocks in the
// kernel.
const (
	firstPollDelay = time.Millisecond
	maxPollDelay   = 100 * time.Millisecond
)

type kernelWait struct {
	fd       int // private duplicate of the lock descriptor
	blocking atomic.Bool
	stopOnce sync.Once
	stop     chan struct{} // closed by cancel
	reason   error         // written before stop is closed
	settled  chan struct{} // closed by the acquirer once the Lock's state is settled
}

func newKernelWait(fd int) (*kernelWait, error) {
	nfd, err := dupFd(fd)
	if err != nil {
		return nil, err
	}
	return &kernelWait{fd: nfd, stop: make(chan struct{}), settled: make(chan struct{})}, nil
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
	delay := firstPollDelay
	t := time.NewTimer(jitter(delay))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.stop:
			return w.reason
		case <-t.C:
		}
		if err := tryLockFd(w.fd, m); err != ErrLocked {
			return err
		}
		delay = min(2*delay, maxPollDelay)
		t.Reset(jitter(delay))
	}
}

// jitter spreads d by ±10%, so that pollers in several processes drift apart.
func jitter(d time.Duration) time.Duration {
	return d - d/10 + rand.N(d/5+1)
}

// cancel stops a polling wait, or a blocking one that has not started, and
// reports true; it cannot stop a blocking one that has, and reports false.
func (w *kernelWait) cancel(reason error) bool {
	w.stopOnce.Do(func() {
		w.reason = reason
		close(w.stop)
	})
	return !w.blocking.Load()
}

func (w *kernelWait) close() { closeFd(w.fd) }
