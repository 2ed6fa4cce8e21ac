// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import (
	"os"
	"os/signal"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A C program dies of most signals it does not handle, and scripts rely on
// that: "kill -USR1" or a stray SIGALRM ends flock(1) with status 128+N.
// The Go runtime instead ignores some of these signals (SIGUSR1, SIGALRM,
// the real-time ones...) and answers others (SIGQUIT, SIGABRT...) with a
// goroutine dump and exit status 2. SIGHUP, SIGINT and SIGTERM already kill
// a Go program the C way and are left alone.
var fatalInC = []syscall.Signal{
	unix.SIGQUIT, unix.SIGTRAP, unix.SIGABRT, unix.SIGUSR1, unix.SIGUSR2,
	unix.SIGVTALRM, unix.SIGXCPU, unix.SIGXFSZ, unix.SIGIO, unix.SIGPWR, unix.SIGSYS,
}

// Real-time signals that the C library leaves to programs (32 and 33 are
// its own and never reach one).
const (
	firstRTSignal = 34
	lastRTSignal  = 64
)

// restoreDefaultSignals makes those signals kill goflock as they kill
// flock(1). SIGALRM is among them unless a -w timer is set up: flock(1)
// then handles SIGALRM and ignores any that its timer did not send.
func restoreDefaultSignals(ignoreAlarm bool) {
	sigs := make([]os.Signal, 0, len(fatalInC)+lastRTSignal-firstRTSignal+2)
	for _, s := range fatalInC {
		sigs = append(sigs, s)
	}
	for s := firstRTSignal; s <= lastRTSignal; s++ {
		sigs = append(sigs, syscall.Signal(s))
	}
	if !ignoreAlarm {
		sigs = append(sigs, unix.SIGALRM)
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, sigs...)
	go func() { dieOf((<-c).(syscall.Signal)) }()
}

// dieOf ends the process by sig, with the signal's default action, so that
// the parent sees a death by that signal (and a core dump where the action
// is to dump core). signal.Reset would only restore the Go runtime's own
// handling, so the kernel's default is installed directly.
func dieOf(sig syscall.Signal) {
	// An all-zero struct sigaction is SIG_DFL with no flags and an empty
	// mask, whatever the architecture's layout; the buffer is larger than
	// any of them. The kernel's sigset is 8 bytes, or 16 on MIPS.
	var dfl [64]byte
	for _, setSize := range []uintptr{8, 16} {
		_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig),
			uintptr(unsafe.Pointer(&dfl)), 0, setSize, 0, 0)
		if errno == 0 {
			break
		}
	}
	var set unix.Sigset_t
	bits := int(unsafe.Sizeof(set.Val[0])) * 8
	set.Val[(int(sig)-1)/bits] |= 1 << ((int(sig) - 1) % bits)
	unix.PthreadSigmask(unix.SIG_UNBLOCK, &set, nil)
	unix.Tgkill(unix.Getpid(), unix.Gettid(), sig)
	os.Exit(128 + int(sig)) // not reached
}
