// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package flock_test

// holdersKnown reports whether the kernel says who holds a lock here.
const holdersKnown = true
