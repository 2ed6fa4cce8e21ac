// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

// This file says who holds a lock: the Holder and HeldError types, the
// Holders function, and the holder record that adds a host and a time to
// what the kernel knows.

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"
)

// A Holder is a process that holds a lock.
type Holder struct {
	PID     int
	Command string    // the process's command name, as ps shows it; "" if unknown
	Host    string    // from the holder record; "" without one
	Since   time.Time // when it won the lock, from the holder record; zero without one
}

// A HeldError is the cause, inside the [*fs.PathError] that [Lock.TryLock],
// [Lock.TryRLock] and [Guard] return, when someone else holds the lock.
// errors.Is(err, [ErrLocked]) holds for it.
//
// Who holds the lock is looked up the first time [HeldError.Holders] or
// Error is called, not when the lock is found taken, so that a failed
// TryLock stays cheap. The answer is as of that moment.
type HeldError struct {
	path string
	id   fileID

	once    sync.Once
	holders []Holder
}

// Holders returns the processes that hold the lock, or none if they cannot
// be known (see [Holders] for when).
func (e *HeldError) Holders() []Holder {
	e.once.Do(func() { e.holders = lookUpHolders(e.path, e.id) })
	return append([]Holder(nil), e.holders...)
}

// Error says who holds the lock, such as "held by pid 4242 (mydaemon) on
// web1 since 2026-11-22T06:50:00Z", or, if that cannot be known, what
// [ErrLocked] says.
func (e *HeldError) Error() string {
	hs := e.Holders()
	if len(hs) == 0 {
		return ErrLocked.Error()
	}
	var b strings.Builder
	b.WriteString("held by ")
	for i, h := range hs {
		switch {
		case i == 0:
		case i == len(hs)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "pid %d", h.PID)
		if h.Command != "" {
			fmt.Fprintf(&b, " (%s)", h.Command)
		}
		if h.Host != "" {
			fmt.Fprintf(&b, " on %s", h.Host)
		}
		if !h.Since.IsZero() {
			fmt.Fprintf(&b, " since %s", h.Since.UTC().Format(time.RFC3339))
		}
	}
	return b.String()
}

func (e *HeldError) Unwrap() error { return ErrLocked }

// busyError is the cause for a lock that someone else holds. Called with
// l.mu held: it only notes which file, and looks up nothing.
func (l *Lock) busyError() error {
	return &HeldError{path: l.path, id: l.d.id}
}

// Holders returns the processes that hold a lock on the file at path,
// without taking it; none if the lock is free.
//
// On Linux the kernel says who holds it, the way lslocks(8) finds out: the
// locks on the file in /proc/locks, then the processes whose open file
// descriptions hold one of them, in /proc/PID/fdinfo (the PID in /proc/locks
// is the process that took the lock, which may have exited while a child it
// forked holds it). That finds any holder: util-linux flock(1) and the
// command it runs, Python's fcntl.flock, another Go program. The processes
// that took the locks and those they started are looked at first; every
// process on the machine only if none of them holds a lock, which costs a
// system call per open descriptor on the machine. So while one of them
// holds it, a process that shares its open file description without being
// its descendant (it was handed the descriptor over a Unix socket, say) is
// not listed. A holder record (see [WithHolderRecord]) adds a host and a
// time to the holder it names, and is ignored unless it names a current
// holder.
//
// The limits: a holder in another PID namespace (another container) is not
// in this process's /proc and cannot be known. A holder whose descriptors
// this process may not inspect (another user's process, unless this one
// runs as root) is known only as the PID in /proc/locks, and only while that
// process is alive and, where the holder record is readable, the record
// names it. An OFD lock (fcntl F_OFD_SETLK, shown with PID -1) does not
// conflict with flock(2) and is not a holder. If the holders cannot be known
// the list is empty although the lock is held; [Lock.TryLock] says whether
// it is.
//
// On other systems the kernel does not say, and Holders returns an error
// wrapping [errors.ErrUnsupported]. Every error is an [*fs.PathError].
func Holders(path string) ([]Holder, error) {
	id, err := pathID(path)
	if err != nil {
		return nil, err
	}
	if !canLookUpHolders {
		return nil, &fs.PathError{Op: "holders", Path: path, Err: errHoldersUnsupported}
	}
	return lookUpHolders(path, id), nil
}

// writeRecord writes the record of this process, which just won the
// exclusive lock, over what the file held. Called by the owner.
func (l *Lock) writeRecord() error {
	host, _ := os.Hostname()
	rec := fmt.Sprintf("%d\nhost=%s\nsince=%s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339Nano))
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	_, err := l.f.WriteAt([]byte(rec), 0)
	return err
}
