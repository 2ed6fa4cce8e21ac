// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build aix || (solaris && !illumos) || (flock_fcntl && (darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd))

package flock

// AIX and Solaris have no flock(2), so a Lock there is a POSIX record lock
// (fcntl F_SETLK over the whole file). The flock_fcntl build tag selects this
// file on the flock systems too, so that the test suite can run it on Linux.
// Record locks differ from flock locks in three ways that this file makes up
// for:
//
//   - They belong to the process, not to the open file description: a second
//     request from the same process never conflicts, it converts the lock.
//     So a table keyed by inode records which of this process's Locks hold
//     each file, and settles conflicts between them before asking the kernel.
//   - Closing any descriptor of the file releases every lock the process
//     holds on it. So nothing here duplicates a descriptor, and closeLockFile
//     keeps a closed Lock's file open while another Lock of this process
//     holds the same file.
//   - An exclusive lock needs a descriptor open for writing, so the file is
//     opened read-write where the process may write it, and read-only (shared
//     locks only; an exclusive one fails with EBADF) where it may not, as for
//     a directory.
//
// A wait polls with F_SETLK (wait.go). Blocking in F_SETLKW is not an
// option: nothing can interrupt it (the runtime's signal handlers use
// SA_RESTART, and closing a descriptor to wake it would release the
// process's other locks), and these kernels detect deadlocks per process
// rather than per thread, so it fails with spurious EDEADLK when goroutines
// of two processes wait on each other's files (golang/go#32817).
// F_SETLK never waits, so it takes no part in deadlock detection; should it
// report EDEADLK all the same, that counts as "held elsewhere, try later".

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// usesRecordLocks reports whether this build locks with fcntl record locks.
const usesRecordLocks = true

// errNotWritable is the cause when an exclusive lock is asked of a file that
// is open read-only. errors.Is(err, unix.EBADF) still holds.
var errNotWritable = fmt.Errorf("an exclusive fcntl lock needs the file open for writing: %w", unix.EBADF)

func openLockFile(path string, o *options) (*os.File, error) {
	if path == "" {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrInvalid}
	}
	if o.guard {
		return openGuardFile(path, o)
	}
	flag := os.O_RDWR | unix.O_NONBLOCK | unix.O_NOCTTY // O_NONBLOCK: see lock_unix.go
	if o.noFollow {
		flag |= unix.O_NOFOLLOW
	}
	if !o.noCreate {
		flag |= os.O_CREATE
	}
	f, err := os.OpenFile(path, flag, o.perm)
	if err != nil && !o.record && (errors.Is(err, unix.EACCES) || errors.Is(err, unix.EISDIR) ||
		errors.Is(err, unix.EROFS) || errors.Is(err, unix.ETXTBSY)) {
		flag &^= os.O_RDWR
		f, err = os.OpenFile(path, flag, o.perm)
		if err != nil && errors.Is(err, unix.EISDIR) {
			f, err = os.OpenFile(path, flag&^os.O_CREATE, 0)
		}
	}
	return openedLockFile(path, f, err, o)
}

// An inode is a file that Locks of this process lock. Its fields are guarded
// by table's mutex.
type inode struct {
	id      fileID
	readers int  // Locks sharing the lock; the process holds F_RDLCK while > 0
	writer  bool // a Lock holds it exclusively; the process holds F_WRLCK
	handles int  // registered descriptors of the file
	orphans []*os.File
}

// A handle is a descriptor that a Lock locks through. It keeps the file
// reachable until closeLockFile: should a Lock that never held the lock be
// dropped without Close, its file's cleanup would close the descriptor and
// release the locks of the process's other Locks on the file.
type handle struct {
	inode *inode
	held  mode
	file  *os.File
}

var table struct {
	sync.Mutex
	fds    map[int]*handle
	inodes map[fileID]*inode
}

func (in *inode) busy() bool { return in.readers > 0 || in.writer }

// A descr is what the lock calls take: a Lock's descriptor and the identity
// of its file.
type descr struct {
	fd int
	id fileID
}

// descriptor registers f's descriptor with the inode table.
func descriptor(f *os.File) (descr, error) {
	fd, err := fdOf(f)
	if err != nil {
		return descr{}, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return descr{}, err
	}
	id := fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}
	table.Lock()
	defer table.Unlock()
	if table.fds == nil {
		table.fds = make(map[int]*handle)
		table.inodes = make(map[fileID]*inode)
	}
	if old := table.fds[fd]; old != nil {
		// The descriptor was closed behind the table's back and its number
		// reused; forget what it held.
		old.unregister()
	}
	in := table.inodes[id]
	if in == nil {
		in = &inode{id: id}
		table.inodes[id] = in
	}
	in.handles++
	table.fds[fd] = &handle{inode: in, file: f}
	return descr{fd: fd, id: id}, nil
}

// unregister forgets h, which holds nothing any more. Called with table
// locked.
func (h *handle) unregister() {
	h.setHeld(unlocked)
	in := h.inode
	if in.handles--; in.handles == 0 && len(in.orphans) == 0 {
		delete(table.inodes, in.id)
	}
}

// setHeld records what h holds, in h and in its inode. Called with table
// locked.
func (h *handle) setHeld(m mode) {
	in := h.inode
	switch h.held {
	case shared:
		in.readers--
	case exclusive:
		in.writer = false
	}
	switch m {
	case shared:
		in.readers++
	case exclusive:
		in.writer = true
	}
	h.held = m
}

// closeLockFile closes a Lock's file, unless another Lock of this process
// holds the same file: closing it then would release that Lock's lock in the
// kernel, so the file stays open until the last holder unlocks.
func closeLockFile(f *os.File) error {
	fd, err := fdOf(f)
	if err != nil {
		return f.Close()
	}
	table.Lock()
	h := table.fds[fd]
	if h == nil {
		table.Unlock()
		return f.Close()
	}
	delete(table.fds, fd)
	h.unregister()
	if in := h.inode; in.busy() {
		in.orphans = append(in.orphans, f)
		table.Unlock()
		return nil
	}
	table.Unlock()
	return f.Close()
}

// tryLockFd takes the lock without waiting; it returns ErrLocked when another
// process or another Lock of this one holds it.
func tryLockFd(d descr, m mode) error {
	fd := d.fd
	table.Lock()
	defer table.Unlock()
	h := table.fds[fd]
	if h == nil {
		return unix.EBADF
	}
	if h.held == m {
		return nil
	}
	in := h.inode
	others := in.readers
	if h.held == shared {
		others--
	}
	switch {
	case in.writer && h.held != exclusive, m == exclusive && others > 0:
		return ErrLocked
	case m == shared && others > 0:
		h.setHeld(shared) // the process holds F_RDLCK already
		return nil
	}
	typ := int16(unix.F_RDLCK)
	if m == exclusive {
		typ = unix.F_WRLCK
	}
	err := setlk(fd, typ)
	switch {
	case err == unix.EAGAIN || err == unix.EACCES || err == unix.EDEADLK:
		return ErrLocked
	case err == unix.EBADF && m == exclusive:
		return errNotWritable
	case err != nil:
		return err
	}
	h.setHeld(m)
	return nil
}

// unlockFd releases what fd's Lock holds, and nothing if it holds nothing:
// an F_UNLCK would release the locks of the process's other Locks too.
func unlockFd(d descr) error {
	fd := d.fd
	table.Lock()
	defer table.Unlock()
	h := table.fds[fd]
	if h == nil || h.held == unlocked {
		return nil
	}
	h.setHeld(unlocked)
	in := h.inode
	if in.busy() {
		return nil // other Locks still share it
	}
	err := setlk(fd, unix.F_UNLCK)
	for _, f := range in.orphans {
		f.Close()
	}
	in.orphans = nil
	if in.handles == 0 {
		delete(table.inodes, in.id)
	}
	return err
}

func setlk(fd int, typ int16) error {
	lk := unix.Flock_t{Type: typ, Whence: 0, Start: 0, Len: 0} // the whole file
	return ignoringEINTR(func() error { return unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &lk) })
}
