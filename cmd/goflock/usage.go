// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import (
	"runtime/debug"
	"strings"
)

const usageText = `
Usage:
 %[1]s [options] <file>|<directory> <command> [<argument>...]
 %[1]s [options] <file>|<directory> -c <command>
 %[1]s [options] <file descriptor number>
 %[1]s [options] --fd <number> [<command> [<argument>...] | -c <command>]

Run a command while holding a lock on a file, or lock an open descriptor.

Options:
 -s, --shared             take a shared (read) lock
 -x, -e, --exclusive      take an exclusive (write) lock; the default
 -u, --unlock             release the lock the descriptor holds
 -n, --nb, --nonblocking  if the lock is taken, exit at once
 -w, --wait, --timeout <secs>
                          give up after <secs> seconds (0: same as -n)
 -E, --conflict-exit-code <number>
                          exit code after a conflict or timeout (default 1)
 -o, --close              do not pass the lock descriptor to the command
 -c, --command <command>  run <command> with $SHELL -c (or /bin/sh -c)
 -F, --no-fork            run the command in place of %[1]s
     --fcntl              use an open file description lock (fcntl)
                          instead of flock(2)
     --fd <number>        lock this open descriptor, then run the command
     --verbose            report the wait and the command on stdout

 -h, --help               display this help
 -V, --version            display version

Exit codes: 1 (or -E) on conflict or timeout, else the command's status;
64 usage, 65 lock failed, 66 cannot open, 69 cannot run the command,
71 system error, 73 cannot create the lock file.
`

func (a *app) usage() {
	a.stdout.printf(usageText, a.name)
}

func (a *app) version() {
	a.stdout.printf("%s from lockwise flock %s\n", a.name, moduleVersion())
}

// moduleVersion is the version "go install" recorded, or "(devel)" for a
// build from a work tree.
func moduleVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" {
		return "(devel)"
	}
	return strings.TrimPrefix(info.Main.Version, "v")
}
