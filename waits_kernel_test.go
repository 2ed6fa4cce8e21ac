// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux && !flock_fcntl && !flock_poll

// The Linux build whose waits block in flock(2) (wait_kernel.go). Windows
// says for itself (lock_windows_test.go); every other build polls
// (waits_poll_test.go).

package flock_test

// pollingWaits reports whether every wait for a lock that is taken polls:
// tries the lock without waiting, and sleeps between tries. A poller loses
// the lock to a holder that releases and comes straight back, which a
// waiter blocked in the kernel sees at once.
func pollingWaits() bool { return false }
