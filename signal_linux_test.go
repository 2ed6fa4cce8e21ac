// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux && !flock_fcntl && !flock_poll

package flock_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A kernel wait is interrupted with SIGURG. These tests run a helper that
// has changed what SIGURG does, as a program may, and check that a wait
// still ends at its deadline and at Close, whatever the setting.

// Sigurg changes what SIGURG does as args[1] says, then waits for the lock
// at args[0], which the parent holds: with a deadline, and with Lock ended
// by Close. It reports how each wait was made (in the kernel, where
// /proc/locks lists it as blocked, or polling) and how it ended.
func (helperRoles) Sigurg(args []string) int {
	path, how := args[0], args[1]
	runtime.LockOSThread() // for "blocked": the mask is this thread's
	switch how {
	case "ignored":
		signal.Ignore(syscall.SIGURG)
	case "relayed":
		relayed := make(chan os.Signal, 100)
		signal.Notify(relayed, syscall.SIGURG)
		go func() {
			for range relayed {
			}
		}()
	case "default":
		// What a C host that leaves SIGURG alone does to a Go archive.
		var act [4]uintptr // sa_handler = SIG_DFL
		if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGURG), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0); e != 0 {
			fmt.Println("error:", e)
			return 1
		}
	case "blocked":
		set := uint64(1) << (unix.SIGURG - 1)
		if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_BLOCK, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0); e != 0 {
			fmt.Println("error:", e)
			return 1
		}
	}
	inKernel := make(chan bool, 1)
	l, err := flock.New(path, flock.WithWaitHook(func(string) {
		go func() { time.Sleep(50 * time.Millisecond); inKernel <- blockedInKernel(path) }()
	}))
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = l.LockContext(ctx)
	fmt.Printf("deadline: kernel=%v deadline=%v after %v\n", <-inKernel, errors.Is(err, context.DeadlineExceeded), time.Since(start).Round(time.Millisecond))

	// Lock waits on this thread; Close comes from another goroutine.
	closed := make(chan string, 1)
	go func() {
		kernel := <-inKernel
		start = time.Now()
		closed <- fmt.Sprintf("kernel=%v", kernel) + fmt.Sprintf(" close=%v", l.Close())
	}()
	err = l.Lock()
	took := time.Since(start).Round(time.Millisecond)
	kernel, closeErr, _ := strings.Cut(<-closed, " ")
	fmt.Printf("close: %s closed=%v %s after %v\n", kernel, errors.Is(err, fs.ErrClosed), closeErr, took)
	return 0
}

// blockedInKernel reports whether /proc/locks lists a request of this
// process blocked on the file at path: a wait in the kernel, not a poll.
func blockedInKernel(path string) bool {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return false
	}
	b, _ := os.ReadFile("/proc/locks")
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		// 3: -> FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF
		if len(f) > 6 && f[1] == "->" && f[5] == strconv.Itoa(os.Getpid()) && strings.HasSuffix(f[6], ":"+strconv.FormatUint(st.Ino, 10)) {
			return true
		}
	}
	return false
}

func TestWaitsEndWhateverSIGURGDoes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		how    string
		kernel bool // whether the wait can still be made in the kernel
	}{
		{"unchanged", true},
		{"relayed", true},  // signal.Notify: the runtime's handler stays
		{"ignored", false}, // signal.Ignore: the kernel discards it
		{"default", false}, // a C host's default: discarded too
		{"blocked", false}, // blocked in the waiting thread
	} {
		t.Run(c.how, func(t *testing.T) {
			t.Parallel()
			path := lockPath(t)
			l := mustNew(t, path)
			require.NoError(t, l.Lock())
			p := startRole(t, "Sigurg", []string{path, c.how})
			want := fmt.Sprintf("kernel=%v deadline=true after ", c.kernel)
			line := p.readLine()
			t.Log(line)
			assert.Contains(t, line, "deadline: "+want, "LockContext ends at its deadline")
			line = p.readLine()
			t.Log(line)
			assert.Contains(t, line, fmt.Sprintf("close: kernel=%v closed=true close=<nil> after ", c.kernel), "Close ends a Lock that waits")
			require.NoError(t, p.cmd.Wait())
			assert.Equal(t, "busy", probe(t, "trylock", path), "no ended wait took the lock")
		})
	}
}
