// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

// Package flock provides advisory file locks built on flock(2): the guard a
// daemon takes to refuse a second start, and a mutex that goroutines of
// several processes can share, with waits that a [context.Context] cancels.
//
// A [Lock] keeps its lock file open and locks that descriptor, so the lock
// belongs to the open file description: another open of the same path, in
// this process or any other, conflicts with it. The kernel releases the lock
// when the last descriptor of that description is closed, which includes the
// process exiting or being killed by SIGKILL. This is why a flock lock file,
// unlike a PID file, never goes stale. Descriptors are opened close-on-exec,
// so programs started with os/exec do not inherit the lock.
//
// Inside one process a Lock behaves like a [sync.RWMutex] that other
// processes also respect: while one goroutine holds it exclusively, the
// others' TryLock fails with [ErrLocked] and their Lock waits. A Lock is not
// reentrant: a goroutine that calls Lock while it holds the lock deadlocks.
// Of the goroutines that wait for one Lock, at most one waits in the kernel;
// the others queue in the process, first come first served.
//
// The limits are those of flock(2). Locks are advisory: they bind only
// programs that take them. Converting a shared lock to an exclusive one (or
// back) is not atomic in the kernel, so this package offers no upgrade: call
// Unlock, then Lock. On NFS, Linux emulates flock with byte-range locks, which
// needs a descriptor open for writing for an exclusive lock. A lock file that
// is removed or replaced while held guards an inode nobody else will open:
// never delete a lock file that may be in use.
//
// [Guard] is the one call a daemon needs: it takes the application's lock,
// at one path per machine, without waiting, safely in a directory that
// other users can write, and a second instance is told who runs.
//
// # Who holds a lock
//
// When a lock is taken, the error wraps a [*HeldError], whose Holders
// method (and [Holders], for a lock this process does not try) asks the
// kernel who holds it. Only Linux says: there the answer covers any holder,
// within the limits that [Holders] states (PID namespaces, other users'
// processes). A holder record ([WithHolderRecord]) adds a host and a time,
// and only to a holder the kernel names, so that a record left by a dead
// process is never taken for the holder.
//
// # Errors
//
// Every error is an [*fs.PathError] that names the operation and the lock
// file: contention wraps [ErrLocked], a wait that its context ended wraps
// the context's error, misuse wraps [ErrNotLocked], [fs.ErrClosed] or
// [fs.ErrInvalid], and a failed system call wraps its errno, so that
// errors.Is works for each.
//
// # Platforms
//
// How a wait for a lock that is taken is made differs by system:
//
//	system                  lock                            a wait
//	Linux                   flock(2)                        in the kernel, interrupted at once by a
//	                                                        cancel or Close
//	darwin, the BSDs,       flock(2)                        polls
//	illumos
//	Windows                 LockFileEx on one byte far      in the kernel, interrupted at once by a
//	                        past the end of the file        cancel or Close; polls under Wine
//	AIX, Solaris            fcntl record locks              polls
//	anything else           none: errors wrapping           -
//	                        [errors.ErrUnsupported]
//
// A wait in the kernel is made on an OS thread of its own, and at most 128
// goroutines of a process wait in the kernel at once; further waits poll
// until a place frees up, so that any number of waiting Locks stays within
// the runtime's limit on threads. On Linux a wait is also made by polling
// when the program ignores SIGURG, or blocks it in the waiting thread: the
// signal is what interrupts the kernel wait. A poll tries the lock without
// waiting, then sleeps, from 1 ms doubling to 100 ms, with ±10% jitter, so
// that it is cheap for long waits and pollers in several processes drift
// apart. Where waits poll, no sound way is known to interrupt a blocked
// lock call from Go without cgo, and a call blocked in the kernel that
// nothing can interrupt would take the lock later for nobody.
//
// On Windows, locks are mandatory, so the lock covers one byte that no file
// reaches and the file's content stays readable; directories cannot be
// locked. AIX and Solaris have no flock(2): there the process keeps a table
// so that two Locks on one file still exclude each other, a file that can
// only be opened read-only takes shared locks only, and closing any other
// descriptor of the lock file in the process (an os.ReadFile of it, say)
// releases the lock, as POSIX requires. On every other system, every
// locking method returns an error wrapping [errors.ErrUnsupported], so that
// importing the package never breaks a build.
package flock
