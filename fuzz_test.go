// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package flock_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The fuzz targets run their seed corpus under go test; fuzz them with, for
// example,
//
//	go test -run '^$' -fuzz '^FuzzNew$' -fuzztime 5m .
//	go test -run '^$' -fuzz '^FuzzGuard$' -fuzztime 5m .

// Option bits that the fuzz targets decode from their first argument.
const (
	optNoCreate = 1 << iota
	optNoFollow
	optRecord
	optPathCheck
	optRemoveOnClose
	optFileMode // with the mode from the second argument
	optWaitHook
	optRawPath // use the name as the path, if it cannot name a file (empty, or with a NUL)
)

func decodeOptions(bits uint8, perm uint16) []flock.Option {
	var opts []flock.Option
	for _, o := range []struct {
		bit uint8
		opt flock.Option
	}{
		{optNoCreate, flock.WithoutCreate()},
		{optNoFollow, flock.WithoutSymlinks()},
		{optRecord, flock.WithHolderRecord()},
		{optPathCheck, flock.WithPathCheck()},
		{optRemoveOnClose, flock.WithRemoveOnClose()},
		{optFileMode, flock.WithFileMode(fs.FileMode(perm))},
		{optWaitHook, flock.WithWaitHook(func(string) {})},
	} {
		if bits&o.bit != 0 {
			opts = append(opts, o.opt)
		}
	}
	return opts
}

// fixtures fills a fresh directory with what a fuzzed name should be able to
// hit: files, a directory, a FIFO, a socket, a private character device, and
// symbolic links to each, dangling and looping ones. Every input gets its own
// directory, so that what one input creates or removes cannot change what
// another does, and a failure reproduces from its input alone. No link leads
// out of the directory (the device node is made in it, not linked to
// /dev/null, whose lock other processes share).
func fixtures(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	require.NoError(t, os.WriteFile(at("file"), []byte("x"), 0o600))
	require.NoError(t, os.WriteFile(at("ro"), nil, 0o400))
	require.NoError(t, os.Mkdir(at("dir"), 0o755))
	require.NoError(t, os.WriteFile(at("dir/file"), nil, 0o600))
	require.NoError(t, unix.Mkfifo(at("fifo"), 0o600))
	// A socket's path is limited to 108 bytes; with a long temporary
	// directory, names miss it.
	if len(at("sock")) < 108 {
		sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		require.NoError(t, err)
		err = unix.Bind(sock, &unix.SockaddrUnix{Name: at("sock")})
		unix.Close(sock)
		require.NoError(t, err)
	}
	// Creating device nodes needs CAP_MKNOD; without it, names miss.
	unix.Mknod(at("null"), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3)))
	for link, target := range map[string]string{
		"lfile": "file", "ldir": "dir", "lfifo": "fifo", "lsock": "sock", "lnull": "null",
		"lloop": "lloop", "lnew": "new", "lmissing": "missing/x", "labs": at("file"),
	} {
		require.NoError(t, os.Symlink(target, at(link)))
	}
	return dir
}

// openFds returns this process's open descriptors and what each names.
func openFds(t *testing.T) map[string]string {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	fds := map[string]string{}
	for _, e := range entries {
		// The listing's own descriptor is closed by now: skip it.
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			fds[e.Name()] = target
		}
	}
	return fds
}

// assertNoNewFds fails if a descriptor is open now that was not before.
// Descriptors may close meanwhile: the runtime closes files and process
// handles that earlier tests dropped whenever the collector finds them.
func assertNoNewFds(t *testing.T, before map[string]string, format string, args ...any) {
	t.Helper()
	for fd, target := range openFds(t) {
		if before[fd] != target {
			t.Errorf("descriptor %s (%s) left open: "+format, append([]any{fd, target}, args...)...)
		}
	}
}

// warmUp lets the runtime create its poller's descriptors, which it does
// the first time it opens a FIFO or a device, before any count.
func warmUp(f *testing.F) {
	r, w, err := os.Pipe()
	require.NoError(f, err)
	r.Close()
	w.Close()
}

// hangBound is how long a call may take before the fuzz target calls it
// hung: far beyond any real open or flock on a local file.
const hangBound = 10 * time.Second

// within runs fn and fails the test if it has not returned within hangBound.
func within(t *testing.T, what string, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(hangBound):
		t.Fatalf("%s still running after %v", what, hangBound)
		return nil
	}
}

// New, given any path under a directory full of odd files and any options,
// returns a Lock that works or an *fs.PathError that names "open" and the
// path, and leaves no descriptor behind either way. It never panics and
// never blocks (a FIFO must be refused, not waited on).
func FuzzNew(f *testing.F) {
	for _, name := range []string{
		"", "file", "ro", "dir", "dir/", "dir/file", "fifo", "sock", "null",
		"lfile", "ldir", "lfifo", "lsock", "lnull", "lloop", "lnew", "lmissing", "labs",
		"new", "missing/x", "file/", "file/x", "lfile/", "a\x00b", ".", "./file", "ldir/file",
		strings.Repeat("n", 300), strings.Repeat("d/", 2100),
	} {
		for _, bits := range []uint8{0, optNoCreate, optNoFollow, optRecord, optPathCheck | optRemoveOnClose,
			optRecord | optRemoveOnClose, optFileMode, optWaitHook | optNoFollow, optRawPath} {
			f.Add(bits, uint16(0o640), name)
		}
	}
	warmUp(f)
	f.Fuzz(func(t *testing.T, bits uint8, perm uint16, name string) {
		if strings.Contains("/"+name+"/", "/../") {
			t.Skip("a path out of the fixture directory") // New would create files anywhere
		}
		path := filepath.Join(fixtures(t), "") + "/" + name
		if bits&optRawPath != 0 && (name == "" || strings.ContainsRune(name, 0)) {
			path = name
		}
		before := openFds(t)
		var l *flock.Lock
		err := within(t, "New", func() (err error) { l, err = flock.New(path, decodeOptions(bits, perm)...); return err })
		if err != nil {
			assert.Nil(t, l)
			var pe *fs.PathError
			require.ErrorAs(t, err, &pe, "New(%q): %v", path, err)
			assert.Equal(t, "open", pe.Op, "New(%q): %v", path, err)
			assert.Equal(t, path, pe.Path, "New(%q): %v", path, err)
			assertNoNewFds(t, before, "New(%q) failed with %v", path, err)
			return
		}
		assert.Equal(t, path, l.Path())
		err = within(t, "TryLock", l.TryLock)
		if underRecordLocks && errors.Is(err, unix.EBADF) {
			// A record lock needs a descriptor open for writing to be
			// exclusive: a directory or a read-only file is shared only.
			err = within(t, "TryRLock", l.TryRLock)
		}
		assert.NoError(t, err, "TryLock after New(%q)", path)
		if err == nil {
			assert.NoError(t, l.Unlock(), "Unlock")
		}
		err = within(t, "Close", l.Close)
		assert.NoError(t, err, "Close")
		assertNoNewFds(t, before, "New(%q) and Close", path)
	})
}

// Guard, given any application name, either holds the lock, in which case a
// second Guard in the same directory fails naming this process, or fails
// with an *fs.PathError; it leaves no descriptor behind.
func FuzzGuard(f *testing.F) {
	for _, app := range []string{
		"", "app", ".", "..", "...", "a/b", "a\x00b", "fifo", "link", "dir", strings.Repeat("n", 300),
	} {
		for _, bits := range []uint8{0, optNoCreate, optNoFollow, optRemoveOnClose, optFileMode} {
			f.Add(bits, uint16(0o644), app)
		}
	}
	warmUp(f)
	f.Fuzz(func(t *testing.T, bits uint8, perm uint16, app string) {
		dir := t.TempDir()
		require.NoError(t, unix.Mkfifo(filepath.Join(dir, "fifo.lock"), 0o600))
		require.NoError(t, os.Symlink("fifo.lock", filepath.Join(dir, "link.lock")))
		require.NoError(t, os.Mkdir(filepath.Join(dir, "dir.lock"), 0o755))
		bits &^= optRecord | optPathCheck // Guard sets both itself
		opts := append(decodeOptions(bits, perm), flock.WithLockDir(dir))
		before := openFds(t)

		var l *flock.Lock
		err := within(t, "Guard", func() (err error) { l, err = flock.Guard(app, opts...); return err })
		if err != nil {
			var pe *fs.PathError
			require.ErrorAs(t, err, &pe, "Guard(%q): %v", app, err)
			assert.Contains(t, []string{"guard", "open"}, pe.Op, "Guard(%q): %v", app, err)
			assertNoNewFds(t, before, "Guard(%q) failed with %v", app, err)
			return
		}
		path := filepath.Join(dir, app+".lock")
		assert.Equal(t, path, l.Path())
		var second *flock.Lock
		err = within(t, "second Guard", func() (err error) { second, err = flock.Guard(app, opts...); return err })
		assert.Nil(t, second)
		assert.ErrorIs(t, err, flock.ErrLocked, "second Guard(%q)", app)
		var held *flock.HeldError
		if assert.True(t, errors.As(err, &held), "second Guard(%q): %v", app, err) {
			if hs := held.Holders(); assert.Len(t, hs, 1, "second Guard(%q): %v", app, err) {
				assert.Equal(t, os.Getpid(), hs[0].PID)
			}
			assert.Contains(t, err.Error(), "held by pid "+strconv.Itoa(os.Getpid()))
		}
		assert.NoError(t, l.Close())
		assertNoNewFds(t, before, "Guard(%q) and Close", app)
	})
}
