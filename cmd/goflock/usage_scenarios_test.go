// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import "testing"

const tryHelp = "Try 'FLOCK --help' for more information.\n"

// TestCommandLineMatchesFlock covers parsing: getopt's rules and messages,
// number syntax, and every way a command line earns exit code 64.
func TestCommandLineMatchesFlock(t *testing.T) {
	runScenarios(t, []scenario{{
		name:   "no arguments",
		script: `"$FLOCK"`,
		code:   64,
		stderr: "FLOCK: not enough arguments\n" + tryHelp,
	}, {
		name:   "only --",
		script: `"$FLOCK" --`,
		code:   64,
		stderr: "FLOCK: requires file descriptor, file or directory\n",
	}, {
		name:   "unknown short option",
		script: `"$FLOCK" -nZ L true`,
		code:   64,
		stderr: "FLOCK: invalid option -- 'Z'\n" + tryHelp,
	}, {
		name:   "-c before the file is not an option",
		script: `"$FLOCK" -c true L`,
		code:   64,
		stderr: "FLOCK: invalid option -- 'c'\n" + tryHelp,
	}, {
		name:   "--command before the file is not an option",
		script: `"$FLOCK" --command true L`,
		code:   64,
		stderr: "FLOCK: unrecognized option '--command'\n" + tryHelp,
	}, {
		name:   "unknown long option",
		script: `"$FLOCK" --bogus=1 L true`,
		code:   64,
		stderr: "FLOCK: unrecognized option '--bogus=1'\n" + tryHelp,
	}, {
		name:   "ambiguous abbreviation",
		script: `"$FLOCK" --no L true`,
		code:   64,
		stderr: "FLOCK: option '--no' is ambiguous; possibilities: '--nonblocking' '--no-fork'\n" + tryHelp,
	}, {
		name:   "-w without its argument",
		script: `"$FLOCK" -w`,
		code:   64,
		stderr: "FLOCK: option requires an argument -- 'w'\n" + tryHelp,
	}, {
		name:   "abbreviated --wait without its argument",
		script: `"$FLOCK" --wa`,
		code:   64,
		stderr: "FLOCK: option '--wait' requires an argument\n" + tryHelp,
	}, {
		name:   "--verbose with an argument",
		script: `"$FLOCK" --verb=1 L true`,
		code:   64,
		stderr: "FLOCK: option '--verbose' doesn't allow an argument\n" + tryHelp,
	}, {
		name:   "-? prints only the hint",
		script: `"$FLOCK" -? L true`,
		code:   64,
		stderr: tryHelp,
	}, {
		name: "-w values that are not numbers",
		script: `for w in abc '' '1 ' 1,5 1e 0x 0x1p nan\( 1e4933 1e-4940 0x3p-16446 1e99999x; do
	"$FLOCK" -w "$w" L true; echo "$w: $?"
done`,
		stdout: "abc: 64\n: 64\n1 : 64\n1,5: 64\n1e: 64\n0x: 64\n0x1p: 64\nnan(: 64\n" +
			"1e4933: 64\n1e-4940: 64\n0x3p-16446: 64\n1e99999x: 64\n",
		stderr: "FLOCK: invalid timeout value: 'abc'\nFLOCK: invalid timeout value: ''\n" +
			"FLOCK: invalid timeout value: '1 '\nFLOCK: invalid timeout value: '1,5'\n" +
			"FLOCK: invalid timeout value: '1e'\nFLOCK: invalid timeout value: '0x'\n" +
			"FLOCK: invalid timeout value: '0x1p'\nFLOCK: invalid timeout value: 'nan('\n" +
			"FLOCK: invalid timeout value: '1e4933': Numerical result out of range\n" +
			"FLOCK: invalid timeout value: '1e-4940': Numerical result out of range\n" +
			"FLOCK: invalid timeout value: '0x3p-16446': Numerical result out of range\n" +
			"FLOCK: invalid timeout value: '1e99999x': Numerical result out of range\n",
	}, {
		name: "-w values the timer refuses exit 71",
		script: `for w in -1 -0.5 inf -Infinity nan 'nan(x_1)' 1e19 9223372036854775806 1e400; do
	"$FLOCK" -w "$w" L true; echo "$w: $?"
done`,
		stdout: "-1: 71\n-0.5: 71\ninf: 71\n-Infinity: 71\nnan: 71\nnan(x_1): 71\n1e19: 71\n" +
			"9223372036854775806: 71\n1e400: 71\n",
		stderr: "FLOCK: cannot set up timer: Invalid argument\nFLOCK: cannot set up timer: Invalid argument\n" +
			"FLOCK: cannot set up timer: Invalid argument\n" +
			"FLOCK: cannot set up timer: Invalid argument\nFLOCK: cannot set up timer: Invalid argument\n" +
			"FLOCK: cannot set up timer: Invalid argument\nFLOCK: cannot set up timer: Invalid argument\n" +
			"FLOCK: cannot set up timer: Invalid argument\nFLOCK: cannot set up timer: Invalid argument\n",
	}, {
		name: "-w values flock accepts",
		script: `for w in ' 1' +.5 1E0 0x1p-2 0X10 0x.8P1 9e18 0.0000001 -0.0000001 -0 1e-4931 0x1p-16445; do
	"$FLOCK" -w "$w" L true; echo "$w: $?"
done`,
		stdout: " 1: 0\n+.5: 0\n1E0: 0\n0x1p-2: 0\n0X10: 0\n0x.8P1: 0\n9e18: 0\n0.0000001: 0\n" +
			"-0.0000001: 0\n-0: 0\n1e-4931: 0\n0x1p-16445: 0\n",
	}, {
		name: "-E values",
		script: `for e in 256 -1 x '' 3x 2147483648 99999999999 99999999999999999999x ' +3' 0 255 007; do
	"$FLOCK" -E "$e" L true; echo "$e: $?"
done`,
		stdout: "256: 64\n-1: 64\nx: 64\n: 64\n3x: 64\n2147483648: 64\n99999999999: 64\n" +
			"99999999999999999999x: 64\n +3: 0\n0: 0\n255: 0\n007: 0\n",
		stderr: "FLOCK: exit code out of range (expected 0 to 255)\n" +
			"FLOCK: exit code out of range (expected 0 to 255)\n" +
			"FLOCK: invalid exit code: 'x'\nFLOCK: invalid exit code: ''\nFLOCK: invalid exit code: '3x'\n" +
			"FLOCK: invalid exit code: '2147483648': Numerical result out of range\n" +
			"FLOCK: invalid exit code: '99999999999': Numerical result out of range\n" +
			"FLOCK: invalid exit code: '99999999999999999999x': Numerical result out of range\n",
	}, {
		name: "options act in order",
		script: `"$FLOCK" -w x -Z L true; echo "bad -w first: $?"
"$FLOCK" -h -w x >/dev/null; echo "help first: $?"
"$FLOCK" -Z -h; echo "bad option first: $?"`,
		stdout: "bad -w first: 64\nhelp first: 0\nbad option first: 64\n",
		stderr: "FLOCK: invalid timeout value: 'x'\nFLOCK: invalid option -- 'Z'\n" + tryHelp,
	}, {
		name: "-F with -o",
		script: `"$FLOCK" -F -o L true; echo "rc=$?"
"$FLOCK" --close --no-fork L true; echo "rc=$?"`,
		stdout: "rc=64\nrc=64\n",
		stderr: "FLOCK: the --no-fork and --close options are incompatible\n" +
			"FLOCK: the --no-fork and --close options are incompatible\n",
	}, {
		name: "-c needs exactly one string",
		script: `"$FLOCK" L -c; echo "rc=$?"
"$FLOCK" L -c 'echo a' b; echo "rc=$?"
"$FLOCK" L --command; echo "rc=$?"`,
		stdout: "rc=64\nrc=64\nrc=64\n",
		stderr: "FLOCK: -c requires exactly one command argument\n" +
			"FLOCK: -c requires exactly one command argument\n" +
			"FLOCK: --command requires exactly one command argument\n",
	}, {
		name: "a lone operand must be a descriptor number",
		script: `for fd in x '' 1x 99999999999; do "$FLOCK" -- "$fd"; echo "$fd: $?"; done
[ -e x ] || echo "no file x"`,
		stdout: "x: 64\n: 64\n1x: 64\n99999999999: 64\nno file x\n",
		stderr: "FLOCK: bad file descriptor: 'x'\nFLOCK: bad file descriptor: ''\n" +
			"FLOCK: bad file descriptor: '1x'\n" +
			"FLOCK: bad file descriptor: '99999999999': Numerical result out of range\n",
	}, {
		name: "clusters and abbreviations",
		script: `hold h "$FLOCK" L ./holder h
"$FLOCK" -nE3 L true; echo "-nE3: $?"
"$FLOCK" -snE4 L true; echo "-snE4: $?"
"$FLOCK" --nonblock --conflict-exit=5 L true; echo "--nonblock: $?"
"$FLOCK" --nb -E6 L true; echo "--nb: $?"
"$FLOCK" --ex --non --co 7 L true; echo "--ex --non --co: $?"
"$FLOCK" -enE8 L true; echo "-enE8: $?"
"$FLOCK" --ti=0.1 -E9 L true; echo "--ti=: $?"
"$FLOCK" -w.1 -E10 L true; echo "-w.1: $?"
release h`,
		stdout: "-nE3: 3\n-snE4: 4\n--nonblock: 5\n--nb: 6\n--ex --non --co: 7\n-enE8: 8\n" +
			"--ti=: 9\n-w.1: 10\nh exit=0\n",
	}, {
		name: "options end at the file",
		script: `"$FLOCK" L -n true; echo "rc=$?"
"$FLOCK" -- L echo after --
"$FLOCK" -- -x echo file named -x; [ -f ./-x ] && echo "-x is a file"
"$FLOCK" 5 true; [ -f 5 ] && echo "5 is a file"`,
		stdout: "rc=69\nafter --\nfile named -x\n-x is a file\n5 is a file\n",
		stderr: "FLOCK: failed to execute -n: No such file or directory\n",
	}, {
		name: "help and version",
		script: `"$FLOCK" -h | head -2; echo "-h: ${PIPESTATUS[0]}"
"$FLOCK" --h -Z | head -2 | tail -1; echo "--h: ${PIPESTATUS[0]}"
"$FLOCK" -V -Z | cut -d' ' -f1,2; echo "-V: ${PIPESTATUS[0]}"
"$FLOCK" --vers | cut -d' ' -f1,2; echo "--vers: ${PIPESTATUS[0]}"`,
		stdout: "\nUsage:\n-h: 0\nUsage:\n--h: 0\nFLOCK from\n-V: 0\nFLOCK from\n--vers: 0\n",
	}, {
		name: "write errors",
		script: `"$FLOCK" -h >/dev/full; echo "help: $?"
"$FLOCK" -V >/dev/full; echo "version: $?"
"$FLOCK" --verbose L sh -c 'exit 3' >/dev/full; echo "verbose: $?"
"$FLOCK" L sh -c 'exit 3' >/dev/full; echo "quiet: $?"
"$FLOCK" --verbose L true >&-; echo "closed stdout: $?"
"$FLOCK" -Z 2>/dev/full; echo "stderr full: $?"`,
		stdout: "help: 1\nversion: 1\nverbose: 1\nquiet: 3\nclosed stdout: 0\n" +
			"stderr full: 1\n",
		stderr: "FLOCK: write error: No space left on device\nFLOCK: write error: No space left on device\n" +
			"FLOCK: write error: No space left on device\n",
	}})
}
