// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build aix || darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || solaris

package flock

// This file opens Guard's lock file safely in a directory that other users
// can write (/run/lock, /var/tmp: mode 1777), and decides whether a file may
// take the holder record.

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// openGuardFile never follows a link at path, and never opens a file that
// someone else put there believing it made it: it creates the file with
// O_EXCL if it is not there, and opens an existing one without O_CREAT (in
// a sticky directory, fs.protected_regular refuses an O_CREAT open of
// another user's file even when the file exists). It opens read-write where
// it may and read-only where it may not (another user's file: flock needs
// only read access), and refuses anything but a regular file with one link,
// checked on the descriptor, not the path.
func openGuardFile(path string, o *options) (*os.File, error) {
	const flags = unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY
	for range 3 { // an existing file may be removed before it is opened
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|flags, o.perm)
		if err == nil {
			// Exactly o.perm, whatever the umask: an umask of 077 would
			// lock every other user out of a machine-wide guard.
			if err := f.Chmod(o.perm); err != nil {
				f.Close()
				return nil, &fs.PathError{Op: "open", Path: path, Err: err}
			}
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, &fs.PathError{Op: "open", Path: path, Err: cannotCreate(path, bare(err))}
		}
		f, err = os.OpenFile(path, os.O_RDWR|flags, 0)
		if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EROFS) {
			f, err = os.OpenFile(path, os.O_RDONLY|flags, 0)
		}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case refusedLink(err):
			return nil, &fs.PathError{Op: "open", Path: path, Err: errGuardSymlink}
		case errors.Is(err, unix.EISDIR) || errors.Is(err, unix.ENXIO):
			return nil, &fs.PathError{Op: "open", Path: path, Err: errGuardNotRegular} // a directory, a socket
		case errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM):
			return nil, &fs.PathError{Op: "open", Path: path, Err: newAccessDenied(path, bare(err))}
		case err != nil:
			return nil, err
		}
		if err := checkGuardFile(f); err != nil {
			f.Close()
			return nil, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return f, nil
	}
	return nil, &fs.PathError{Op: "open", Path: path, Err: errKeepsBeingReplaced}
}

// checkGuardFile refuses what Guard must not lock: anything but a regular
// file, and a file with more than one link, which may be another file that
// someone linked there.
func checkGuardFile(f *os.File) error {
	var st unix.Stat_t
	if err := fstat(f, &st); err != nil {
		return err
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return errGuardNotRegular
	case st.Nlink != 1:
		return fmt.Errorf("has %d links: Guard never locks a file that may be another file linked there; remove it", st.Nlink)
	}
	return nil
}

// mayWriteRecord reports whether the holder record may be written into f: a
// regular file with a single link, owned by this process's user and open
// for writing. Anything else is someone else's file, or a link that someone
// planted to another file.
func mayWriteRecord(f *os.File) bool {
	var st unix.Stat_t
	if fstat(f, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Nlink != 1 || int(st.Uid) != os.Geteuid() {
		return false
	}
	fd, err := fdOf(f)
	if err != nil {
		return false
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	return err == nil && fl&unix.O_ACCMODE == unix.O_RDWR
}

func fstat(f *os.File, st *unix.Stat_t) error {
	fd, err := fdOf(f)
	if err != nil {
		return err
	}
	return ignoringEINTR(func() error { return unix.Fstat(fd, st) })
}

func newAccessDenied(path string, err error) *accessDenied {
	d := &accessDenied{owner: "unknown", err: err}
	var st unix.Stat_t
	if unix.Lstat(path, &st) == nil {
		d.owner, d.mode = userName(int(st.Uid)), fs.FileMode(st.Mode&0o7777)
	}
	return d
}

// userName returns "uid N (name)", with the name from /etc/passwd if it has
// one for uid.
func userName(uid int) string {
	s := "uid " + strconv.Itoa(uid)
	f, err := os.Open("/etc/passwd")
	if err != nil {
		return s
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if fields := strings.Split(lines.Text(), ":"); len(fields) > 2 && fields[2] == strconv.Itoa(uid) {
			return s + " (" + fields[0] + ")"
		}
	}
	return s
}

// checkPrivateDir requires dir to be a directory of this user's that no one
// else may write.
func checkPrivateDir(dir string) error {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return &fs.PathError{Op: "stat", Path: dir, Err: err}
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return fmt.Errorf("%s is not a directory", dir)
	case int(st.Uid) != os.Geteuid():
		return fmt.Errorf("%s belongs to %s, not to this user; remove it", dir, userName(int(st.Uid)))
	case st.Mode&0o022 != 0:
		return fmt.Errorf("%s has mode %04o: others may write it; make it 0700", dir, st.Mode&0o7777)
	}
	return nil
}

// makePrivateDir creates dir with mode 0700 unless it exists, then requires
// it to be private (checkPrivateDir).
func makePrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return checkPrivateDir(dir)
}
