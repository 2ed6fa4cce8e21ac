// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build !((linux && !flock_fcntl && !flock_poll) || windows)

package flock

// Where no sound way is known to interrupt a blocked lock call from Go
// (darwin, the BSDs, illumos without cgo; fcntl record locks, whose blocking
// F_SETLKW also fails with spurious EDEADLK), every wait polls (wait.go). A
// call blocked in the kernel that nothing could interrupt would make Close
// wait for it, or take the lock later for nobody: a "ghost" that makes other
// processes' TryLock fail.

import "context"

const interruptibleKernelWaits = false

type kernelWait struct{}

func (*kernelWait) end(error) {}

// Polling waits watch their context themselves: a Lock's watch stays
// empty.
type contextWatch struct{}

func (l *Lock) dropWatch() { l.watch = contextWatch{} }

func (*Lock) waitInKernel(context.Context, mode) (bool, error) { return false, nil }
