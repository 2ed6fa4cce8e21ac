// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

// This file decides, inside one process, which of the goroutines that share a
// Lock may proceed. It makes no system calls: the kernel side is acquire.go's.

type mode uint8

const (
	unlocked mode = iota
	shared
	exclusive
)

// An admission is the in-process state of one Lock. Its methods are called
// with the Lock's mu held; each does only what its name says and reports what
// the caller must do next.
//
// At most one goroutine at a time owns the kernel side of the Lock: the right
// to make the flock calls that change what the open file description holds,
// and to touch the file itself (the holder record, a reopen, the final close).
// Ownership is what turns many goroutines into at most one kernel waiter per
// Lock, and what lets every other call return without waiting behind it.
type admission struct {
	// held is what goroutines have been granted: unlocked, one exclusive
	// hold, or readers shared holds. While no goroutine owns the kernel
	// side, the description holds exactly this in the kernel.
	held    mode
	readers int // shared holds; 0 unless held == shared

	// owned is set while one goroutine owns the kernel side: it is taking
	// the lock (held == unlocked), releasing it (held already set back to
	// unlocked), or closing the Lock.
	owned bool

	// queue holds the goroutines waiting to be admitted, first come first
	// served. It is empty unless the kernel side is owned, or held is
	// exclusive, or held is shared and the head wants exclusive: otherwise
	// the head would have been admitted.
	queue []*ticket

	// closed is set by Close. A closed admission admits nobody but the
	// goroutine that closes it.
	closed bool
}

// A ticket is a goroutine's place in the queue. The admission fills in the
// outcome and then closes ready.
type ticket struct {
	mode  mode
	ready chan struct{}

	// The outcome: joined means the goroutine holds one more shared hold
	// of the held shared lock; closed means the Lock was closed; neither
	// means the goroutine owns the kernel side.
	joined bool
	closed bool
}

// An entry is what an arriving goroutine is told.
type entry uint8

const (
	entryJoined entry = iota // it holds one more shared hold: done
	entryOwner               // it owns the kernel side and should take the lock
	entryBusy                // someone else holds or is taking the lock
	entryClosed              // the Lock is closed
)

// enter admits a goroutine that wants the lock in mode m, without queueing
// it: it joins a held shared lock, or becomes the owner of an idle,
// unlocked Lock, or is told the lock is busy.
func (a *admission) enter(m mode) entry {
	switch {
	case a.closed:
		return entryClosed
	case a.owned || len(a.queue) > 0:
		return entryBusy
	case m == shared && a.held == shared:
		a.readers++
		return entryJoined
	case a.held == unlocked:
		a.owned = true
		return entryOwner
	}
	return entryBusy
}

// enqueue queues a goroutine that found the lock busy and will wait.
func (a *admission) enqueue(m mode) *ticket {
	t := &ticket{mode: m, ready: make(chan struct{})}
	a.queue = append(a.queue, t)
	return t
}

// granted records that the owner took the lock in mode m and gives up
// ownership. It reports false if the Lock was closed meanwhile: the owner
// must then release the kernel lock itself, and call abandoned.
func (a *admission) granted(m mode) bool {
	if a.closed {
		return false
	}
	a.held, a.owned = m, false
	if m == shared {
		a.readers = 1
	}
	a.admitWaiting()
	return true
}

// abandoned gives up ownership without a lock: the owner failed, was
// cancelled, or finished releasing or closing.
func (a *admission) abandoned() {
	a.owned = false
	a.admitWaiting()
}

// An exit is what Unlock is told.
type exit uint8

const (
	exitLeft    exit = iota // one of several shared holds was given back: done
	exitRelease             // the caller owns the kernel side and must release the lock
	exitNotHeld             // nothing is held
	exitClosed              // the Lock is closed
)

// leave gives back one hold. The last hold makes the caller the owner, with
// held already unlocked, so that it can release the kernel lock while other
// goroutines see the lock as busy rather than held; the mode it reports is
// what the kernel still holds.
func (a *admission) leave() (exit, mode) {
	switch {
	case a.closed:
		return exitClosed, unlocked
	case a.held == unlocked:
		return exitNotHeld, unlocked
	case a.held == shared && a.readers > 1:
		a.readers--
		return exitLeft, shared
	}
	m := a.held
	a.held, a.readers, a.owned = unlocked, 0, true
	return exitRelease, m
}

// withdraw takes back the ticket of a goroutine that gave up waiting. If the
// ticket was admitted just before, what it was given is given back. It
// reports exitRelease, as leave does, if that leaves the caller owning the
// kernel side with a lock to release; anything else means there is nothing
// left to do.
func (a *admission) withdraw(t *ticket) (exit, mode) {
	select {
	case <-t.ready:
	default:
		for i, q := range a.queue {
			if q == t {
				a.queue = append(a.queue[:i], a.queue[i+1:]...)
				break
			}
		}
		// Readers queued behind a writer that gave up may join now.
		a.admitWaiting()
		return exitNotHeld, unlocked
	}
	switch {
	case t.closed:
		return exitNotHeld, unlocked
	case t.joined:
		return a.leave()
	}
	a.abandoned()
	return exitNotHeld, unlocked
}

// close closes the admission and turns away every queued goroutine. It
// reports whether the caller owns the kernel side now; if not, the current
// owner must first give it up, and the caller waits on the returned ticket,
// which is admitted as owner when that happens.
func (a *admission) close() (owner bool, wait *ticket) {
	a.closed = true
	for _, t := range a.queue {
		t.closed = true
		close(t.ready)
	}
	a.queue = nil
	if !a.owned {
		a.owned = true
		return true, nil
	}
	// The closer's ticket is the only one queued from now on, so the
	// owner hands ownership to it when it gives up.
	wait = &ticket{mode: exclusive, ready: make(chan struct{})}
	a.queue = []*ticket{wait}
	return false, wait
}

// admitWaiting admits queued goroutines, in order, for as long as they can
// proceed: readers join a held shared lock, and the first goroutine in line
// becomes the owner once the lock is free and unowned.
func (a *admission) admitWaiting() {
	for len(a.queue) > 0 && !a.owned {
		t := a.queue[0]
		switch {
		case t.mode == shared && a.held == shared:
			a.readers++
			t.joined = true
		case a.held == unlocked:
			a.owned = true
		default:
			return
		}
		a.queue[0] = nil
		a.queue = a.queue[1:]
		close(t.ready)
	}
}
