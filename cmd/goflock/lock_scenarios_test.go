// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import "testing"

// TestLockingMatchesFlock covers conflicts, waits and their exit codes,
// with holders of the same tool, of the other tool and of Python.
func TestLockingMatchesFlock(t *testing.T) {
	runScenarios(t, []scenario{{
		name: "-n fails at once while another process holds the lock",
		script: `hold h "$FLOCK" L ./holder h
"$FLOCK" -n L echo ran; echo "-n: $?"
"$FLOCK" -n -E 123 L echo ran; echo "-E 123: $?"
"$FLOCK" -n -E 0 L echo ran; echo "-E 0: $?"
"$FLOCK" -w 0 L echo ran; echo "-w 0: $?"
"$FLOCK" --verbose -w 0.0000001 L echo ran; echo "-w 0.0000001: $?"
"$FLOCK" --verbose -n -w 60 L echo ran; echo "-n -w 60: $?"
release h
"$FLOCK" -n L echo ran; echo "after release: $?"`,
		stdout: "-n: 1\n-E 123: 123\n-E 0: 0\n-w 0: 1\n-w 0.0000001: 1\n-n -w 60: 1\n" +
			"h exit=0\nran\nafter release: 0\n",
		stderr: "FLOCK: failed to get lock\nFLOCK: failed to get lock\n",
	}, {
		name: "the tools exclude each other",
		script: `hold h "$OTHER" L ./holder h
"$FLOCK" -n L true; echo "other holds, -n: $?"
"$FLOCK" -s -n L true; echo "other holds, -s -n: $?"
release h
hold h "$FLOCK" L ./holder h
"$OTHER" -n L true; echo "this holds, other -n: $?"
release h`,
		stdout: "other holds, -n: 1\nother holds, -s -n: 1\nh exit=0\nthis holds, other -n: 1\nh exit=0\n",
	}, {
		name: "shared locks share, exclusive ones do not",
		script: `hold h "$FLOCK" -s L ./holder h
"$FLOCK" -s -n L echo shared; echo "-s: $?"
"$OTHER" -s -n L echo other shared; echo "other -s: $?"
"$FLOCK" -n L true; echo "-x: $?"
"$FLOCK" -n -x -s L echo last is -s; echo "-x -s: $?"
"$FLOCK" -n -s -e L true; echo "-s -e: $?"
"$FLOCK" -n -s -u L echo unlock runs; echo "-s -u: $?"
pylock try flock sh L
pylock try flock ex L
release h`,
		stdout: "shared\n-s: 0\nother shared\nother -s: 0\n-x: 1\nlast is -s\n-x -s: 0\n-s -e: 1\n" +
			"unlock runs\n-s -u: 0\npython flock sh: got it\npython flock ex: busy\nh exit=0\n",
	}, {
		name: "Python's flock and the tool exclude each other",
		script: `hold p pylock hold flock ex L p
"$FLOCK" -n L true; echo "python ex, -n: $?"
"$FLOCK" -s -n L true; echo "python ex, -s -n: $?"
release p
hold p pylock hold flock sh L p
"$FLOCK" -s -n L true; echo "python sh, -s -n: $?"
"$FLOCK" -n L true; echo "python sh, -n: $?"
release p
hold h "$FLOCK" L ./holder h
pylock try flock ex L
pylock try flock sh L
release h
hold h "$FLOCK" -s L ./holder h
pylock try flock sh L
pylock try flock ex L
release h`,
		stdout: "python ex, -n: 1\npython ex, -s -n: 1\np exit=0\npython sh, -s -n: 0\npython sh, -n: 1\np exit=0\n" +
			"python flock ex: busy\npython flock sh: busy\nh exit=0\n" +
			"python flock sh: got it\npython flock ex: busy\nh exit=0\n",
	}, {
		name: "POSIX record locks are independent of flock locks",
		script: `hold p pylock hold lockf ex L p
"$FLOCK" -n L echo not blocked by lockf
release p`,
		stdout: "not blocked by lockf\np exit=0\n",
	}, {
		name: "-w times out with the conflict code",
		script: `hold h "$OTHER" L ./holder h
"$FLOCK" -w 0.2 L echo ran; echo "-w 0.2: $?"
"$FLOCK" --verbose --timeout 0.2 -E 5 L echo ran; echo "-E 5: $?"
"$FLOCK" -s --wait 0.1 -E 0 L echo ran; echo "-E 0: $?"
release h`,
		stdout: "-w 0.2: 1\n-E 5: 5\n-E 0: 0\nh exit=0\n",
		stderr: "FLOCK: timeout while waiting to get lock\n",
	}, {
		name: "a waiter with -w gets the lock when it is released",
		script: `hold h "$OTHER" L ./holder h
"$FLOCK" -w 60 L echo got it > w.out & w=$!
wait_blocked $w
release h
wait $w; echo "waiter: $?"; cat w.out`,
		stdout: "h exit=0\nwaiter: 0\ngot it\n",
	}, {
		name: "a waiter without -w gets the lock when it is released",
		script: `hold p pylock hold flock sh L p
"$FLOCK" L echo got it > w.out & w=$!
wait_blocked $w
"$FLOCK" -s -n L echo shared still possible
release p
wait $w; echo "waiter: $?"; cat w.out`,
		stdout: "shared still possible\np exit=0\nwaiter: 0\ngot it\n",
	}, {
		name: "killing the forked tool leaves the lock with the command",
		script: `hold h "$FLOCK" L ./holder h
kill -KILL $h_pid
"$FLOCK" -n L true; echo "command still holds: $?"
release h
"$OTHER" -w 60 L echo "released once the command ended"
hold h "$FLOCK" L ./holder h
kill -TERM $h_pid
"$FLOCK" -n L true; echo "after SIGTERM: $?"
release h`,
		stdout: "command still holds: 1\nh exit=137\nreleased once the command ended\n" +
			"after SIGTERM: 1\nh exit=143\n",
	}, {
		name: "-F runs the command in the same process",
		script: `hold h "$FLOCK" -F L ./holder h
[ "$(cat h.pid)" = "$h_pid" ] && echo "same PID"
"$OTHER" -n L true; echo "held: $?"
kill -KILL $h_pid; wait $h_pid; echo "killed: $?"
"$OTHER" -n L true; echo "released at once: $?"
hold h "$FLOCK" L ./holder h
[ "$(cat h.pid)" != "$h_pid" ] && echo "without -F, another PID"
release h`,
		stdout: "same PID\nheld: 1\nkilled: 137\nreleased at once: 0\nwithout -F, another PID\nh exit=0\n",
	}, {
		name: "-o keeps the lock from what the command leaves behind",
		script: `mkfifo g.ready g.release
"$FLOCK" -o L sh -c './holder g &'; echo "-o: $?"
read -r _ < g.ready
"$OTHER" -n L echo free after -o; echo > g.release
rm g.ready g.release; mkfifo g.ready g.release
"$FLOCK" L sh -c './holder g &'; echo "no -o: $?"
read -r _ < g.ready
"$OTHER" -n L true; echo "left-behind child holds: $?"
echo > g.release`,
		stdout: "-o: 0\nfree after -o\nno -o: 0\nleft-behind child holds: 1\n",
	}, {
		name: "-u on a file runs the command and breaks nobody's lock",
		script: `hold h "$OTHER" L ./holder h
"$FLOCK" -u L echo unlock ran; echo "-u: $?"
"$FLOCK" -n L true; echo "still held: $?"
release h`,
		stdout: "unlock ran\n-u: 0\nstill held: 1\nh exit=0\n",
	}, {
		// bash starts background jobs with SIGINT and SIGQUIT ignored; the
		// waiters get SIGQUIT back, and keep ignoring SIGINT.
		name: "signals ALRM, USR1 and QUIT end a waiter; WINCH, CHLD, an ignored INT, and ALRM under -w do not",
		script: `ulimit -c 0
hold h "$OTHER" L ./holder h
for sig in ALRM USR1 QUIT; do
	(trap - QUIT; exec "$FLOCK" L true) & w=$!
	wait_blocked $w; kill -$sig $w; wait $w; echo "$sig: $?"
done
"$FLOCK" -w 60 L echo "-w waiter got it" > w.out & w=$!
wait_blocked $w; kill -ALRM $w; kill -WINCH $w; kill -CHLD $w; kill -INT $w
release h
wait $w; echo "-w waiter: $?"; cat w.out`,
		stdout: "ALRM: 142\nUSR1: 138\nQUIT: 131\nh exit=0\n-w waiter: 0\n-w waiter got it\n",
	}, {
		name: "a lock file removed while held no longer excludes",
		script: `hold h "$FLOCK" L ./holder h
rm L
"$FLOCK" -n L echo new file, new lock
release h`,
		stdout: "new file, new lock\nh exit=0\n",
	}})
}

// TestDescriptorFormMatchesFlock covers "flock [opts] N", where the lock
// outlives the tool in the shell's descriptor.
func TestDescriptorFormMatchesFlock(t *testing.T) {
	runScenarios(t, []scenario{{
		name: "the shell's descriptor keeps the lock",
		script: `exec 9>L
"$FLOCK" -n 9; echo "lock: $?"
pylock try flock ex L
"$OTHER" -n L true; echo "other: $?"
"$FLOCK" -n 9; echo "again on the same description: $?"
"$FLOCK" -u 9; echo "unlock: $?"
pylock try flock ex L
"$FLOCK" --verbose 9
exec 9>&-
pylock try flock ex L
[ -e 9 ] || echo "no file named 9"`,
		stdout: "lock: 0\npython flock ex: busy\nother: 1\nagain on the same description: 0\nunlock: 0\n" +
			"python flock ex: got it\nFLOCK: getting lock took N seconds\npython flock ex: got it\n" +
			"no file named 9\n",
	}, {
		name: "the subshell idiom",
		script: `( "$FLOCK" -n 9 || exit 1; echo inside; "$OTHER" -n L true; echo "other: $?" ) 9>L
echo "subshell: $?"
hold h "$OTHER" L ./holder h
( "$FLOCK" -n 9 || exit 1; echo not reached ) 9>L
echo "subshell while held: $?"
release h`,
		stdout: "inside\nother: 1\nsubshell: 0\nsubshell while held: 1\nh exit=0\n",
	}, {
		name: "-s on a descriptor holding -x converts the lock",
		script: `exec 9>L
"$FLOCK" 9
pylock try flock sh L
"$FLOCK" -s 9
pylock try flock sh L
pylock try flock ex L`,
		stdout: "python flock sh: busy\npython flock sh: got it\npython flock ex: busy\n",
	}, {
		name: "descriptor numbers as strtol reads them",
		script: `exec 9>L
for fd in ' 9' +9 009; do "$FLOCK" -n "$fd"; echo "'$fd': $?"; done`,
		stdout: "' 9': 0\n'+9': 0\n'009': 0\n",
	}, {
		name: "descriptors that are not open",
		script: `exec 3>&- 4>&-
for fd in 3 4 77 -1; do "$FLOCK" -- "$fd"; echo "$fd: $?"; done
"$FLOCK" -w -1 77; echo "bad -w first: $?"`,
		stdout: "3: 65\n4: 65\n77: 65\n-1: 65\nbad -w first: 71\n",
		stderr: "FLOCK: 3: Bad file descriptor\nFLOCK: 4: Bad file descriptor\n" +
			"FLOCK: 77: Bad file descriptor\nFLOCK: -1: Bad file descriptor\n" +
			"FLOCK: cannot set up timer: Invalid argument\n",
	}, {
		name: "-w on a descriptor",
		script: `hold h "$OTHER" L ./holder h
exec 9>L
"$FLOCK" -w 0.1 9; echo "timeout: $?"
"$FLOCK" -w 60 9 & w=$!
wait_blocked $w
release h
wait $w; echo "waiter: $?"
"$OTHER" -n L true; echo "the shell holds it: $?"`,
		stdout: "timeout: 1\nh exit=0\nwaiter: 0\nthe shell holds it: 1\n",
	}})
}
