// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// runCommand runs the command while goflock holds the lock, and returns the
// exit code: the command's status, or 128+N when signal N killed it. With
// -F it does not return unless exec fails.
func (a *app) runCommand(cfg *config, t *lockTarget) int {
	argv := cfg.argv
	if cfg.verbose {
		a.stdout.printf("%s: executing %s\n", a.name, argv[0])
	}
	if err := passLockTo(t, !cfg.closeFd); err != nil {
		a.warn(t.name + ": " + strerror(err))
		return exOSErr
	}
	if cfg.noFork {
		a.stdout.discard() // exec discards stdio's buffer, and so does _exit
		err := execvp(argv, func(path string, argv []string) error {
			return syscall.Exec(path, argv, os.Environ())
		})
		a.warn("failed to execute " + argv[0] + ": " + strerror(err))
		os.Exit(execFailureCode(err))
	}
	var proc *os.Process
	err := execvp(argv, func(path string, argv []string) (err error) {
		proc, err = os.StartProcess(path, argv, &os.ProcAttr{Files: stdioFor(t, cfg.closeFd)})
		return err
	})
	if err != nil {
		a.warn("failed to execute " + argv[0] + ": " + strerror(err))
		return execFailureCode(err)
	}
	// flock(1) forwards no signal: killing goflock leaves the command
	// running, and holding the lock through its inherited descriptor.
	state, err := proc.Wait()
	if err != nil {
		a.warn("waitpid failed: " + strerror(err))
		return 1
	}
	ws := state.Sys().(syscall.WaitStatus)
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return exOSErr
}

// passLockTo makes the command inherit the lock descriptor, or not (-o),
// by its close-on-exec flag: the descriptor keeps its number in the
// command, as with flock(1), where it is usually 3.
func passLockTo(t *lockTarget, inherit bool) error {
	flags := unix.FD_CLOEXEC
	if inherit {
		flags = 0
	}
	_, err := unix.FcntlInt(uintptr(t.fd), unix.F_SETFD, flags)
	return err
}

// stdioFor lists descriptors 0 to 2 for the command: those that are open,
// except the lock itself under -o (it is one of them only when goflock was
// started with one of them closed). It uses os.Stdin and the others rather
// than new Files, whose finalizers would close goflock's own descriptors.
func stdioFor(t *lockTarget, closeLock bool) []*os.File {
	files := []*os.File{os.Stdin, os.Stdout, os.Stderr}
	for fd := range files {
		if fd == t.fd && closeLock {
			files[fd] = nil
		} else if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			files[fd] = nil
		}
	}
	return files
}

// execFailureCode is flock(1)'s exit code when the command cannot run.
func execFailureCode(err error) int {
	if errnoOf(err) == unix.ENOMEM {
		return exOSErr
	}
	return exUnavailable
}
