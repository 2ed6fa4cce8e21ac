// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

import "io/fs"

// An Option changes how [New] opens the lock file or how a [Lock] waits.
type Option func(*options)

type options struct {
	perm          fs.FileMode
	noCreate      bool
	noFollow      bool
	record        bool // write the holder in the file; needs it open for writing
	pathCheck     bool
	removeOnClose bool
	onWait        func(path string)

	// Guard's
	guard     bool // open the file as Guard does (guardfile_unix.go)
	dir       string
	userScope bool
	permSet   bool // WithFileMode was given
}

func newOptions(opts []Option) options {
	// 0600 by default: flock needs only a readable descriptor, so anyone who
	// can open the file can take the lock and hold a daemon hostage. Sharing a
	// lock between users is a decision the caller makes with WithFileMode.
	o := options{perm: 0o600}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// checksAfterWin reports whether winning the lock in mode m is followed by
// work on the file: the path check, or writing the holder record.
func (o *options) checksAfterWin(m mode) bool {
	return o.pathCheck || o.record && m == exclusive
}

// WithFileMode sets the permission bits of a lock file that [New] creates
// (the process umask still applies). It has no effect on an existing file.
// The default is 0600.
func WithFileMode(perm fs.FileMode) Option {
	return func(o *options) { o.perm, o.permSet = perm.Perm(), true }
}

// WithoutCreate makes [New] fail with an error wrapping [fs.ErrNotExist]
// instead of creating a missing lock file.
func WithoutCreate() Option {
	return func(o *options) { o.noCreate = true }
}

// WithWaitHook sets a function that a blocking lock call ([Lock.Lock],
// [Lock.LockContext] and their shared forms) calls once, with the lock file's
// path, when it finds the lock taken and is about to wait: the place for a
// daemon to log "waiting for lock on PATH". It runs on the waiting goroutine
// before the wait starts, so it must not block or call the same [Lock]. If
// it panics, the panic reaches the caller of the lock call, and the Lock is
// left as if that call had not been made.
func WithWaitHook(fn func(path string)) Option {
	return func(o *options) { o.onWait = fn }
}

// WithoutSymlinks makes [New] refuse a path whose last element is a symbolic
// link (O_NOFOLLOW). Use it for lock files in directories that other users
// can write, such as /tmp, where a planted link could make the program create
// or lock a file of the attacker's choosing. By default links are followed,
// as util-linux flock(1) does.
func WithoutSymlinks() Option {
	return func(o *options) { o.noFollow = true }
}

// WithHolderRecord makes the Lock write who holds it into the lock file each
// time it wins the exclusive lock: the process ID on the first line, then
// the host name and the time. The file is written only after the lock is
// won and emptied before it is released, so a process that loses the race
// never disturbs the holder's record. It needs a regular file that the
// process can write: the file is opened read-write.
// When [Lock.TryLock] finds the lock held and the file names the holder, the
// error carries it as a [*HeldError].
func WithHolderRecord() Option {
	return func(o *options) { o.record = true }
}

// WithPathCheck makes every acquisition check, once it holds the lock, that
// the path still names the file it locked. A lock on a file that was removed
// or replaced (by a cleaner, or by rename) excludes nobody, because the next
// process opens the new file. If the check fails, the Lock reopens the path
// and tries again: after a wait, as often as it takes (that is how waiters
// follow a file removed by [WithRemoveOnClose]); after winning the file at
// once, ten times, then it gives up with an error, since a path replaced
// every time it is won is a livelock. The check costs two stat calls per
// acquisition.
func WithPathCheck() Option {
	return func(o *options) { o.pathCheck = true }
}

// WithRemoveOnClose makes [Lock.Close] remove the lock file, safely: only
// while it holds the exclusive lock (it tries to take it without waiting if
// it does not), and only if the path still names its file. Waiters blocked on
// the removed file then find it gone and reopen the path. It implies
// [WithPathCheck], and it is safe only if every process that locks the file
// uses it too: a process that does not re-check the path can end up holding
// a lock on the removed file while another holds the new one.
func WithRemoveOnClose() Option {
	return func(o *options) { o.removeOnClose, o.pathCheck = true, true }
}

// WithLockDir sets the directory in which [Guard] creates its lock file,
// instead of the first writable one of $XDG_RUNTIME_DIR, /run/lock, /var/lock
// and the temporary directory. Other functions ignore it.
func WithLockDir(dir string) Option {
	return func(o *options) { o.dir = dir }
}
