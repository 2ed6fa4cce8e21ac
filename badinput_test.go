// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package flock_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Bad input gets an error that names the operation and the path: never a
// panic, a hang or a lost lock.

// Emfile runs out of descriptors, then tries to open and to wait.
func (helperRoles) Emfile(args []string) int {
	path := args[0]
	l, err := flock.New(path) // before the limit
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	var rl unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &rl)
	for {
		if _, err := unix.Dup(0); err != nil {
			break
		}
	}
	_, err = flock.New(path + ".other")
	fmt.Println("new:", err)
	// Held by the parent: the wait cannot make the file that
	// interrupts a kernel wait, so it polls, until its deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	fmt.Println("lock:", l.LockContext(ctx))
	fmt.Println("trylock:", l.TryLock())
	return 0
}

// Drop takes the lock, drops every reference to the Lock and collects
// garbage: the lock must stay held.
func (helperRoles) Drop(args []string) int {
	path := args[0]
	func() {
		l, err := flock.New(path)
		if err == nil {
			err = l.TryLock()
		}
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
	}()
	for range 5 {
		runtime.GC()
	}
	return reportAndHold(nil)
}

// Noflock makes the kernel refuse flock(2) with the errno in the lock
// path's name, as a file system without flock support does.
func (helperRoles) Noflock(args []string) int {
	path := args[0]
	errno := map[string]syscall.Errno{"ENOLCK": unix.ENOLCK, "EOPNOTSUPP": unix.EOPNOTSUPP}[filepath.Base(path)]
	if err := refuseFlock(errno); err != nil {
		fmt.Println("seccomp:", err)
		return 1
	}
	l, err := flock.New(path)
	if err == nil {
		err = l.TryLock()
	}
	fmt.Println(err)
	fmt.Println("unsupported:", errors.Is(err, errors.ErrUnsupported))
	return 0
}

func TestBadPathsGetPathErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, unix.Mkfifo(fifo, 0o600))
	sock := filepath.Join(dir, "sock")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	require.NoError(t, unix.Bind(fd, &unix.SockaddrUnix{Name: sock}))
	notDir := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(notDir, nil, 0o600))

	for _, c := range []struct{ path, msg string }{
		{"", "open : invalid argument"},
		{"with\x00nul", "open with\x00nul: invalid argument"},
		{filepath.Join(dir, "no/such/dir/x.lock"), "no such file or directory"},
		{filepath.Join(notDir, "x.lock"), "not a directory"},
		{fifo, "open " + fifo + ": not a regular file, directory or device"},
		{sock, "no such device or address"},
	} {
		_, err := flock.New(c.path) // the FIFO must not block waiting for a writer
		var pe *fs.PathError
		if assert.ErrorAs(t, err, &pe, "%q", c.path) {
			assert.Equal(t, "open", pe.Op)
			assert.Equal(t, c.path, pe.Path)
			assert.Contains(t, err.Error(), c.msg)
		}
	}
}

func TestCharacterDeviceCanBeLocked(t *testing.T) {
	t.Parallel()
	// A private node of /dev/null's device: its inode, and so its lock,
	// is ours alone.
	dev := filepath.Join(t.TempDir(), "null")
	require.NoError(t, unix.Mknod(dev, unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))))
	a, b := mustNew(t, dev), mustNew(t, dev)
	require.NoError(t, a.TryLock())
	assert.ErrorIs(t, b.TryLock(), flock.ErrLocked)

	_, err := flock.New(dev, flock.WithHolderRecord())
	assert.EqualError(t, err, "open "+dev+": WithHolderRecord needs a regular file", "a device cannot hold a record")
}

func TestSymlinkPolicy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "target.lock")
	link := filepath.Join(dir, "link.lock")
	require.NoError(t, os.Symlink(target, link))

	// By default links are followed, as by flock(1): a dangling link's
	// target is created, and the link and the target are one lock.
	viaLink := mustNew(t, link)
	require.NoError(t, viaLink.TryLock())
	_, err := os.Stat(target)
	require.NoError(t, err, "the target was created")
	assert.ErrorIs(t, mustNew(t, target).TryLock(), flock.ErrLocked)

	_, err = flock.New(link, flock.WithoutSymlinks())
	assert.EqualError(t, err, "open "+link+": is a symbolic link, which WithoutSymlinks refuses")
	_, err = flock.New(target, flock.WithoutSymlinks())
	assert.NoError(t, err, "a plain file is fine")
}

func TestPermissionDeniedOnCreate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		require.NoError(t, os.Chmod(d, 0o755)) // nobody may enter, not write
	}
	out := runAsNobody(t, "trylock", filepath.Join(dir, "new.lock"))
	assert.Contains(t, out, "error: open "+filepath.Join(dir, "new.lock")+": permission denied")
}

// runAsNobody runs a helper as user nobody from a copy of the test binary
// that nobody may execute, and returns its output.
func runAsNobody(t *testing.T, how, path string) string {
	t.Helper()
	p, line := startHelper(t, how, path, asUser(t, nobodyUID))
	p.cmd.Wait()
	return line
}

func TestReadOnlyFileSystem(t *testing.T) {
	t.Parallel()
	skipUnderRecordLocks(t, "an exclusive lock needs a descriptor open for writing")
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must be able to mount a tmpfs for this test: %v", err)
		}
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	existing := filepath.Join(dir, "existing.lock")
	require.NoError(t, os.WriteFile(existing, nil, 0o644))
	require.NoError(t, unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""))

	l := mustNew(t, existing)
	require.NoError(t, l.Lock(), "an existing file on a read-only file system can be locked")
	assert.ErrorIs(t, mustNew(t, existing).TryLock(), flock.ErrLocked)

	missing := filepath.Join(dir, "missing.lock")
	_, err := flock.New(missing)
	assert.EqualError(t, err, "open "+missing+": read-only file system")
	_, err = flock.New(existing, flock.WithHolderRecord())
	assert.ErrorIs(t, err, syscall.EROFS, "recording needs a writable file")
}

func TestFileSystemWithoutFlock(t *testing.T) {
	t.Parallel()
	skipUnderRecordLocks(t, "they do not use flock(2), which this test makes fail")
	for _, c := range []struct{ errno, msg, unsupported string }{
		{"ENOLCK", "file system does not support flock locks: no locks available", "false"},
		{"EOPNOTSUPP", "file system does not support flock locks: operation not supported", "true"},
	} {
		path := filepath.Join(t.TempDir(), c.errno)
		h, line := startRoleLine(t, "Noflock", path)
		assert.Equal(t, "trylock "+path+": "+c.msg, line)
		assert.Equal(t, "unsupported: "+c.unsupported, h.readLine())
		h.exit()
	}
}

func TestTooManyOpenFiles(t *testing.T) {
	t.Parallel()
	skipUnderRecordLocks(t, "a wait polls through the Lock's own descriptor and needs no other")
	path := lockPath(t)
	l := mustNew(t, path)
	require.NoError(t, l.Lock())
	h, line := startRoleLine(t, "Emfile", path)
	assert.Equal(t, "new: open "+path+".other: too many open files", line)
	assert.Equal(t, "lock: lock "+path+": context deadline exceeded", h.readLine(), "a wait needs no descriptor, and ends at its deadline")
	assert.Equal(t, "trylock: trylock "+path+": lock is held elsewhere", h.readLine(), "the Lock stays usable")
	h.exit()
}

func TestDroppedLockStaysHeld(t *testing.T) {
	t.Parallel()
	path := lockPath(t)
	h := mustHoldRole(t, "Drop", path)
	assert.Equal(t, "busy", probe(t, "trylock", path), "a collected Lock must not release its lock")
	h.exit()
	assert.Equal(t, "locked", probe(t, "trylock", path))
}

// refuseFlock installs a seccomp filter, on every thread of the process, that
// fails flock(2) with errno.
func refuseFlock(errno syscall.Errno) error {
	filter := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.SYS_FLOCK},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(errno)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog)))
	if e != 0 {
		return e
	}
	return nil
}
