// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

// The platform contract. Every build of the package provides the unexported
// functions declared below, with these signatures, and the rest of the
// package is written against them alone; the declarations make the compiler
// check the contract for every GOOS the cross-build builds.
//
//	file                  built for                                   provides
//	flock_unix.go         darwin dragonfly freebsd illumos linux      the lock, with flock(2)
//	                      netbsd openbsd (not with -tags flock_fcntl)
//	flock_linux.go        linux (not with flock_poll or flock_fcntl)  which files answer flock(2) at once
//	flock_nolinux.go      the other flock_unix.go builds              the same: none
//	lock_fcntl.go         aix, solaris; the flock systems with        the lock, with fcntl record locks
//	                      -tags flock_fcntl
//	lock_windows.go       windows                                     the lock, with LockFileEx
//	lock_other.go         every other GOOS                            errors wrapping errors.ErrUnsupported
//	open_unix.go          every Unix                                  what every Unix does after open(2)
//	guardfile_unix.go     every Unix                                  Guard's safe open, with file modes
//	guardfile_windows.go  windows                                     Guard's safe open, with ACLs
//	privatedir_nounix.go  windows and the rest that are not Unix      the per-user directory, without modes
//	holders_linux.go      linux                                       who holds a lock, from /proc
//	holders_other.go      everything else                             nobody knows
//	wait_kernel.go        linux (not with -tags flock_poll or         the interruptible kernel wait, with
//	                      flock_fcntl), windows                       sysWait from the two files below
//	wait_linux.go         the same linux builds                       sysWait: dup3 and SIGURG
//	wait_windows.go       windows                                     sysWait: CancelSynchronousIo
//	wait_nokernel.go      everything else                             no kernel wait: every wait polls
//
// The tag flock_poll builds on Linux exactly what darwin and the BSDs run
// (flock(2), and waits that poll), and flock_fcntl what AIX and Solaris run,
// so that the test suite runs both here.

import (
	"context"
	"os"
)

var (
	// openLockFile opens (and creates, unless o says not to) the lock file
	// at path for New; every error is an *fs.PathError with Op "open".
	_ func(path string, o *options) (*os.File, error) = openLockFile
	// descriptor returns what the lock calls take for f: a descr, which
	// each platform defines with at least fd, the descriptor (a handle on
	// Windows), and id, the file's identity.
	_ func(f *os.File) (descr, error) = descriptor
	// tryLockFd takes the lock in mode m without waiting, or returns
	// ErrLocked if someone else holds it.
	_ func(d descr, m mode) error = tryLockFd
	// unlockFd releases the lock; releasing a lock not held is not an error.
	_ func(d descr) error = unlockFd
	// closeLockFile closes a Lock's file.
	_ func(f *os.File) error = closeLockFile
	// usesRecordLocks reports whether the lock is an fcntl record lock.
	_ bool = usesRecordLocks
)

// What Guard needs of each platform.
var (
	// pathID returns the identity of the file at path; errors are
	// *fs.PathError values with Op "holders".
	_ func(path string) (fileID, error) = pathID
	// mayWriteRecord reports whether the holder record may be written
	// into f: a regular file with one link, this user's and open for
	// writing.
	_ func(f *os.File) bool = mayWriteRecord
	// checkPrivateDir and makePrivateDir require (and make) a directory
	// that is this user's alone.
	_ func(dir string) error = checkPrivateDir
	_ func(dir string) error = makePrivateDir
	// canLookUpHolders reports whether lookUpHolders can know anything;
	// lockedInKernel whether the kernel shows a lock on a file that this
	// process could not open.
	_ bool                                  = canLookUpHolders
	_ func(path string, id fileID) []Holder = lookUpHolders
	_ func(id fileID) bool                  = lockedInKernel
)

// The kernel wait, where the platform has one (wait_kernel.go), or its
// absence (wait_nokernel.go).
var (
	_ bool                                             = interruptibleKernelWaits
	_ func(*kernelWait, error)                         = (*kernelWait).end
	_ func(*Lock) *kernelWait                          = (*Lock).waiterToEnd
	_ func(*Lock, context.Context, mode) (bool, error) = (*Lock).waitInKernel
)

// A fileID is the identity of a file: its device and inode number, or
// whatever the system has in their place.
type fileID struct{ dev, ino uint64 }
