// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

// Goflock-etcd runs a command under a lock on an etcd key: flock(1) for a
// fleet of machines, built on github.com/lockwise/flock/etcd.
//
//	goflock-etcd [options] KEY COMMAND [ARG...]
//	goflock-etcd [options] KEY -c STRING
//
// It takes the lock, runs the command with the lock's fencing token in the
// environment variable FLOCK_FENCING_TOKEN, waits for it, releases the lock,
// and exits with the command's status, or 128+N if signal N killed it. The
// options and exit codes are flock(1)'s where they apply:
//
//	-n, --nonblocking            fail at once, with exit code 1, if the lock is held
//	-w, --timeout, --wait SECS   fail with exit code 1 after SECS seconds; 0 means -n
//	-E, --conflict-exit-code N   exit with N (0 to 255) instead of 1 on those failures
//	-x, -e, --exclusive          an exclusive lock: the only kind there is
//	-c STRING                    after KEY: run STRING with $SHELL -c, or /bin/sh -c
//	--verbose                    say how long the lock took, and what runs
//	--endpoints A,B,...          etcd's client endpoints; default $ETCDCTL_ENDPOINTS,
//	                             or 127.0.0.1:2379 if that is not set
//	--ttl DURATION               the lease's time to live (default 10s)
//	--request-timeout DURATION   how long etcd may take to answer (default 5s)
//
// There are no shared locks, so -s is a usage error (64), as is every other
// mistake on the command line. A command that cannot be run gives 69. With
// -n, an etcd that cannot be reached or has no leader makes goflock-etcd exit
// 75 (EX_TEMPFAIL) within the request timeout; without -n it keeps trying,
// until the -w timeout if there is one. Any other failure to take the lock
// gives 65.
//
// Unlike a file lock, which the command inherits, the etcd lock lives as long
// as goflock-etcd keeps its lease alive. So goflock-etcd passes SIGINT,
// SIGTERM and SIGHUP on to the command and keeps the lock until the command
// ends. If the lock is lost while the command runs (goflock-etcd could not
// reach etcd for the time to live), it sends the command SIGTERM, waits for
// it, and exits 75. A signal that arrives while goflock-etcd waits for the
// lock withdraws it from the queue, and it exits 128+N.
package main

import (
	"fmt"
	"os"
)

// Exit codes from sysexits.h, as flock(1) uses them, and EX_TEMPFAIL for
// an etcd that could not be reached.
const (
	exUsage       = 64
	exDataErr     = 65 // etcd refused to give the lock
	exUnavailable = 69 // the command cannot be run
	exTempFail    = 75 // etcd unreachable or without a leader; or the lock was lost
)

// defaultEndpoint is etcdctl's default.
const defaultEndpoint = "127.0.0.1:2379"

const name = "goflock-etcd"

func main() {
	os.Exit(run(os.Args[1:]))
}

// run does everything but exit, and returns the exit code.
func run(args []string) int {
	cfg, err := parseArgs(args)
	switch {
	case err != nil:
		warn("%v", err)
		fmt.Fprintf(os.Stderr, "Try '%s --help' for more information.\n", name)
		return exUsage
	case cfg.help:
		fmt.Print(usage)
		return 0
	case cfg.version:
		fmt.Println(name, "from github.com/lockwise/flock/etcd")
		return 0
	}
	return lockAndRun(cfg)
}

func warn(format string, args ...any) {
	fmt.Fprintf(os.Stderr, name+": "+format+"\n", args...)
}

const usage = `Usage:
 goflock-etcd [options] KEY COMMAND [ARG...]
 goflock-etcd [options] KEY -c STRING

Run a command under a lock on an etcd key. The command finds the lock's
fencing token in $FLOCK_FENCING_TOKEN.

Options:
 -n, --nonblocking            fail at once if the lock is held
 -w, --timeout, --wait SECS   wait at most SECS seconds for the lock
 -E, --conflict-exit-code N   exit code after -n or -w fails (default 1)
 -x, -e, --exclusive          an exclusive lock (the default, and the only kind)
 -c STRING                    run STRING with $SHELL -c (after KEY)
     --verbose                report how long the lock took, and what runs
     --endpoints A,B,...      etcd endpoints (default $ETCDCTL_ENDPOINTS or 127.0.0.1:2379)
     --ttl DURATION           lease time to live (default 10s)
     --request-timeout DURATION
                              how long etcd may take to answer (default 5s)
 -h, --help                   display this help
 -V, --version                display version
`
