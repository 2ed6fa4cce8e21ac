// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build !((linux && !flock_fcntl && !flock_poll) || windows)

// The builds whose waits all poll (wait_nokernel.go): darwin, the BSDs and
// illumos, fcntl record locks, and Linux with -tags flock_poll.

package flock_test

// pollingWaits reports whether every wait for a lock that is taken polls
// (see waits_kernel_test.go).
func pollingWaits() bool { return true }
