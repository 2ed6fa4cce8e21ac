// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import "testing"

// The scenarios of util-linux's own test suite (tests/ts/flock), rewritten
// for this harness: the holder is ./holder instead of "sleep 3", and the
// timeout subtest releases it once the waiter is seen blocking, instead of
// checking that 3 to 5 seconds went by.

// upstreamMain is the "flock" test. Its fd subtest and the --fcntl pass
// come from newer versions; the rest is the 2.38.1 test.
func upstreamMain(api string) string {
	return `hold h "$FLOCK" ` + api + ` --shared L ./holder h
"$FLOCK" ` + api + ` --nonblocking --conflict-exit-code 123 L echo non-block; echo "non-block: $?"
"$FLOCK" ` + api + ` --no-fork --nonblocking --conflict-exit-code 123 L echo no-fork; echo "no-fork: $?"
"$FLOCK" ` + api + ` --shared L echo "Have shared lock"; echo "shared: $?"
"$FLOCK" ` + api + ` --nb --exclusive --conflict-exit-code 123 L echo exclusive; echo "exclusive: $?"
exec 4<>L
"$FLOCK" ` + api + ` --nonblocking --exclusive --conflict-exit-code 123 4; echo "fd: $?"
exec 4<&-
[ -e 4 ] && echo "a file named 4 was created"
"$FLOCK" ` + api + ` --timeout 60 --conflict-exit-code 5 L echo "After timeout." > w.out & w=$!
[ -z "` + api + `" ] && wait_blocked $w
release h
wait $w; echo "timeout: $?"; cat w.out
`
}

const upstreamMainOutput = "non-block: 123\nno-fork: 123\nHave shared lock\nshared: 0\nexclusive: 123\nfd: 123\n" +
	"h exit=0\ntimeout: 0\nAfter timeout.\n"

func TestUpstreamSuiteMatchesFlock(t *testing.T) {
	runScenarios(t, []scenario{{
		name:   "flock",
		script: upstreamMain(""),
		stdout: upstreamMainOutput,
	}, {
		name: "unlock",
		script: `exec 10<>lock
"$FLOCK" --exclusive --nonblock --verbose 10
"$FLOCK" --unlock 10
"$FLOCK" --exclusive --wait 0 --verbose lock true`,
		stdout: "FLOCK: getting lock took N seconds\nFLOCK: getting lock took N seconds\nFLOCK: executing true\n",
	}, {
		// "close" needs --fd; this is what it checks in 2.38.1 terms.
		name: "close, with a file",
		script: `"$FLOCK" --exclusive --close L sh -c '"$FLOCK" --exclusive --nonblock 3'; echo "exit code: $?"
"$FLOCK" --exclusive L sh -c '"$FLOCK" --exclusive --nonblock 3'; echo "exit code: $?"`,
		stdout: "exit code: 65\nexit code: 0\n",
		stderr: "FLOCK: 3: Bad file descriptor\n",
	}, {
		name:        "flock --fcntl",
		script:      upstreamMain("--fcntl") + `"$FLOCK" --nonblock --exclusive L echo fcntl-vs-flock` + "\n",
		stdout:      upstreamMainOutput + "fcntl-vs-flock\n",
		goflockOnly: true,
	}, {
		name: "close, with --fd",
		script: `exec 10<>lock
"$FLOCK" --exclusive --close --fd 10 --command '"$FLOCK" --exclusive --nonblock --fd 10 true'; echo "exit code: $?"
"$FLOCK" --exclusive --fd 10 --command '"$FLOCK" --exclusive --nonblock --fd 10 true'; echo "exit code: $?"`,
		stdout:      "exit code: 65\nexit code: 0\n",
		stderr:      "FLOCK: 10: Bad file descriptor\n",
		goflockOnly: true,
	}})
}
