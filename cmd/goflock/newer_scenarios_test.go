// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import (
	"os/exec"
	"testing"
)

// TestNewerOptions covers what flock 2.38.1 lacks: --fcntl (Linux open file
// description locks, util-linux 2.41) and --fd (util-linux master). They
// run with goflock only, against expectations taken from util-linux's
// source.
func TestNewerOptions(t *testing.T) {
	runScenarios(t, []scenario{{
		name: "--fcntl conflicts with lockf and fcntl locks, not with flock",
		script: `hold p pylock hold lockf ex L p
"$FLOCK" --fcntl -n L true; echo "python lockf ex, --fcntl: $?"
"$FLOCK" --fcntl -s -n L true; echo "python lockf ex, --fcntl -s: $?"
"$FLOCK" -n L echo flock is independent
release p
hold p pylock hold lockf sh L p
"$FLOCK" --fcntl -s -n L echo shared with lockf
"$FLOCK" --fcntl -n -E 3 L true; echo "python lockf sh, --fcntl -x: $?"
release p
hold h "$FLOCK" --fcntl L ./holder h
pylock try lockf sh L
"$FLOCK" --fcntl -s -n L true; echo "--fcntl -s: $?"
"$FLOCK" -n L echo flock still free
release h`,
		stdout: "python lockf ex, --fcntl: 1\npython lockf ex, --fcntl -s: 1\nflock is independent\np exit=0\n" +
			"shared with lockf\npython lockf sh, --fcntl -x: 3\np exit=0\n" +
			"python lockf sh: busy\n--fcntl -s: 1\nflock still free\nh exit=0\n",
		goflockOnly: true,
	}, {
		name: "--fcntl waits",
		script: `hold h "$FLOCK" --fcntl L ./holder h
"$FLOCK" --fcntl --verbose -w 0.1 L true; echo "timeout: $?"
"$FLOCK" --fcntl -w 60 L echo got it after waiting > w1.out & w1=$!
"$FLOCK" --fcntl L echo got it after blocking > w2.out & w2=$!
release h
wait $w1; echo "-w: $?"; wait $w2; echo "blocking: $?"
cat w1.out w2.out`,
		stdout:      "timeout: 1\nh exit=0\n-w: 0\nblocking: 0\ngot it after waiting\ngot it after blocking\n",
		stderr:      "FLOCK: timeout while waiting to get lock\n",
		goflockOnly: true,
	}, {
		name: "--fcntl on descriptors",
		script: `exec 9<>L
"$FLOCK" --fcntl -n 9; echo "lock: $?"
pylock try lockf sh L
"$FLOCK" --fcntl -u 9; echo "unlock: $?"
pylock try lockf ex L
exec 8<L
"$FLOCK" --fcntl -n 8; echo "exclusive on a read-only descriptor: $?"
"$FLOCK" --fcntl -s -n 8; echo "shared on it: $?"`,
		stdout: "lock: 0\npython lockf sh: busy\nunlock: 0\npython lockf ex: got it\n" +
			"exclusive on a read-only descriptor: 65\nshared on it: 0\n",
		stderr:      "FLOCK: 8: Bad file descriptor\n",
		goflockOnly: true,
	}, {
		// An exclusive OFD lock needs a writable descriptor, and a
		// directory opens read-only: the NFS retry reopens it, finds a
		// directory again, and flock(1) reports that.
		name: "--fcntl on a directory",
		script: `mkdir D
"$FLOCK" --fcntl -s D echo shared works
"$FLOCK" --fcntl D true; echo "exclusive: $?"`,
		stdout:      "shared works\nexclusive: 65\n",
		stderr:      "FLOCK: D: Is a directory\n",
		goflockOnly: true,
	}, {
		name: "--fd with a command",
		script: `exec 9>L
"$FLOCK" --fd 9 sh -c '"$PYTHON" "$PYLOCK" try flock ex L'
pylock try flock ex L
"$FLOCK" --fd 9 -c 'echo "-c runs $0"'
"$FLOCK" --fd=9 --verbose -F sh -c 'echo $$ > f.pid; echo "-F runs it"' & p=$!
wait $p; [ "$(cat f.pid)" = "$p" ] && echo "in the same process"
"$FLOCK" --fd 9 -o sh -c '[ -e /proc/$$/fd/9 ] || echo "-o closes 9"'
"$FLOCK" --fd 9; echo "no command: $?"`,
		stdout: "python flock ex: busy\npython flock ex: busy\n-c runs /bin/sh\n-F runs it\nin the same process\n" +
			"-o closes 9\nno command: 0\n",
		goflockOnly: true,
	}, {
		name: "--fd mistakes",
		script: `"$FLOCK" --fd -1 true; echo "negative: $?"
"$FLOCK" --fd x true; echo "not a number: $?"
"$FLOCK" --fd 77 true; echo "not open: $?"
exec 9>L
"$FLOCK" --fd 9 -c true extra; echo "-c and more: $?"
"$FLOCK" -c true --fd 9; echo "-c before --fd: $?"
"$FLOCK" --fd 9 --comm true; echo "--command abbreviated: $?"`,
		stdout: "negative: 64\nnot a number: 64\nnot open: 65\n-c and more: 64\n-c before --fd: 64\n" +
			"--command abbreviated: 64\n",
		stderr: "FLOCK: bad file descriptor: '-1'\nFLOCK: bad file descriptor: 'x'\n" +
			"FLOCK: 77: Bad file descriptor\nFLOCK: -c requires exactly one command argument\n" +
			"FLOCK: invalid option -- 'c'\n" + tryHelp +
			"FLOCK: unrecognized option '--comm'\n" + tryHelp,
		goflockOnly: true,
	}, {
		// flock(1) is dynamically linked and cannot even start without a
		// free descriptor, so only goflock can reach its open.
		name:        "running out of descriptors exits 71",
		script:      `(ulimit -n 3; "$FLOCK" L true); echo "rc=$?"`,
		stdout:      "rc=71\n",
		stderr:      "FLOCK: cannot open lock file L: Too many open files\n",
		goflockOnly: true,
	}})
}

// TestSpecialFilesystemsMatchFlock provokes EROFS and ENOSPC (exit 73) on
// tmpfs mounts in a private mount namespace, which needs root.
func TestSpecialFilesystemsMatchFlock(t *testing.T) {
	if err := exec.Command("unshare", "--mount", "--propagation", "private", "mount", "-t", "tmpfs", "tmpfs", "/mnt").Run(); err != nil {
		t.Skipf("skipping: cannot mount a tmpfs in a private mount namespace (needs root): %v", err)
	}
	runScenarios(t, []scenario{{
		name: "read-only and full file systems",
		script: `mkdir ro full
unshare --mount --propagation private bash -c '
	mount -t tmpfs tmpfs ro; touch ro/old; mount -o remount,ro ro
	mount -t tmpfs -o nr_inodes=2 tmpfs full; touch full/old
	"$FLOCK" ro/new true; echo "create on read-only: $?"
	"$FLOCK" ro/old echo existing file on read-only
	"$FLOCK" full/new true; echo "create on full: $?"
	"$FLOCK" full/old echo existing file on full'`,
		stdout: "create on read-only: 73\nexisting file on read-only\ncreate on full: 73\nexisting file on full\n",
		stderr: "FLOCK: cannot open lock file ro/new: Read-only file system\n" +
			"FLOCK: cannot open lock file full/new: No space left on device\n",
	}})
}
