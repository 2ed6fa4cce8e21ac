// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

import (
	"context"
	"io/fs"
	"os"
	"sync"
)

// A Lock is an flock(2) lock on an open file. Create one with [New] or
// [NewFromFile]; every method of the zero Lock returns an error wrapping
// [fs.ErrInvalid]. A Lock may be used by several goroutines at once. It must
// be closed with [Lock.Close] when no longer needed: once it has held the
// lock, the package keeps it reachable until Close, so that a Lock dropped
// without Close stays locked until the process exits instead of being
// released silently by a finalizer.
type Lock struct {
	path string
	opts options
	made bool // set by New and NewFromFile: the zero Lock is not usable

	// mu guards the fields below it. It is held for short steps only: never
	// across a call that can wait, and across a system call only when the
	// kernel side's owner (see admission) does all its work in one flock
	// call that cannot wait, as an uncontended TryLock or Unlock does.
	mu      sync.Mutex
	adm     admission
	waiter  *kernelWait   // the owner's wait, while it waits in the kernel
	closing chan struct{} // closed by Close, to end the owner's polling wait
	pinned  bool          // kept reachable: it has held the lock and is not closed

	// What the owner keeps from one kernel wait to the next (see
	// ownerState). Only the owner of the kernel side touches it.
	kept ownerState

	// The kernel side. Only the owner changes these, and it does so with mu
	// held, so that other goroutines may read them under mu.
	f *os.File
	d descr // what the lock calls take for f
}

// New opens the lock file at path and returns an unlocked [Lock] that keeps
// it open, so that each later lock or unlock is a single system call. A
// missing file is created (see [WithFileMode] and [WithoutCreate]); an
// existing one is never truncated. The file is opened read-only, as
// util-linux flock(1) does, so a read-only file or a directory can serve as
// the lock file; only [WithHolderRecord] opens it read-write, to write the
// record (and on AIX and Solaris a writable file is opened read-write, which
// an exclusive record lock needs). Paths that name a FIFO or a socket are
// refused.
//
// Errors are [*fs.PathError] values with Op "open", so errors.Is(err,
// fs.ErrPermission) and errors.Is(err, fs.ErrNotExist) work.
func New(path string, opts ...Option) (*Lock, error) {
	o := newOptions(opts)
	f, err := openLockFile(path, &o)
	if err != nil {
		return nil, err
	}
	l, err := newLock(f, path, &o)
	if err != nil {
		f.Close()
	}
	return l, err
}

// NewFromFile returns an unlocked [Lock] on an open file: an inherited
// descriptor, a directory, or the program's own executable (a program may
// lock itself). On success the Lock owns f, and [Lock.Close] closes it; on
// failure f is left open and remains the caller's.
//
// The lock applies to f's open file description, which descriptors
// duplicated from f, in this process or in children, share. Unlocking
// releases the lock for all of them; so does Close, if this Lock holds the
// lock. A program that means to leave a lock it took to a descriptor it
// shares (a shell's, say) exits without calling Close or Unlock.
func NewFromFile(f *os.File, opts ...Option) (*Lock, error) {
	if f == nil {
		return nil, &fs.PathError{Op: "open", Path: "", Err: fs.ErrInvalid}
	}
	o := newOptions(opts)
	return newLock(f, f.Name(), &o)
}

// Path returns the path of the lock file, as given to [New] or as the name of
// the file given to [NewFromFile].
func (l *Lock) Path() string {
	if l == nil {
		return ""
	}
	return l.path
}

// TryLock takes the exclusive lock if no one else holds it, and otherwise
// returns at once with an error for which errors.Is(err, [ErrLocked]) holds.
// It is the way to refuse a second instance of a program.
//
// Use TryLock to decide whether to proceed, not to poll for the lock in a
// loop: [Lock.LockContext] waits in the kernel and is woken the moment the
// lock is free.
func (l *Lock) TryLock() error {
	return l.acquire(context.Background(), exclusive, "trylock", true)
}

// TryRLock is like [Lock.TryLock] for the shared lock, which any number of
// holders may have at once, but not while anyone holds the exclusive lock.
func (l *Lock) TryRLock() error {
	return l.acquire(context.Background(), shared, "tryrlock", true)
}

// Lock blocks until it holds the exclusive lock. It returns an error only if
// the lock cannot be taken at all (the Lock is closed, or the system call
// fails); the lock is not held then.
func (l *Lock) Lock() error {
	return l.acquire(context.Background(), exclusive, "lock", false)
}

// RLock blocks until it holds the shared lock. An RLock that waits keeps
// later RLock calls of the same Lock waiting too, so that a waiting Lock is
// not starved by a stream of readers.
func (l *Lock) RLock() error {
	return l.acquire(context.Background(), shared, "rlock", false)
}

// LockContext blocks until it holds the exclusive lock or ctx is done. If ctx
// ends first it returns an [*fs.PathError] wrapping ctx.Err(), so that
// errors.Is(err, context.DeadlineExceeded) works, and does not hold the
// lock; if ctx is already done it returns that error without trying, even
// if the lock is free. How the wait is made on each system is in the
// package documentation. Where it waits in the kernel, the Lock keeps the
// watch it registers on ctx (context.AfterFunc) for its next wait on a
// context with the same Done channel, until Close, a wait on another
// context, or a wait that fails: at most one watch per Lock.
func (l *Lock) LockContext(ctx context.Context) error {
	return l.acquire(ctx, exclusive, "lock", false)
}

// RLockContext is like [Lock.LockContext] for the shared lock.
func (l *Lock) RLockContext(ctx context.Context) error {
	return l.acquire(ctx, shared, "rlock", false)
}

// Unlock releases one hold of the lock: the exclusive lock, or one of the
// shared holds, the last of which releases the kernel lock. If the Lock holds
// nothing, Unlock returns an error wrapping [ErrNotLocked] and changes
// nothing. As with [sync.Mutex], the goroutine that unlocks need not be the
// one that locked.
func (l *Lock) Unlock() error {
	if err := l.usable("unlock"); err != nil {
		return err
	}
	l.mu.Lock()
	switch ex, m := l.adm.leave(); ex {
	case exitLeft:
		l.mu.Unlock()
		return nil
	case exitNotHeld:
		l.mu.Unlock()
		return l.error("unlock", ErrNotLocked)
	case exitClosed:
		l.mu.Unlock()
		return l.error("unlock", fs.ErrClosed)
	default:
		return l.release("unlock", m)
	}
}

// Close releases the lock if this Lock holds it, ends every wait for it
// (which then returns an error wrapping [fs.ErrClosed]), and closes the file.
// A second Close, and any other method called after Close, returns an error
// wrapping [fs.ErrClosed].
func (l *Lock) Close() error {
	if err := l.usable("close"); err != nil {
		return err
	}
	return l.close()
}
