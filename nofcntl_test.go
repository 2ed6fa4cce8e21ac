// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build !(aix || (solaris && !illumos) || (flock_fcntl && (darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd)))

// Every build but the fcntl one (lock_fcntl.go, fcntl_test.go).

package flock_test

import "testing"

// underRecordLocks reports whether the tests run over fcntl record locks.
const underRecordLocks = false

// assertNeedsWritableFile checks the error of an exclusive lock on a file
// open read-only, which only record locks refuse.
func assertNeedsWritableFile(t *testing.T, err error) {
	t.Helper()
	t.Errorf("only record locks need a writable file for an exclusive lock; got %v", err)
}
