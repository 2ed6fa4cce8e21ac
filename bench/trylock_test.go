// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"os"
	"testing"

	gofrs "github.com/gofrs/flock"
	"github.com/lockwise/flock"
	"golang.org/x/sys/unix"
)

// BenchmarkTryLock measures an uncontended TryLock followed by Unlock: the
// cost a program pays on every guarded operation when nobody competes.
func BenchmarkTryLock(b *testing.B) {
	path := lockPath(b)

	b.Run("raw", func(b *testing.B) {
		f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		fd := int(f.Fd())
		b.ReportAllocs()
		for b.Loop() {
			if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
				b.Fatal(err)
			}
			if err := unix.Flock(fd, unix.LOCK_UN); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("ours", func(b *testing.B) {
		l, err := flock.New(path)
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		b.ReportAllocs()
		for b.Loop() {
			if err := l.TryLock(); err != nil {
				b.Fatal(err)
			}
			if err := l.Unlock(); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("gofrs", func(b *testing.B) {
		f := gofrs.New(path)
		defer f.Close()
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := f.TryLock(); !ok || err != nil {
				b.Fatalf("TryLock: %v, %v", ok, err)
			}
			if err := f.Unlock(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
