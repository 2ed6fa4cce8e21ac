// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build !(aix || (solaris && !illumos) || flock_fcntl)

// Not on AIX and Solaris (nor with -tags flock_fcntl, which tests their
// implementation): their fcntl record locks need a descriptor open for
// writing to lock exclusively, and a running executable cannot be opened for
// writing.

package flock_test

import (
	"fmt"
	"log"
	"os"

	"github.com/lockwise/flock"
)

// A program locks its own executable, so that two copies of it, wherever they
// are started from, never run at once, with no lock file to choose.
func ExampleNewFromFile() {
	exe, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Open(exe)
	if err != nil {
		log.Fatal(err)
	}
	l, err := flock.NewFromFile(f)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	if err := l.TryLock(); err != nil {
		fmt.Println("already running:", err)
		return
	}
	fmt.Println("the only copy running")
	// Output: the only copy running
}
