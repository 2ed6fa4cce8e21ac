// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import (
	"errors"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Glibc's execvp(3) limits, from <limits.h>.
const (
	nameMax = 255
	pathMax = 4096
)

// execvp finds and starts argv[0] the way glibc's execvp(3) does, which Go's
// os/exec does not quite do: a name without a slash is looked up in $PATH
// (or "/bin:/usr/bin" when PATH is unset), where an empty entry means the
// current directory; a file that is executable but not a binary the kernel
// knows (ENOEXEC, such as a script without "#!") is run by /bin/sh; when
// every candidate fails, permission problems win over "not found".
//
// start starts one candidate (os.StartProcess or syscall.Exec) and returns
// its error. execvp returns nil once a start succeeds.
func execvp(argv []string, start func(path string, argv []string) error) error {
	file := argv[0]
	switch {
	case file == "":
		return unix.ENOENT
	case strings.Contains(file, "/"):
		return startOrShell(file, argv, start)
	case len(file) > nameMax:
		return unix.ENAMETOOLONG
	}
	path, ok := os.LookupEnv("PATH")
	if !ok {
		path = "/bin:/usr/bin"
	}
	var err error
	deniedSomewhere := false
	for _, dir := range strings.Split(path, ":") {
		if len(dir) >= pathMax-1 {
			continue
		}
		candidate := file
		if dir != "" {
			candidate = dir + "/" + file
		}
		err = startOrShell(candidate, argv, start)
		switch errnoOf(err) {
		case unix.EACCES:
			deniedSomewhere = true
		case unix.ENOENT, unix.ESTALE, unix.ENOTDIR, unix.ENODEV, unix.ETIMEDOUT:
			// Not here: try the next directory.
		default:
			return err // started, or found but failed to start
		}
	}
	if deniedSomewhere {
		return unix.EACCES
	}
	return err
}

// startOrShell starts path, and hands it to /bin/sh if the kernel does not
// know its format.
func startOrShell(path string, argv []string, start func(string, []string) error) error {
	err := start(path, argv)
	if errnoOf(err) == unix.ENOEXEC {
		shArgv := append([]string{"/bin/sh", path}, argv[1:]...)
		err = start("/bin/sh", shArgv)
	}
	return err
}

// errnoOf returns the errno in err, 0 for nil, and EIO for an error that
// carries none.
func errnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return unix.EIO
}
