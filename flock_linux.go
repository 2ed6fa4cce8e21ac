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

// flockNoWait makes a flock(2) call that cannot wait: LOCK_NB, or LOCK_UN.
// On a local file system such a call returns at once, so it skips the
// scheduler's bookkeeping for a system call that may block (RawSyscall),
// which raw unix.Flock pays: a TryLock and Unlock take 1.21 µs this way and
// 1.29 µs through the scheduler on the AMD EPYC VM of bench/BENCHMARKS.md.
// On a network or FUSE file system even these calls may wait for a server,
// so they go through the scheduler like any other.
//
// Skipping it has a cost where many processes contend on few CPUs: a
// release that wakes a waiter may switch this thread out, and a goroutine
// the runtime takes to be running Go code gets a preemption signal once it
// has gone 10 ms without being rescheduled. At 32 processes on 2 CPUs, a
// LOCK_UN through the scheduler gained ours 0 to 4% of throughput, but
// lost 2 to 8% at 2 and 4 processes (one-off builds, interleaved); so both
// calls skip it.
func flockNoWait(d descr, how int) error {
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
