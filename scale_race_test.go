// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux && race

package flock_test

// raceEnabled reports whether the test binary has the race detector.
const raceEnabled = true
