// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build !flock_fcntl && !flock_poll

// The build whose waits block in flock(2) (wait_linux.go).

package flock_test

// A cancelled kernel wait is interrupted by pointing the Lock's descriptor
// at a private dummy file (wait_linux.go's cancelTarget): a memfd, or where
// the kernel refuses memfd_create, an O_TMPFILE file, or where that is
// refused too, a temporary file unlinked at once. These tests make the
// kernel refuse each in turn, with seccomp, and check that a cancel still
// interrupts the wait, through the dummy they expect.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The dummy files, as /proc/self/fd names them, in the temporary directory
// dir.
func dummyKind(link, dir string) string {
	for _, k := range []struct{ kind, re string }{
		{"memfd", `^/memfd:flock-cancel \(deleted\)$`},
		{"O_TMPFILE", "^" + regexp.QuoteMeta(dir) + `/#[0-9]+ \(deleted\)$`},
		{"unlinked temporary file", "^" + regexp.QuoteMeta(dir) + `/flock-cancel[0-9]+ \(deleted\)$`},
	} {
		if regexp.MustCompile(k.re).MatchString(link) {
			return k.kind
		}
	}
	return ""
}

// The checker tells the three dummies apart, and from anything else.
func TestDummyKindTellsTheFallbacksApart(t *testing.T) {
	t.Parallel()
	const dir = "/tmp/x"
	for link, want := range map[string]string{
		"/memfd:flock-cancel (deleted)":     "memfd",
		"/tmp/x/#123456 (deleted)":          "O_TMPFILE",
		"/tmp/x/flock-cancel42 (deleted)":   "unlinked temporary file",
		"/memfd:other (deleted)":            "",
		"/tmp/x/flock-cancel42":             "", // not unlinked
		"/tmp/y/#123456 (deleted)":          "", // another directory
		"/tmp/x/#abc (deleted)":             "",
		"/tmp/x/test.lock":                  "",
		"/dev/null":                         "",
		"anon_inode:[eventpoll]":            "",
		"/tmp/x/flock-cancel42 (deleted) x": "",
	} {
		assert.Equal(t, want, dummyKind(link, dir), "%q", link)
	}
}

// fdLinks returns what each of this process's descriptors names.
func fdLinks() map[string]string {
	entries, _ := os.ReadDir("/proc/self/fd")
	links := map[string]string{}
	for _, e := range entries {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			links[e.Name()] = target
		}
	}
	return links
}

// newLinks returns, sorted, what the descriptors in now but not in before
// name.
func newLinks(before, now map[string]string) []string {
	var added []string
	for fd, target := range now {
		if before[fd] != target {
			added = append(added, target)
		}
	}
	slices.Sort(added)
	return added
}

// blockedInFlock reports whether a thread of this process is blocked in a
// flock(2) call that waits (LOCK_EX without LOCK_NB) on fd, as
// /proc/self/task/TID/syscall shows: the number of the call a thread is
// blocked in, then its arguments.
func blockedInFlock(fd int) bool {
	tasks, _ := os.ReadDir("/proc/self/task")
	want := fmt.Sprintf("%d 0x%x 0x%x ", unix.SYS_FLOCK, fd, unix.LOCK_EX)
	for _, task := range tasks {
		b, _ := os.ReadFile("/proc/self/task/" + task.Name() + "/syscall")
		if strings.HasPrefix(string(b), want) {
			return true
		}
	}
	return false
}

// lookBound is how long the helper looks for what it expects before it
// concludes that it does not happen: a bound on looking, not on the library.
const lookBound = 10 * time.Second

// CancelFallback makes the kernel refuse what args[1] names ("none",
// "memfd", or "memfd+tmpfile"), then waits in LockContext for the lock at
// args[0], which another process holds, and cancels the wait once it is
// blocked in flock(2). It prints what it saw, a line each: whether the
// filter is in, whether the wait blocked in the kernel, the dummy file that
// appeared, the wait's result, Unlock's, and the descriptors left; then it
// holds its Lock open until stdin is closed.
func (helperRoles) CancelFallback(args []string) int {
	path, refuse := args[0], args[1]
	var rules []seccompRule
	switch refuse {
	case "none":
	case "memfd":
		rules = []seccompRule{{nr: unix.SYS_MEMFD_CREATE, errno: unix.ENOSYS}}
	case "memfd+tmpfile":
		rules = []seccompRule{
			{nr: unix.SYS_MEMFD_CREATE, errno: unix.EPERM},
			{nr: unix.SYS_OPENAT, arg: 2, flags: unix.O_TMPFILE, errno: unix.EOPNOTSUPP},
		}
	default:
		return helperFailed(fmt.Errorf("unknown refusal %q", refuse))
	}
	if len(rules) > 0 {
		if err := installSeccomp(rules...); err != nil {
			return helperFailed(fmt.Errorf("seccomp: %w", err))
		}
	}
	fmt.Println("seccomp: in")
	waiting := make(chan struct{})
	l, err := flock.New(path, flock.WithWaitHook(func(string) { close(waiting) }))
	if err != nil {
		return helperFailed(err)
	}
	// Once the runtime has opened what it opens along with the first
	// files (its poller), only the wait adds descriptors.
	if err := l.TryLock(); !errors.Is(err, flock.ErrLocked) {
		return helperFailed(fmt.Errorf("TryLock: %v, want ErrLocked", err))
	}
	before := fdLinks()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.LockContext(ctx) }()
	<-waiting
	fd := fdNaming(path)
	blocked := false
	for start := time.Now(); !blocked && time.Since(start) < lookBound; time.Sleep(time.Millisecond) {
		blocked = blockedInFlock(fd)
	}
	fmt.Println("blocked in flock:", blocked)
	fmt.Println("dummy:", strings.Join(newLinks(before, fdLinks()), " "))
	cancel()
	select {
	case err = <-done:
		fmt.Println("lock:", err, cancelledWait(err, context.Canceled, path))
	case <-time.After(lookBound):
		fmt.Println("lock: still blocked", lookBound, "after the cancel")
	}
	fmt.Println("unlock:", l.Unlock())
	fmt.Println("left:", strings.Join(newLinks(before, fdLinks()), " "))
	os.Stdin.Read(make([]byte, 1))
	return 0
}

// fdNaming returns the descriptor of this process that names path, or -1.
func fdNaming(path string) int {
	for fd, target := range fdLinks() {
		if target == path {
			n, _ := strconv.Atoi(fd)
			return n
		}
	}
	return -1
}

// Where the kernel refuses memfd_create, and then O_TMPFILE too, a cancel
// still interrupts a wait blocked in flock(2), through the next dummy file
// in line; the cancelled wait returns the context's error, holds nothing,
// and takes nothing later; the dummy stays, the only descriptor the wait
// added.
func TestCancelledKernelWaitFallsBackWhenMemfdOrTmpfileIsRefused(t *testing.T) {
	t.Parallel()
	kinds := map[string]string{}
	for _, c := range []struct{ refuse, want string }{
		{"none", "memfd"},
		{"memfd", "O_TMPFILE"},
		{"memfd+tmpfile", "unlinked temporary file"},
	} {
		t.Run("refuse "+c.refuse, func(t *testing.T) {
			path := lockPath(t)
			// The helper's temporary directory, where the fallbacks make
			// their files.
			dir := tempDir(t)
			if c.want == "O_TMPFILE" {
				requireTmpfile(t, dir)
			}
			h := mustHold(t, "lock", path)
			p := startRole(t, "CancelFallback", []string{path, c.refuse}, withEnv("TMPDIR="+dir))
			require.Equal(t, "seccomp: in", p.readLine())
			assert.Equal(t, "blocked in flock: true", p.readLine(), "the wait must be in the kernel, not polling")
			dummy, ok := strings.CutPrefix(p.readLine(), "dummy:")
			require.True(t, ok)
			dummy = strings.TrimSpace(dummy)
			t.Logf("refusing %s: the dummy is %q", c.refuse, dummy)
			kinds[c.refuse] = dummyKind(dummy, dir)
			assert.Equal(t, c.want, kinds[c.refuse], "the dummy file %q", dummy)
			assert.Equal(t, "lock: lock "+path+": context canceled true", p.readLine(), "the cancelled wait's error")
			assert.Equal(t, "unlock: unlock "+path+": not locked", p.readLine())
			assert.Equal(t, "left: "+dummy, p.readLine(), "descriptors the wait left: the dummy, kept for the next")
			assert.Equal(t, "busy", probe(t, "trylock", path), "the holder still holds")
			h.exit()
			// The helper still has its Lock open: had the interrupted
			// call taken the lock after all, it would hold it now.
			requireReleasedByExit(t, path)
			p.exit()
		})
	}
	// Each refusal led to another fallback.
	distinct := map[string]bool{}
	for _, kind := range kinds {
		distinct[kind] = true
	}
	assert.Len(t, distinct, 3, "dummy kinds %v", kinds)
}

// requireTmpfile requires that dir's file system supports O_TMPFILE, as the
// test expects: ext4, xfs, btrfs and tmpfs do.
func requireTmpfile(t *testing.T, dir string) {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err == nil {
		unix.Close(fd)
		return
	}
	msg := fmt.Sprintf("the file system of %s does not support O_TMPFILE (%v)", filepath.Clean(dir), err)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI's must")
	}
	t.Skip(msg)
}
