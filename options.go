// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

import "io/fs"

// An Option changes how [New] opens the lock file or how a [Lock] waits.
type Option func(*options)

type options struct {
	perm     fs.FileMode
	noCreate bool
	onWait   func(path string)
}

func defaultOptions() options {
	// 0600 by default: flock needs only a readable descriptor, so anyone who
	// can open the file can take the lock and hold a daemon hostage. Sharing a
	// lock between users is a decision the caller makes with WithFileMode.
	return options{perm: 0o600}
}

// WithFileMode sets the permission bits of a lock file that [New] creates
// (the process umask still applies). It has no effect on an existing file.
// The default is 0600.
func WithFileMode(perm fs.FileMode) Option {
	return func(o *options) { o.perm = perm.Perm() }
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
// before the wait starts, so it must not block or call the same [Lock].
func WithWaitHook(fn func(path string)) Option {
	return func(o *options) { o.onWait = fn }
}
