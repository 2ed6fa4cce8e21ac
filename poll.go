// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build aix || darwin || dragonfly || freebsd || netbsd || openbsd || solaris || (flock_fcntl && linux)

package flock

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Where no sound way is known to interrupt a blocked lock call from Go
// (every system but Linux and Windows), a wait that a context can end polls
// instead, backing off exponentially with jitter: leaving a goroutine blocked
// in the kernel after its caller gave up would take the lock later for
// nobody, a "ghost" that makes other processes' TryLock fail.
const (
	firstPollDelay = time.Millisecond
	maxPollDelay   = 100 * time.Millisecond
)

// A poller is the polling part of a kernelWait, and how Close stops it.
type poller struct {
	once   sync.Once
	stop   chan struct{} // closed by stopWith
	reason error         // written before stop is closed
}

func (p *poller) stopWith(reason error) {
	p.once.Do(func() {
		p.reason = reason
		close(p.stop)
	})
}

// poll tries the lock on fd until it holds it (nil), ctx ends (ctx.Err()),
// or stopWith is called (its reason). ctx may be nil.
func (p *poller) poll(ctx context.Context, fd int, m mode) error {
	var done <-chan struct{}
	if ctx != nil {
		done = ctx.Done()
	}
	delay := firstPollDelay
	t := time.NewTimer(jitter(delay))
	defer t.Stop()
	for {
		select {
		case <-done:
			return ctx.Err()
		case <-p.stop:
			return p.reason
		case <-t.C:
		}
		if err := tryLockFd(fd, m); err != ErrLocked {
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
