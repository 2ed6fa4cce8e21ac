// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

// Package flock provides advisory file locks built on flock(2): the guard a
// daemon takes to refuse a second start, and a mutex that goroutines of
// several processes can share, with waits that a [context.Context] cancels.
//
// A [Lock] keeps its lock file open and locks that descriptor, so the lock
// belongs to the open file description: another open of the same path, in
// this process or any other, conflicts with it. The kernel releases the lock
// when the last descriptor of that description is closed, which includes the
// process exiting or being killed by SIGKILL. This is why a flock lock file,
// unlike a PID file, never goes stale. Descriptors are opened close-on-exec,
// so programs started with os/exec do not inherit the lock.
//
// Inside one process a Lock behaves like a [sync.RWMutex] that other
// processes also respect: while one goroutine holds it exclusively, the
// others' TryLock fails with [ErrLocked] and their Lock waits. A Lock is not
// reentrant: a goroutine that calls Lock while it holds the lock deadlocks.
//
// The limits are those of flock(2). Locks are advisory: they bind only
// programs that take them. Converting a shared lock to an exclusive one (or
// back) is not atomic in the kernel, so this package offers no upgrade: call
// Unlock, then Lock. On NFS, Linux emulates flock with byte-range locks, which
// needs a descriptor open for writing for an exclusive lock. A lock file that
// is removed or replaced while held guards an inode nobody else will open:
// never delete a lock file that may be in use.
//
// [Guard] is the one call a daemon needs: it takes the application's lock in
// the system's lock directory, without waiting, and records the holder so
// that a second instance is told who runs.
//
// Locking works with flock(2) on darwin, dragonfly, freebsd, illumos, linux,
// netbsd and openbsd. On Linux a wait that a context can end waits in the
// kernel and is interrupted at once when the context ends; on the other
// flock systems it polls with capped exponential backoff and jitter, because
// no sound way to interrupt a blocked flock(2) is known there. Windows uses
// LockFileEx on one byte far beyond the end of the file, so that the file's
// content stays readable; a wait is a kernel wait that a context cancels, and
// directories cannot be locked. AIX and Solaris have no flock(2): they use
// fcntl record locks, with these differences: the process keeps a table so
// that two Locks on one file still exclude each other; a file that can only
// be opened read-only takes shared locks only; waits poll; and closing any
// other descriptor of the lock file in the process (an os.ReadFile of it,
// say) releases the lock, as POSIX requires. Elsewhere every locking method
// returns an error wrapping [errors.ErrUnsupported], so that importing the
// package never breaks a build.
package flock

import (
	"context"
	"io/fs"
	"os"
	"sync"
)

// A Lock is an flock(2) lock on an open file. Create one with [New] or
// [NewFromFile]; the zero value is not usable. A Lock may be used by several
// goroutines at once. It must be closed with [Lock.Close] when no longer
// needed: once it has held the lock, the package keeps it reachable until
// Close, so that a Lock dropped without Close stays locked until the process
// exits instead of being released silently by a finalizer.
type Lock struct {
	path   string
	opts   options
	onWait func(path string)

	// mu guards the fields below. It is held across flock calls that cannot
	// wait (LOCK_NB and LOCK_UN), never across a blocking one.
	mu      sync.Mutex
	f       *os.File // nil once the descriptor is closed
	fd      int      // f's descriptor, valid while f != nil
	closed  bool     // Close has been called
	held    mode     // what f's open file description holds in the kernel
	readers int      // goroutines sharing the lock when held == shared
	// turn is set while one goroutine is acquiring the lock in the kernel.
	// Only that goroutine may change the kernel state of an unheld lock, so
	// in-process waiters queue here and at most one waits in the kernel.
	turn   bool
	waiter *kernelWait // the goroutine with the turn, while it waits in the kernel
	queue  []*queued   // goroutines waiting for the turn or to share, in order
	pinned bool        // in the pinned set: it has held the lock and is not closed
}

type mode uint8

const (
	unlocked mode = iota
	shared
	exclusive
)

// A queued goroutine waits on ready, which is closed when it is admitted:
// either it joined a shared lock (joined), or it got the turn, or the Lock
// was closed (err).
type queued struct {
	mode   mode
	ready  chan struct{}
	joined bool
	err    error
}

// New opens the lock file at path and returns an unlocked [Lock] that keeps
// it open, so that each later lock or unlock is a single system call. A
// missing file is created (see [WithFileMode] and [WithoutCreate]); an
// existing one is never truncated or written. The file is opened read-only,
// as util-linux flock(1) does, so a read-only file or a directory can serve
// as the lock file. Paths that name a FIFO or a socket are refused.
//
// Errors are [*fs.PathError] values with Op "open", so errors.Is(err,
// fs.ErrPermission) and errors.Is(err, fs.ErrNotExist) work.
func New(path string, opts ...Option) (*Lock, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
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
// lock itself). The Lock takes ownership of f: [Lock.Close] closes it. The
// lock applies to f's open file description, which descriptors duplicated
// from f, in this process or in children, share. Close releases the lock
// for all of them; a program that means to leave the lock to a descriptor
// it shares (a shell's, say) exits without calling Close.
func NewFromFile(f *os.File, opts ...Option) (*Lock, error) {
	if f == nil {
		return nil, &fs.PathError{Op: "open", Path: "", Err: fs.ErrInvalid}
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	return newLock(f, f.Name(), &o)
}

func newLock(f *os.File, path string, o *options) (*Lock, error) {
	if o.record {
		// The record is written by truncating and writing the file.
		if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
			return nil, &fs.PathError{Op: "open", Path: path, Err: errRecordNeedsFile}
		}
	}
	fd, err := descriptor(f)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return &Lock{path: path, opts: *o, onWait: o.onWait, f: f, fd: fd}, nil
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
func (l *Lock) TryLock() error { return l.acquire(context.Background(), exclusive, "trylock", true) }

// TryRLock is like [Lock.TryLock] for the shared lock, which any number of
// holders may have at once, but not while anyone holds the exclusive lock.
func (l *Lock) TryRLock() error { return l.acquire(context.Background(), shared, "tryrlock", true) }

// Lock blocks until it holds the exclusive lock. It returns an error only if
// the lock cannot be taken at all (the Lock is closed, or the system call
// fails); the lock is not held then.
func (l *Lock) Lock() error { return l.acquire(context.Background(), exclusive, "lock", false) }

// RLock blocks until it holds the shared lock. An RLock that waits keeps
// later RLock calls of the same Lock waiting too, so that a waiting Lock is
// not starved by a stream of readers.
func (l *Lock) RLock() error { return l.acquire(context.Background(), shared, "rlock", false) }

// LockContext blocks until it holds the exclusive lock or ctx is done. If ctx
// ends first it returns ctx.Err() and does not hold the lock; if ctx is
// already done it returns ctx.Err() without trying, even if the lock is free.
// The wait is a kernel wait, not polling, on Linux and Windows; see the
// package documentation for the other systems.
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
	if l == nil {
		return &fs.PathError{Op: "unlock", Path: "", Err: fs.ErrInvalid}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return l.error("unlock", fs.ErrClosed)
	case l.held == unlocked:
		return l.error("unlock", ErrNotLocked)
	case l.held == shared && l.readers > 1:
		l.readers--
		return nil
	}
	err := l.release(false)
	l.setHeld(unlocked)
	l.grantNext()
	if err != nil {
		return l.error("unlock", err)
	}
	return nil
}

// Close releases the lock if held, wakes every goroutine waiting for it with
// an error wrapping [fs.ErrClosed], and closes the file. A second Close, and
// any other method called after Close, returns an error wrapping
// [fs.ErrClosed].
func (l *Lock) Close() error {
	if l == nil {
		return &fs.PathError{Op: "close", Path: "", Err: fs.ErrInvalid}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.error("close", fs.ErrClosed)
	}
	l.closed = true
	for _, q := range l.queue {
		q.err = fs.ErrClosed
		close(q.ready)
	}
	l.queue = nil
	if w := l.waiter; w != nil {
		// Wake the goroutine that waits in the kernel, and let it settle
		// before the descriptor goes away. Where a kernel wait cannot be
		// interrupted, the waiter keeps its own duplicate of the descriptor
		// and releases whatever it gets when it wakes.
		l.mu.Unlock()
		if w.cancel(fs.ErrClosed) {
			<-w.settled
		}
		l.mu.Lock()
	}
	var err error
	if l.held != unlocked || l.opts.removeOnClose {
		err = l.release(true)
		l.setHeld(unlocked)
	}
	if cerr := closeLockFile(l.f, l.fd); err == nil {
		err = cerr
	}
	l.f = nil
	if l.pinned {
		unpin(l)
	}
	if err != nil {
		return l.error("close", err)
	}
	return nil
}

// acquire is every locking method; try reports whether to fail with
// ErrLocked instead of waiting. From here on, a nil ctx stands for a
// context that can never end: a plain blocking wait.
func (l *Lock) acquire(ctx context.Context, m mode, op string, try bool) error {
	if l == nil {
		return &fs.PathError{Op: op, Path: "", Err: fs.ErrInvalid}
	}
	if ctx == nil {
		return l.error(op, errNilContext)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if ctx.Done() == nil {
		ctx = nil
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return l.error(op, fs.ErrClosed)
	}
	idle := !l.turn && len(l.queue) == 0
	if idle && m == shared && l.held == shared {
		l.readers++
		l.mu.Unlock()
		return nil
	}
	if idle && l.held == unlocked {
		l.turn = true
		return l.acquireInKernel(ctx, m, op, try, true)
	}
	if try {
		l.mu.Unlock()
		return l.error(op, ErrLocked)
	}
	hook := true

	q := &queued{mode: m, ready: make(chan struct{})}
	l.queue = append(l.queue, q)
	l.mu.Unlock()
	if l.onWait != nil {
		hook = false
		l.onWait(l.path)
	}
	var done <-chan struct{}
	if ctx != nil {
		done = ctx.Done()
	}
	select {
	case <-q.ready:
	case <-done:
		l.mu.Lock()
		select {
		case <-q.ready:
			// Admitted just as ctx ended. A cancelled call must not hold
			// the lock, so give back what was given.
			l.ungrant(q)
		default:
			l.dequeue(q)
		}
		l.mu.Unlock()
		return ctx.Err()
	}
	switch {
	case q.err != nil:
		return l.error(op, q.err)
	case q.joined:
		return nil
	}
	l.mu.Lock()
	return l.acquireInKernel(ctx, m, op, false, hook)
}

// acquireInKernel takes the kernel lock for the goroutine that has the turn.
// It is called with l.mu held and returns with it released. hook reports
// whether the wait hook has yet to be called.
func (l *Lock) acquireInKernel(ctx context.Context, m mode, op string, try, hook bool) error {
	var err error
	// Reopening after a wait is how waiters follow a file that its holder
	// removed on Close, however often that happens; only a file that is
	// replaced each time it is won at once is a livelock to give up on.
	for unwaited := 0; ; {
		var waited bool
		if waited, err = l.takeKernelLock(ctx, m, try, &hook); err != nil {
			break
		}
		if err = l.checkAcquired(m); err != errReplaced {
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
		l.turn = false
		if !l.closed {
			l.grantNext()
		}
		l.mu.Unlock()
		if ctx != nil && err == ctx.Err() {
			return err
		}
		return l.error(op, err)
	}
	l.setHeld(m)
	l.mu.Unlock()
	return nil
}

// takeKernelLock takes the kernel lock on l.fd, waiting if it must and try is
// false, and reports whether it waited. It is called with l.mu held and
// returns with it held, but releases it while waiting. On failure the lock
// is not held.
func (l *Lock) takeKernelLock(ctx context.Context, m mode, try bool, hook *bool) (waited bool, err error) {
	if l.closed {
		return false, fs.ErrClosed
	}
	err = tryLockFd(l.fd, m)
	if err == ErrLocked && try {
		return false, l.heldElsewhere()
	}
	if err != ErrLocked {
		return false, err
	}
	w, err := newKernelWait(l.fd)
	if err != nil {
		return false, err
	}
	l.waiter = w
	l.mu.Unlock()
	if *hook && l.onWait != nil {
		*hook = false
		l.onWait(l.path)
	}

	err = w.wait(ctx, m)

	l.mu.Lock()
	defer close(w.settled)
	l.waiter = nil
	if err == nil && !l.closed {
		w.close()
		return true, nil
	}
	// Cancelled, closed or failed. The kernel may have granted the lock at
	// the moment the wait was cancelled; make sure it is not held. While a
	// goroutine has the turn nobody else holds this description's lock, so
	// this releases nothing that belongs to anyone else.
	if err == nil {
		unlockFd(w.fd) // granted after Close: f may be gone, w.fd is not
		err = fs.ErrClosed
	} else if l.f != nil {
		unlockFd(l.fd)
	}
	w.close()
	if l.closed {
		return true, fs.ErrClosed
	}
	return true, err
}

// setHeld records the kernel state of the description. Called with l.mu held.
func (l *Lock) setHeld(m mode) {
	l.held, l.turn = m, false
	if m != unlocked && !l.pinned {
		pin(l)
	}
	switch m {
	case unlocked:
		l.readers = 0
	case shared:
		l.readers = 1
		l.grantNext()
	}
}

// grantNext admits queued goroutines, in order, for as long as they can
// proceed: readers join a held shared lock; the first waiter gets the turn
// when the lock is free. Called with l.mu held.
func (l *Lock) grantNext() {
	for len(l.queue) > 0 && !l.turn {
		q := l.queue[0]
		switch {
		case l.held == shared && q.mode == shared:
			l.readers++
			q.joined = true
		case l.held == unlocked:
			l.turn = true
		default:
			return
		}
		l.queue[0] = nil
		l.queue = l.queue[1:]
		close(q.ready)
	}
}

// ungrant gives back an admission that a cancelled waiter received. Called
// with l.mu held.
func (l *Lock) ungrant(q *queued) {
	switch {
	case q.err != nil:
	case q.joined && l.readers > 1:
		l.readers--
	case q.joined:
		unlockFd(l.fd)
		l.setHeld(unlocked)
		l.grantNext()
	default:
		l.turn = false
		l.grantNext()
	}
}

// dequeue removes a cancelled waiter, then admits whoever it was holding back
// (readers queued behind a cancelled writer can join a shared lock). Called
// with l.mu held.
func (l *Lock) dequeue(q *queued) {
	for i, x := range l.queue {
		if x == q {
			l.queue = append(l.queue[:i], l.queue[i+1:]...)
			break
		}
	}
	l.grantNext()
}

func (l *Lock) error(op string, err error) error {
	return &fs.PathError{Op: op, Path: l.path, Err: err}
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
