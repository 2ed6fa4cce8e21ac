// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import "testing"

// TestOpeningMatchesFlock covers how the lock file is opened and created,
// and the exit codes of failed opens.
func TestOpeningMatchesFlock(t *testing.T) {
	runScenarios(t, []scenario{{
		name: "a new lock file gets mode 0666 less the umask, an old one keeps its content",
		script: `(umask 022; "$FLOCK" a true); (umask 077; "$FLOCK" b true)
stat -c '%n %a %s' a b
echo data > c; "$FLOCK" c true; cat c`,
		stdout: "a 644 0\nb 600 0\ndata\n",
	}, {
		name: "a dangling symlink gets its target created",
		script: `ln -s target link
"$FLOCK" link true && [ -f target ] && echo target created`,
		stdout: "target created\n",
	}, {
		name: "a running executable can be its own lock",
		script: `cp "$(command -v sleep)" ./self
"$FLOCK" -n ./self ./self 0; echo "rc=$?"`,
		stdout: "rc=0\n",
	}, {
		name: "a FIFO waits for a writer, /dev/null locks",
		script: `mkfifo P
"$FLOCK" P echo locked the FIFO > p.out & w=$!
exec 7>P
wait $w; echo "fifo: $?"; cat p.out
exec 7>&-
"$FLOCK" -n /dev/null echo locked /dev/null`,
		stdout: "fifo: 0\nlocked the FIFO\nlocked /dev/null\n",
	}, {
		name: "directories lock, against the other tool and Python",
		script: `mkdir D
hold h "$FLOCK" D ./holder h
"$OTHER" -n D true; echo "other -x: $?"
"$OTHER" -s -n D true; echo "other -s: $?"
pylock try flock ex D
release h
pylock try flock ex D
hold p pylock hold flock ex D p
"$FLOCK" -n D true; echo "python holds: $?"
release p`,
		stdout: "other -x: 1\nother -s: 1\npython flock ex: busy\nh exit=0\npython flock ex: got it\n" +
			"python holds: 1\np exit=0\n",
	}, {
		name: "files that cannot be opened exit 66",
		script: `touch f
for p in missing/L f/L /proc/self/newfile /sys/newfile ''; do "$FLOCK" "$p" true; echo "'$p': $?"; done`,
		stdout: "'missing/L': 66\n'f/L': 66\n'/proc/self/newfile': 66\n'/sys/newfile': 66\n'': 66\n",
		stderr: "FLOCK: cannot open lock file missing/L: No such file or directory\n" +
			"FLOCK: cannot open lock file f/L: Not a directory\n" +
			"FLOCK: cannot open lock file /proc/self/newfile: No such file or directory\n" +
			"FLOCK: cannot open lock file /sys/newfile: Permission denied\n" +
			"FLOCK: cannot open lock file : No such file or directory\n",
	}, {
		name: "the command inherits the lock descriptor, as 3, unless -o",
		script: `exec 3>&-
"$FLOCK" L sh -c 'readlink /proc/$$/fd/3'
"$FLOCK" L sh -c '"$FLOCK" -n 3 && echo the command can lock it again'
"$FLOCK" -o L sh -c '[ -e /proc/$$/fd/3 ] && echo open || echo "-o: closed"'
"$FLOCK" -F L sh -c 'readlink /proc/$$/fd/3'`,
		stdout: "$DIR/L\nthe command can lock it again\n-o: closed\n$DIR/L\n",
	}})
}

// TestCommandsMatchFlock covers running the command: exit statuses, exec
// failures, the PATH search, shell selection for -c, and --verbose.
func TestCommandsMatchFlock(t *testing.T) {
	runScenarios(t, []scenario{{
		name: "exit statuses pass through, signals become 128+N",
		script: `for c in 'exit 0' 'exit 7' 'exit 255' 'kill -TERM $$' 'kill -KILL $$'; do
	"$FLOCK" L sh -c "$c"; echo "$c: $?"
done
"$FLOCK" -F L sh -c 'exit 9'; echo "-F exit 9: $?"`,
		stdout: "exit 0: 0\nexit 7: 7\nexit 255: 255\nkill -TERM $$: 143\nkill -KILL $$: 137\n-F exit 9: 9\n",
	}, {
		name: "commands that cannot run exit 69",
		script: `mkdir D; touch plain
for c in ./missing missing-command ./plain ./D ''; do "$FLOCK" L "$c"; echo "'$c': $?"; done
"$FLOCK" -F L ./missing; echo "-F: $?"`,
		stdout: "'./missing': 69\n'missing-command': 69\n'./plain': 69\n'./D': 69\n'': 69\n-F: 69\n",
		stderr: "FLOCK: failed to execute ./missing: No such file or directory\n" +
			"FLOCK: failed to execute missing-command: No such file or directory\n" +
			"FLOCK: failed to execute ./plain: Permission denied\n" +
			"FLOCK: failed to execute ./D: Permission denied\n" +
			"FLOCK: failed to execute : No such file or directory\n" +
			"FLOCK: failed to execute ./missing: No such file or directory\n",
	}, {
		name: "a script without #! runs with /bin/sh",
		script: `mkdir bin; printf 'echo ran "$0" "$@"\n' > bin/s; chmod +x bin/s
"$FLOCK" L ./bin/s a b
PATH="$PWD/bin:$PATH" "$FLOCK" L s c
"$FLOCK" -F L ./bin/s d`,
		stdout: "ran ./bin/s a b\nran $DIR/bin/s c\nran ./bin/s d\n",
	}, {
		name: "the PATH search",
		script: `mkdir a b c; printf '#!/bin/sh\necho "$0"\n' > c/x; chmod +x c/x; touch a/x
PATH=a:b:c "$FLOCK" L x
PATH=a:b "$FLOCK" L x; echo "only a non-executable: $?"
cd c; PATH= "$FLOCK" ../L x; PATH=:/bin "$FLOCK" ../L x; cd ..
(unset PATH; "$FLOCK" L env true && echo "PATH unset: /bin:/usr/bin")`,
		stdout: "c/x\nonly a non-executable: 69\nx\nx\nPATH unset: /bin:/usr/bin\n",
		stderr: "FLOCK: failed to execute x: Permission denied\n",
	}, {
		name: "-c uses $SHELL when set and not empty",
		script: `"$FLOCK" L -c 'echo "$0"'
SHELL= "$FLOCK" L --command 'echo "$0"'
SHELL=bash "$FLOCK" L -c 'echo "$0" "$BASH_VERSION" | cut -c1-6'
SHELL=/nonexistent "$FLOCK" L -c true; echo "bad SHELL: $?"
"$FLOCK" L -c 'exit 4'; echo "status: $?"`,
		stdout: "/bin/sh\n/bin/sh\nbash 5\nbad SHELL: 69\nstatus: 4\n",
		stderr: "FLOCK: failed to execute /nonexistent: No such file or directory\n",
	}, {
		name: "--verbose on a pipe: held until exit, lost by -F",
		script: `"$FLOCK" --verbose L echo hi
"$FLOCK" --verbose L -c 'echo hi'
"$FLOCK" --verbose -F L echo hi
"$FLOCK" --verbose -F L ./missing; echo "-F failing: $?"
"$FLOCK" --verbose L ./missing; echo "failing: $?"
hold h "$OTHER" L ./holder h
"$FLOCK" --verbose -n L true; echo "conflict: $?"
"$FLOCK" --verbose -w 0.1 L true; echo "timeout: $?"
release h`,
		stdout: "hi\nFLOCK: getting lock took N seconds\nFLOCK: executing echo\n" +
			"hi\nFLOCK: getting lock took N seconds\nFLOCK: executing /bin/sh\n" +
			"hi\n-F failing: 69\n" +
			"FLOCK: getting lock took N seconds\nFLOCK: executing ./missing\nfailing: 69\n" +
			"conflict: 1\ntimeout: 1\nh exit=0\n",
		stderr: "FLOCK: failed to execute ./missing: No such file or directory\n" +
			"FLOCK: failed to execute ./missing: No such file or directory\n" +
			"FLOCK: failed to get lock\nFLOCK: timeout while waiting to get lock\n",
	}, {
		name:   "--verbose on a terminal: line by line",
		script: `script -qec '"$FLOCK" --verbose L echo hi; "$FLOCK" --verbose -F L echo hi' /dev/null | tr -d '\r'`,
		stdout: "FLOCK: getting lock took N seconds\nFLOCK: executing echo\nhi\n" +
			"FLOCK: getting lock took N seconds\nFLOCK: executing echo\nhi\n",
	}})
}
