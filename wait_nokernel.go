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

// waiterToEnd returns the published wait for Close to end: none, ever.
func (l *Lock) waiterToEnd() *kernelWait { return l.waiter }

// Polling waits watch their context themselves and keep nothing from one
// wait to the next.
type ownerState struct{}

func (l *Lock) dropWatch() { l.kept = ownerState{} }

func (*Lock) waitInKernel(context.Context, mode) (bool, error) { return false, nil }
