// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux && !flock_fcntl && !flock_poll

package flock

import "golang.org/x/sys/unix"

// onLocalFS reports whether fd's file is on a file system that answers a
// flock(2) call that cannot wait (LOCK_NB, LOCK_UN) at once, from its own
// lock tables: one whose locks are the kernel's generic ones. Network file
// systems (NFS, CIFS, Ceph, GFS2, OCFS2), FUSE and anything not listed may
// take a round trip to a server or a daemon even for those, and are not.
func onLocalFS(fd int) bool {
	var st unix.Statfs_t
	if ignoringEINTR(func() error { return unix.Fstatfs(fd, &st) }) != nil {
		return false
	}
	switch uint32(st.Type) {
	case unix.EXT4_SUPER_MAGIC, // also ext2 and ext3
		unix.XFS_SUPER_MAGIC,
		unix.BTRFS_SUPER_MAGIC,
		unix.TMPFS_MAGIC, // also devtmpfs
		unix.RAMFS_MAGIC,
		unix.OVERLAYFS_SUPER_MAGIC, // locks on the overlay's own inode
		unix.F2FS_SUPER_MAGIC,
		0x2fc12fc1: // ZFS on Linux, which uses the generic locks
		return true
	}
	return false
}

// flockTry makes a LOCK_NB flock(2) call. On a local file system it returns
// at once, so it skips the scheduler's bookkeeping for a system call that
// may block (RawSyscall), which raw unix.Flock pays. On a network or FUSE
// file system even this call may wait for a server, so it goes through the
// scheduler like any other. A release does not skip it; see unlockFd.
func flockTry(d descr, how int) error {
	if !d.local {
		return ignoringEINTR(func() error { return unix.Flock(d.fd, how) })
	}
	for {
		_, _, e := unix.RawSyscall(unix.SYS_FLOCK, uintptr(d.fd), uintptr(how), 0)
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return e
	}
}
