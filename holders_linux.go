// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package flock

// Who holds a lock, from the kernel, the way lslocks(8) finds out (see
// Holders for what this can and cannot know).

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const canLookUpHolders = true

// lockClass is how /proc/locks names the kind of lock this build takes.
var lockClass = func() string {
	if usesRecordLocks {
		return "POSIX"
	}
	return "FLOCK"
}()

func lookUpHolders(path string, id fileID) []Holder {
	if !procIsOurs() {
		// This /proc belongs to another PID namespace: its PIDs would
		// name the wrong processes here.
		return nil
	}
	takers := lockTakers(id.ino)
	if len(takers) == 0 {
		return nil
	}
	rec, haveRec := readRecord(path, id)
	// The takers and the processes they started (util-linux flock(1) and
	// its command, say) hold the lock far more often than anyone else:
	// look at them first, and at every process only if none of them does,
	// since that costs a system call per descriptor on the machine.
	pids, uninspected := descriptionHolders(id, withDescendants(takers))
	if len(pids) == 0 {
		pids, uninspected = descriptionHolders(id, allProcesses())
	}
	if len(pids) == 0 {
		// None that this process may inspect: name a taker it may not
		// inspect, which is therefore alive, unless a readable record
		// names someone else.
		for _, pid := range takers {
			if uninspected[pid] && (!haveRec || rec.PID == pid) {
				pids = append(pids, pid)
			}
		}
	}
	// The takers first, in the order /proc/locks gives them; then by PID.
	rank := func(pid int) int {
		if i := slices.Index(takers, pid); i >= 0 {
			return i
		}
		return len(takers)
	}
	slices.SortFunc(pids, func(a, b int) int {
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	holders := make([]Holder, 0, len(pids))
	for _, pid := range pids {
		h := Holder{PID: pid, Command: command(pid)}
		if haveRec && rec.PID == pid {
			h.Host, h.Since = rec.Host, rec.Since
		}
		holders = append(holders, h)
	}
	return holders
}

// procIsOurs reports whether /proc shows this process's PID namespace.
func procIsOurs() bool {
	self, err := os.Readlink("/proc/self")
	return err == nil && self == strconv.Itoa(os.Getpid())
}

// lockTakers returns the PIDs that /proc/locks gives for the locks of this
// build's class held on inode ino: the processes that took them. Waiters
// ("->" lines) are not holders. Devices are not compared: /proc/locks gives
// the superblock's, which on btrfs and overlayfs differs from stat's; the
// descriptors found later are matched on both.
func lockTakers(ino uint64) []int {
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		return nil
	}
	var pids []int
	for _, line := range bytes.Split(b, []byte("\n")) {
		f := strings.Fields(string(line))
		// 1: FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF
		if len(f) < 6 || f[1] == "->" || f[1] != lockClass {
			continue
		}
		if _, inode, ok := cutInode(f[5]); !ok || inode != ino {
			continue
		}
		if pid, err := strconv.Atoi(f[4]); err == nil && pid > 0 && !slices.Contains(pids, pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// cutInode splits "maj:min:inode" into the device and the inode.
func cutInode(s string) (dev string, ino uint64, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", 0, false
	}
	ino, err := strconv.ParseUint(s[i+1:], 10, 64)
	return s[:i], ino, err == nil
}

// descriptionHolders returns those of the processes pids that have a
// descriptor of the file id whose open file description holds a lock of
// this build's class: the holders now. uninspected has the processes whose
// descriptors this process may not see.
func descriptionHolders(id fileID, pids []int) (holders []int, uninspected map[int]bool) {
	uninspected = map[int]bool{}
	for _, pid := range pids {
		dir := "/proc/" + strconv.Itoa(pid)
		fds, err := os.ReadDir(dir + "/fd")
		if err != nil {
			uninspected[pid] = os.IsPermission(err)
			continue
		}
		for _, fd := range fds {
			if descriptorHolds(dir, fd.Name(), id) {
				holders = append(holders, pid)
				break
			}
		}
	}
	return holders, uninspected
}

// allProcesses returns the PIDs in /proc.
func allProcesses() []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// withDescendants returns pids and every process they started that is
// still their descendant, from the children files of their threads.
func withDescendants(pids []int) []int {
	all := slices.Clone(pids)
	for i := 0; i < len(all); i++ {
		tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(all[i]) + "/task/*/children")
		for _, task := range tasks {
			b, _ := os.ReadFile(task)
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil && !slices.Contains(all, pid) {
					all = append(all, pid)
				}
			}
		}
	}
	return all
}

// descriptorHolds reports whether descriptor fd of the process whose /proc
// directory is dir names the file id, and its description holds a lock.
func descriptorHolds(dir, fd string, id fileID) bool {
	var st unix.Stat_t
	if unix.Stat(dir+"/fd/"+fd, &st) != nil || uint64(st.Ino) != id.ino || uint64(st.Dev) != id.dev {
		return false
	}
	info, err := os.Open(dir + "/fdinfo/" + fd)
	if err != nil {
		return false
	}
	defer info.Close()
	lines := bufio.NewScanner(info)
	for lines.Scan() {
		// lock:	1: FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF
		rest, ok := strings.CutPrefix(lines.Text(), "lock:")
		if f := strings.Fields(rest); ok && len(f) >= 6 && f[1] == lockClass {
			if _, ino, ok := cutInode(f[5]); ok && ino == id.ino {
				return true
			}
		}
	}
	return false
}

// command returns the command name of process pid, or "".
func command(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// lockedInKernel reports whether /proc/locks shows a lock of this build's
// class on the file id, matched on device and inode, for a file that this
// process could not open.
func lockedInKernel(id fileID) bool {
	if !procIsOurs() {
		return false
	}
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		return false
	}
	dev := fmt.Sprintf("%02x:%02x", unix.Major(id.dev), unix.Minor(id.dev))
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[1] == "->" || f[1] != lockClass {
			continue
		}
		if d, ino, ok := cutInode(f[5]); ok && ino == id.ino && d == dev {
			return true
		}
	}
	return false
}

// readRecord reads the holder record of the file at path, if the path still
// names the file id; ok is false if there is none, or it cannot be read.
// With record locks it reads nothing: closing the descriptor it would open
// would release every lock this process holds on the file.
func readRecord(path string, id fileID) (h Holder, ok bool) {
	if usesRecordLocks {
		return h, false
	}
	f, err := openNoFollow(path)
	if err != nil {
		return h, false
	}
	defer f.Close()
	if d, err := descriptor(f); err != nil || d.id != id {
		return h, false
	}
	buf := make([]byte, 256)
	n, _ := f.ReadAt(buf, 0)
	return parseRecord(buf[:n])
}

func parseRecord(b []byte) (Holder, bool) {
	var h Holder
	lines := bufio.NewScanner(bytes.NewReader(b))
	if !lines.Scan() {
		return h, false
	}
	pid, err := strconv.Atoi(lines.Text())
	if err != nil || pid <= 0 {
		return h, false
	}
	h.PID = pid
	for lines.Scan() {
		key, value, _ := strings.Cut(lines.Text(), "=")
		switch key {
		case "host":
			h.Host = value
		case "since":
			h.Since, _ = time.Parse(time.RFC3339Nano, value)
		}
	}
	return h, true
}

// openNoFollow opens path to read it, refusing a link, and without waiting
// for a FIFO's writer.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
}
