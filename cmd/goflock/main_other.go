// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build !linux

// Goflock is a drop-in replacement for util-linux flock(1). It copies a
// Linux tool down to its open-file-description locks and exec rules, so it
// is built for Linux only; elsewhere it says so.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "goflock: only Linux is supported")
	os.Exit(71)
}
