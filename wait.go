// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

// This file is how the owner of a Lock's kernel side waits for a lock that
// is taken: in the kernel where that wait can be interrupted, polling
// otherwise.

import (
	"context"
	"io/fs"
	"math/rand/v2"
	"time"
)

// maxKernelWaits bounds the goroutines of a process that wait in the kernel
// at once, each on an OS thread of its own. Without a bound, every Lock
// waiting at once would take a thread, and a burst of waiting Locks would
// end the process with the runtime's unrecoverable "thread exhaustion"
// (debug.SetMaxThreads, 10,000 by default). Waits beyond the bound poll, and
// move into the kernel as soon as one of the slots frees up.
const maxKernelWaits = 128

// kernelSlots holds a token for each kernel wait in progress.
var kernelSlots = make(chan struct{}, maxKernelWaits)

// waitAsOwner waits, as the owner, until the description holds the lock in
// mode m (nil), ctx ends (ctx.Err()), or the Lock is closed (fs.ErrClosed).
func (l *Lock) waitAsOwner(ctx context.Context, m mode) error {
	slot := false
	for {
		if interruptibleKernelWaits && (slot || takeKernelSlot()) {
			waited, err := l.waitInKernel(ctx, m)
			<-kernelSlots
			if waited {
				return err
			}
			// This thread cannot be interrupted now (the program ignores
			// the signal that does it, say): poll, without a slot.
			_, err = l.poll(ctx, m, nil)
			return err
		}
		var wake chan<- struct{}
		if interruptibleKernelWaits {
			wake = kernelSlots
		}
		var err error
		if slot, err = l.poll(ctx, m, wake); !slot {
			return err
		}
	}
}

func takeKernelSlot() bool {
	select {
	case kernelSlots <- struct{}{}:
		return true
	default:
		return false
	}
}

// Polling backs off exponentially with jitter, so that pollers in several
// processes drift apart, from firstPollDelay to maxPollDelay.
const (
	firstPollDelay = time.Millisecond
	maxPollDelay   = 100 * time.Millisecond
)

// poll tries the lock with LOCK_NB, sleeping between tries, until it holds it
// (nil), ctx ends, or the Lock is closed. If slots is not nil, poll also
// takes a kernel-wait slot as soon as one is free, and then returns true.
func (l *Lock) poll(ctx context.Context, m mode, slots chan<- struct{}) (slot bool, err error) {
	delay := firstPollDelay
	t := time.NewTimer(jitter(delay))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, contextError(ctx)
		case <-l.closing:
			return false, fs.ErrClosed
		case slots <- struct{}{}:
			return true, nil
		case <-t.C:
		}
		if err := tryLockFd(l.d, m); err != ErrLocked {
			return false, err
		}
		delay = min(2*delay, maxPollDelay)
		t.Reset(jitter(delay))
	}
}

// contextError is the error of a context whose Done channel is closed. A
// context that breaks its contract and reports no error then is taken as
// cancelled: a wait it ended must not look granted.
func contextError(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return context.Canceled
}

// jitter spreads d by ±10%.
func jitter(d time.Duration) time.Duration {
	return d - d/10 + rand.N(d/5+1)
}
