// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

// The runtime's cgroup-aware GOMAXPROCS keeps two cgroup files open for the
// life of the process, on the descriptors a script expects free: the lock
// would not land on 3 as with flock(1), and "goflock 3" would lock the
// runtime's file instead of failing with EBADF. Turned off, the runtime
// closes them before main starts.

//go:debug containermaxprocs=0

// Goflock manages file locks from shell scripts. It is a drop-in
// replacement for util-linux flock(1) 2.38.1, option for option and exit
// code for exit code, built on github.com/lockwise/flock:
//
//	goflock [options] FILE|DIR COMMAND [ARG...]
//	goflock [options] FILE|DIR -c STRING
//	goflock [options] FD
//	goflock [options] --fd FD [COMMAND [ARG...] | -c STRING]
//
// It also has the newer util-linux options --fcntl (Linux open file
// description locks) and --fd. Run goflock --help for the options.
package main

import (
	"os"
	"runtime"
	"strings"
	"time"
)

// Exit codes from sysexits.h, as flock(1) uses them.
const (
	exUsage       = 64 // bad command line
	exDataErr     = 65 // the lock call failed
	exNoInput     = 66 // cannot open the lock file
	exUnavailable = 69 // cannot execute the command
	exOSErr       = 71 // out of descriptors or memory, ENOLCK, bad timer
	exCantCreat   = 73 // read-only file system or no space
)

// An app is one run of goflock.
type app struct {
	name   string // the program's short name, which prefixes messages
	argv0  string // the program name as invoked, which prefixes getopt's messages
	stdout *stdioBuffer
	stderr *stdioBuffer
}

func main() {
	a := &app{name: "goflock", argv0: "goflock", stdout: newStdout(), stderr: newStderr()}
	if len(os.Args) > 0 {
		a.argv0 = os.Args[0]
		a.name = a.argv0[strings.LastIndexByte(a.argv0, '/')+1:]
	}
	var args []string
	if len(os.Args) > 1 {
		args = os.Args[1:]
	}
	a.exit(a.run(args))
}

// run does everything but exit, and returns the exit code.
func (a *app) run(args []string) int {
	cfg, code, done := a.parseCommandLine(args)
	if done {
		return code
	}
	timed := cfg.timeout != nil && !cfg.timeout.nonblocking && !cfg.timeout.invalid
	restoreDefaultSignals(timed)
	// Open the file (or check the descriptor) before anything else can
	// take a descriptor, so that the lock lands on the lowest free number
	// as with flock(1), and an unopened FD is not mistaken for one of ours.
	t, code, ok := a.openTarget(cfg)
	if !ok {
		return code
	}
	defer runtime.KeepAlive(t)
	nonblocking := cfg.nonblocking
	if cfg.timeout != nil {
		switch {
		case cfg.timeout.invalid:
			a.warn("cannot set up timer: Invalid argument")
			return exOSErr
		case cfg.timeout.nonblocking:
			nonblocking = true // -w 0 means -n
		}
	}
	start := time.Now()
	if code, ok := a.lock(cfg, t, nonblocking); !ok {
		return code
	}
	if cfg.verbose {
		took := time.Since(start)
		a.stdout.printf("%s: getting lock took %d.%06d seconds\n",
			a.name, took/time.Second, took%time.Second/time.Microsecond)
	}
	if cfg.argv == nil {
		return 0
	}
	return a.runCommand(cfg, t)
}

// warn prints a message the way warnx(3) does.
func (a *app) warn(msg string) { a.stderr.printf("%s: %s\n", a.name, msg) }

// rawWarn prints a line on stderr with no prefix.
func (a *app) rawWarn(line string) { a.stderr.printf("%s\n", line) }

// exit flushes stdout and leaves. Like util-linux's close_stdout, it turns
// a failed write into exit status 1.
func (a *app) exit(code int) {
	if err := a.stdout.flush(); err != nil {
		msg := "write error"
		if err != errEarlierWrite {
			msg += ": " + strerror(err)
		}
		a.warn(msg)
		code = 1
	}
	if a.stderr.failed() {
		code = 1
	}
	os.Exit(code)
}
