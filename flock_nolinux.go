// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build (darwin || dragonfly || freebsd || illumos || netbsd || openbsd || (linux && flock_poll)) && !flock_fcntl

package flock

// onLocalFS reports false: every flock(2) call goes through the scheduler
// as any system call does (see flockNoWait). Outside Linux the file system
// is not checked.
func onLocalFS(int) bool { return false }
