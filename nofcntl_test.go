// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux && !flock_fcntl

package flock_test

import "testing"

// skipUnderRecordLocks skips a test with -tags flock_fcntl (see fcntl_test.go).
func skipUnderRecordLocks(*testing.T, string) {}

// underRecordLocks reports whether the tests run over fcntl record locks.
const underRecordLocks = false
