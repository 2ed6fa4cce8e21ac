// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build (darwin || dragonfly || freebsd || illumos || netbsd || openbsd || (linux && flock_poll)) && !flock_fcntl

package flock

import "golang.org/x/sys/unix"

// onLocalFS reports false: outside Linux the file system is not checked,
// and every flock(2) call goes through the scheduler as any system call
// does.
func onLocalFS(int) bool { return false }

// flockNoWait makes a flock(2) call that cannot wait: LOCK_NB, or LOCK_UN.
func flockNoWait(d descr, how int) error {
	return ignoringEINTR(func() error { return unix.Flock(d.fd, how) })
}
