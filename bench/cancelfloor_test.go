// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// wakeupPairFloor is a cancel variant that takes no lock: a goroutine on a
// thread of its own, blocked in read(2) on a pipe, which a context.AfterFunc
// writes to. It is the two wakeups in a row that any cancel of a kernel
// wait needs, the canceller, then the sleeping thread, with nothing else.
// The cancel floor beside each wait is one wakeup; on a machine where waking
// a thread on an idle CPU is slow, this shows how much of a kernel wait's
// cancel is that wakeup rather than the library.
func wakeupPairFloor(b *testing.B, waiting chan<- struct{}) cancelVariant {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	var tid atomic.Int32
	wait := func(ctx context.Context) error {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid.Store(int32(unix.Gettid()))
		stop := context.AfterFunc(ctx, func() { unix.Write(p[1], []byte{0}) })
		defer stop()
		waiting <- struct{}{}
		var buf [1]byte
		for {
			n, err := unix.Read(p[0], buf[:])
			if err == unix.EINTR {
				continue
			}
			if n != 1 {
				return fmt.Errorf("read from the pipe: %d bytes, %v", n, err)
			}
			return ctx.Err()
		}
	}
	settle := func() error { return settleInRead(int(tid.Load())) }
	return cancelVariant{name: "wakeup-pair-floor", wait: wait, settle: settle}
}

// settleInRead returns once thread tid is blocked in read(2), as
// /proc/self/task/TID/syscall shows, and has had kernelSettle to fall
// asleep.
func settleInRead(tid int) error {
	file := fmt.Sprintf("/proc/self/task/%d/syscall", tid)
	want := strconv.Itoa(unix.SYS_READ) + " "
	deadline := time.Now().Add(blockTimeout)
	for {
		text, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if strings.HasPrefix(string(text), want) {
			pause(kernelSettle)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("thread %d not blocked in read(2) after %v: %s", tid, blockTimeout, text)
		}
		pause(20 * time.Microsecond)
	}
}
