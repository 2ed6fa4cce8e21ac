// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	gofrs "github.com/gofrs/flock"
	"github.com/lockwise/flock"
	"golang.org/x/sys/unix"
)

// gofrsRetry is the poll interval given to gofrs/flock's TryLockContext,
// the only way it has to wait with a context.
const gofrsRetry = time.Millisecond

// A contender takes and releases the exclusive lock on one file the way a
// program using one of the compared implementations would, waiting when the
// lock is taken.
type contender interface {
	lock() error
	unlock() error
	close() error
}

// An impl is one of the compared ways to wait for a lock.
type impl struct {
	name string
	// inKernel reports whether a waiter blocks in flock(2), where
	// /proc/locks lists it, rather than polling.
	inKernel bool
	open     func(path string) (contender, error)
}

// waitImpls are compared in the handoff and throughput cases. gofrs/flock
// has two ways to wait: its blocking Lock, a plain flock(2) that nothing can
// cancel, and TryLockContext, which polls. Both are here, so that neither
// our cancellable wait nor our plain one is compared only with polling.
var waitImpls = []impl{
	{"raw", true, openRaw},
	{"ours-LockContext", true, openOursContext},
	{"ours-Lock", true, openOursLock},
	{"gofrs-Lock", true, openGofrsLock},
	{"gofrs-1ms", false, openGofrsPoll},
}

// spinImpls calibrate BenchmarkWaiterCPU: raw flock(2) made the way this
// library waits, a LOCK_NB try first and the blocking call only if it fails,
// with a given amount of CPU time spent in between, or with the calls that
// cannot wait made without the scheduler's bookkeeping (RawSyscall), as this
// library makes its LOCK_NB try on a local file system.
var spinImpls = []impl{
	{"raw-try", true, openRawTry(0, false, false)},
	{"raw-try-spin-1us", true, openRawTry(time.Microsecond, false, false)},
	{"raw-try-spin-3us", true, openRawTry(3*time.Microsecond, false, false)},
	{"raw-try-rawsyscall-try", true, openRawTry(0, true, false)},
	{"raw-try-rawsyscall-both", true, openRawTry(0, true, true)},
}

func implByName(name string) (impl, error) {
	for _, im := range append(waitImpls, spinImpls...) {
		if im.name == name {
			return im, nil
		}
	}
	return impl{}, fmt.Errorf("unknown implementation %q", name)
}

// raw is a blocking flock(2) on a descriptor kept open.
type raw struct{ f *os.File }

func openRaw(path string) (contender, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	return raw{f}, err
}

func (r raw) lock() error   { return flockRetry(int(r.f.Fd()), unix.LOCK_EX) }
func (r raw) unlock() error { return flockRetry(int(r.f.Fd()), unix.LOCK_UN) }
func (r raw) close() error  { return r.f.Close() }

// rawTry is raw with a LOCK_NB try before the blocking call, and spin of
// CPU time spent between a try that failed and the blocking call. With
// skipTry, or skipUnlock, set, the try, or the LOCK_UN, skips the
// scheduler's bookkeeping (RawSyscall).
type rawTry struct {
	raw
	spin                time.Duration
	skipTry, skipUnlock bool
}

func openRawTry(spin time.Duration, skipTry, skipUnlock bool) func(string) (contender, error) {
	return func(path string) (contender, error) {
		r, err := openRaw(path)
		if err != nil {
			return nil, err
		}
		return rawTry{r.(raw), spin, skipTry, skipUnlock}, nil
	}
}

func (r rawTry) lock() error {
	fd := int(r.f.Fd())
	if err := r.flock(fd, unix.LOCK_EX|unix.LOCK_NB, r.skipTry); err != unix.EWOULDBLOCK {
		return err
	}
	for start := time.Now(); time.Since(start) < r.spin; {
	}
	return flockRetry(fd, unix.LOCK_EX)
}

func (r rawTry) unlock() error { return r.flock(int(r.f.Fd()), unix.LOCK_UN, r.skipUnlock) }

// flock makes a flock(2) call that cannot wait, as a RawSyscall if skip is
// set.
func (rawTry) flock(fd, how int, skip bool) error {
	if !skip {
		return flockRetry(fd, how)
	}
	for {
		switch _, _, e := unix.RawSyscall(unix.SYS_FLOCK, uintptr(fd), uintptr(how), 0); e {
		case 0:
			return nil
		case unix.EINTR:
		default:
			return e
		}
	}
}

// oursContext waits with LockContext on a context that can be cancelled
// (and never is), so that the cancellable wait is what gets measured.
type oursContext struct {
	l      *flock.Lock
	ctx    context.Context
	cancel context.CancelFunc
}

func openOursContext(path string) (contender, error) {
	l, err := flock.New(path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &oursContext{l, ctx, cancel}, nil
}

func (o *oursContext) lock() error   { return o.l.LockContext(o.ctx) }
func (o *oursContext) unlock() error { return o.l.Unlock() }
func (o *oursContext) close() error  { o.cancel(); return o.l.Close() }

// oursLock waits with Lock: a wait nothing can cancel.
type oursLock struct{ l *flock.Lock }

func openOursLock(path string) (contender, error) {
	l, err := flock.New(path)
	return oursLock{l}, err
}

func (o oursLock) lock() error   { return o.l.Lock() }
func (o oursLock) unlock() error { return o.l.Unlock() }
func (o oursLock) close() error  { return o.l.Close() }

// gofrsPoll waits with gofrs/flock's TryLockContext, polling every
// gofrsRetry, on a context that can be cancelled as ours is.
type gofrsPoll struct {
	f      *gofrs.Flock
	ctx    context.Context
	cancel context.CancelFunc
}

func openGofrsPoll(path string) (contender, error) {
	ctx, cancel := context.WithCancel(context.Background())
	return &gofrsPoll{gofrs.New(path), ctx, cancel}, nil
}

func (g *gofrsPoll) lock() error {
	ok, err := g.f.TryLockContext(g.ctx, gofrsRetry)
	if err == nil && !ok {
		err = errors.New("gofrs: TryLockContext returned false without an error")
	}
	return err
}

func (g *gofrsPoll) unlock() error { return g.f.Unlock() }
func (g *gofrsPoll) close() error  { g.cancel(); return g.f.Close() }

// gofrsLock waits with gofrs/flock's blocking Lock. Its Unlock closes the
// file and its Lock reopens it, as gofrs always does.
type gofrsLock struct{ f *gofrs.Flock }

func openGofrsLock(path string) (contender, error) { return gofrsLock{gofrs.New(path)}, nil }

func (g gofrsLock) lock() error   { return g.f.Lock() }
func (g gofrsLock) unlock() error { return g.f.Unlock() }
func (g gofrsLock) close() error  { return g.f.Close() }
