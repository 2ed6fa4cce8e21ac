// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux && !flock_fcntl && !flock_poll

package flock

// How a Linux kernel wait is interrupted. A goroutine blocked in flock(2)
// cannot be woken from Go: the runtime installs its signal handlers with
// SA_RESTART, so the kernel restarts the call after any signal, and closing
// the descriptor does not help either, because the call holds its own
// reference to the file.
//
// So the owner blocks in flock on the Lock's own descriptor, on a thread of
// its own. To interrupt it, the canceller keeps the open file description
// on a spare descriptor, points the Lock's descriptor number at a private
// dummy file with dup3, and sends the thread SIGURG (the runtime's
// preemption signal, which needs no handler of ours) once: the restarted
// call resolves the descriptor number again, locks the dummy, and returns
// at once (see interruptEndsCall). The waiter then puts its description
// back. Only a cancel duplicates a descriptor. A wait that nobody cancels
// pays three system calls for this, made by prepare between finding the
// lock taken and sleeping: two that read SIGURG's handler and the thread's
// signal mask, and gettid (0.7 µs together on the AMD EPYC VM of
// bench/BENCHMARKS.md, where leaving them out changed throughput by no
// more than the noise).
//
// That needs SIGURG to interrupt the thread: a handler must be installed
// and the thread must not block the signal. A program may have ignored it
// (signal.Ignore), or be a C archive whose host left it at its default,
// which discards it; then prepare says so and the owner polls instead. A
// program that relays SIGURG with signal.Notify sees one per cancelled
// wait, as it already sees them for preemption.

import (
	"os"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Signals sent to a thread that has moved on are spurious preemption
// requests, which the runtime ignores.
const lateNudgesAreHarmless = true

// Once interrupt has pointed the descriptor at the dummy, one nudge ends the
// call: a flock call that resolves the descriptor from then on locks the
// dummy at once, and one that resolved it before is in the kernel, where
// the signal wakes it or, if it has not slept yet, keeps it from sleeping;
// its restart then resolves the dummy.
const interruptEndsCall = true

type sysWait struct {
	d     descr
	fd    int // the Lock's descriptor, on which the owner blocks
	tid   int // the owner's thread
	saved int // the description, kept while fd names the dummy; -1 otherwise
	flags int // fd's descriptor flags, restored with it
}

func (s *sysWait) prepare(d descr) bool {
	if !sigurgInterrupts() {
		return false
	}
	if _, err := cancelTarget(); err != nil {
		return false
	}
	*s = sysWait{d: d, fd: d.fd, tid: unix.Gettid(), saved: -1}
	return true
}

// block waits in flock(2) until the description holds the lock. A call
// restarted after a signal resolves s.fd again.
func (s *sysWait) block(m mode) error {
	return explain(ignoringEINTR(func() error { return unix.Flock(s.fd, how(m)) }))
}

// interrupt points fd at the dummy, keeping the description on s.saved. It
// reports false, changing nothing, if there is no descriptor to spare; the
// canceller tries again at its next nudge.
func (s *sysWait) interrupt() bool {
	flags, err := unix.FcntlInt(uintptr(s.fd), unix.F_GETFD, 0)
	if err != nil {
		return false
	}
	saved, err := dupFd(s.fd)
	if err != nil {
		return false
	}
	dummy, _ := cancelTarget() // made in prepare
	if ignoringEINTR(func() error { return unix.Dup3(dummy, s.fd, unix.O_CLOEXEC) }) != nil {
		unix.Close(saved)
		return false
	}
	s.saved, s.flags = saved, flags
	return true
}

func (s *sysWait) nudge() { unix.Tgkill(unix.Getpid(), s.tid, unix.SIGURG) }

// restore puts the description back on fd, with its flags.
func (s *sysWait) restore() {
	if s.saved < 0 {
		return
	}
	flag := 0
	if s.flags&unix.FD_CLOEXEC != 0 {
		flag = unix.O_CLOEXEC
	}
	ignoringEINTR(func() error { return unix.Dup3(s.saved, s.fd, flag) })
	unix.Close(s.saved)
	s.saved = -1
}

func (s *sysWait) unlock() { unlockFd(s.d) }

func (s *sysWait) finish() {}

// sigurgInterrupts reports whether SIGURG sent to this thread would
// interrupt a system call it is blocked in: the signal has a handler, and
// the thread does not block it. It reads the kernel's state, not the Go
// runtime's, so that it sees what a C host did too.
func sigurgInterrupts() bool {
	var act, mask [16]uintptr // larger than the kernel's struct sigaction and sigset_t
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGURG), 0,
		uintptr(unsafe.Pointer(&act)), sigsetBytes, 0, 0); e != 0 {
		return false
	}
	const sigDfl, sigIgn = 0, 1
	if h := act[sigHandlerWord]; h == sigDfl || h == sigIgn {
		return false
	}
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, 0, 0,
		uintptr(unsafe.Pointer(&mask)), sigsetBytes, 0, 0); e != 0 {
		return false
	}
	bit := uint(unix.SIGURG) - 1
	const wordBits = uint(unsafe.Sizeof(uintptr(0)) * 8)
	return mask[bit/wordBits]&(1<<(bit%wordBits)) == 0
}

// The kernel's struct sigaction starts with the handler everywhere but on
// MIPS, where an int of flags comes first (padded to a pointer on mips64),
// and MIPS has 128 signals where the others have 64.
var sigHandlerWord, sigsetBytes = func() (int, uintptr) {
	if strings.HasPrefix(runtime.GOARCH, "mips") {
		return 1, 16
	}
	return 0, 8
}()

var dummy struct {
	sync.Mutex
	fd   int
	made bool
}

// cancelTarget returns the process's dummy file for interrupted waits. It
// must be private: a shared file such as /dev/null has a global flock that
// another process could hold, and the interrupted call would block on it. A
// memfd is private; where memfd_create is refused, an unnamed temporary file
// is too. Every interrupted call locks the same open file description, which
// never conflicts with itself. A failure (say, EMFILE) is not remembered:
// the next wait tries again.
func cancelTarget() (int, error) {
	dummy.Lock()
	defer dummy.Unlock()
	if dummy.made {
		return dummy.fd, nil
	}
	fd, err := unix.MemfdCreate("flock-cancel", unix.MFD_CLOEXEC)
	if err == unix.ENOSYS || err == unix.EPERM || err == unix.EACCES {
		fd, err = unix.Open(os.TempDir(), unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
		if err == unix.EOPNOTSUPP || err == unix.EISDIR || err == unix.EINVAL || err == unix.EPERM || err == unix.EACCES {
			fd, err = unlinkedTempFile()
		}
	}
	if err != nil {
		return -1, err
	}
	dummy.fd, dummy.made = fd, true
	return fd, nil
}

// dupFd returns a close-on-exec duplicate of fd: a second descriptor of the
// same open file description.
func dupFd(fd int) (int, error) {
	var nfd int
	err := ignoringEINTR(func() (err error) {
		nfd, err = unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
		return err
	})
	return nfd, err
}

// unlinkedTempFile is the last resort for a private dummy file, where the
// kernel refuses both memfd_create and O_TMPFILE.
func unlinkedTempFile() (int, error) {
	f, err := os.CreateTemp("", "flock-cancel")
	if err != nil {
		return -1, err
	}
	defer f.Close()
	os.Remove(f.Name())
	return dupFd(int(f.Fd()))
}
