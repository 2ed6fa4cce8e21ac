// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import (
	"errors"
	"os"
)

const (
	optShared optionID = iota + 1
	optExclusive
	optUnlock
	optNonblock
	optTimeout
	optConflictExitCode
	optClose
	optNoFork
	optVerbose
	optFcntl
	optFd
	optCommand
	optHelp
	optVersion
	optQuestion // "-?": getopt accepts it, flock(1) answers with the usage hint
)

// options is flock(1)'s table, in its order (which getopt's ambiguity
// messages follow), plus the newer --fcntl, --fd and --command. --command
// matches only in full and only after --fd: 2.38.1 has neither, so without
// --fd every command line parses exactly as it does there ("--co" still
// means --conflict-exit-code, and "-c" before the file is an error).
var options = []optionSpec{
	{id: optShared, short: 's', long: "shared"},
	{id: optExclusive, short: 'x', long: "exclusive"},
	{id: optExclusive, short: 'e'},
	{id: optUnlock, short: 'u', long: "unlock"},
	{id: optNonblock, short: 'n', long: "nonblocking"},
	{id: optNonblock, long: "nb"},
	{id: optTimeout, short: 'w', long: "timeout", hasArg: true},
	{id: optTimeout, long: "wait", hasArg: true},
	{id: optConflictExitCode, short: 'E', long: "conflict-exit-code", hasArg: true},
	{id: optClose, short: 'o', long: "close"},
	{id: optNoFork, short: 'F', long: "no-fork"},
	{id: optVerbose, long: "verbose"},
	{id: optFcntl, long: "fcntl"},
	{id: optFd, long: "fd", hasArg: true},
	{id: optCommand, short: 'c', long: "command", hasArg: true, exactLong: true, after: optFd},
	{id: optHelp, short: 'h', long: "help"},
	{id: optVersion, short: 'V', long: "version"},
	{id: optQuestion, short: '?'},
}

type lockMode int

const (
	modeExclusive lockMode = iota
	modeShared
	modeUnlock
)

// A config is the command line, understood.
type config struct {
	mode         lockMode
	nonblocking  bool
	timeout      *timeout // nil without -w
	conflictCode int
	closeFd      bool // -o
	noFork       bool // -F
	verbose      bool
	fcntl        bool
	fd           int  // the descriptor to lock, when there is no file
	haveFd       bool // --fd was given
	command      *string
	commandFlag  string // how -c was spelled, for messages
	path         string // the lock file, when haveFile
	haveFile     bool
	argv         []string
}

// parseCommandLine turns args (without the program name) into a config. It
// acts on the options in order, as flock(1) does, so that -h or -V answers
// before a later mistake is noticed and a bad -w value is reported before a
// later unknown option. done reports that the program must exit with code.
func (a *app) parseCommandLine(args []string) (cfg *config, code int, done bool) {
	if len(args) == 0 {
		a.warn("not enough arguments")
		return nil, a.tryHelp(), true
	}
	res := getoptLong(args, options)
	cfg = &config{conflictCode: 1}
	for _, o := range res.options {
		if code, done := a.applyOption(cfg, o); done {
			return nil, code, true
		}
	}
	if res.err != nil {
		a.rawWarn(a.argv0 + ": " + res.err.message)
		return nil, a.tryHelp(), true
	}
	if cfg.noFork && cfg.closeFd {
		return nil, a.usageError("the --no-fork and --close options are incompatible"), true
	}
	if code, ok := a.applyOperands(cfg, res.operands); !ok {
		return nil, code, true
	}
	return cfg, 0, false
}

func (a *app) applyOption(cfg *config, o parsedOption) (code int, done bool) {
	switch o.id {
	case optShared:
		cfg.mode = modeShared
	case optExclusive:
		cfg.mode = modeExclusive
	case optUnlock:
		cfg.mode = modeUnlock
	case optNonblock:
		cfg.nonblocking = true
	case optTimeout:
		t, err := parseTimeout(o.arg)
		if err != nil {
			return a.numberError("invalid timeout value", o.arg, err), true
		}
		cfg.timeout = &t
	case optConflictExitCode:
		n, err := parseInt32(o.arg)
		if err != nil {
			return a.numberError("invalid exit code", o.arg, err), true
		}
		if n < 0 || n > 255 {
			return a.usageError("exit code out of range (expected 0 to 255)"), true
		}
		cfg.conflictCode = int(n)
	case optClose:
		cfg.closeFd = true
	case optNoFork:
		cfg.noFork = true
	case optVerbose:
		cfg.verbose = true
	case optFcntl:
		cfg.fcntl = true
	case optFd:
		n, err := parseInt32(o.arg)
		if err == nil && n < 0 {
			err = errSyntax // newer util-linux refuses negative descriptors here
		}
		if err != nil {
			return a.numberError("bad file descriptor", o.arg, err), true
		}
		cfg.fd, cfg.haveFd = int(n), true
	case optCommand:
		cfg.command, cfg.commandFlag = &o.arg, o.flag
	case optHelp:
		a.usage()
		return 0, true
	case optVersion:
		a.version()
		return 0, true
	default: // optQuestion
		return a.tryHelp(), true
	}
	return 0, false
}

// applyOperands handles what follows the options. Without --fd: a path and a
// command, a path and -c STRING, or a lone descriptor number. With --fd:
// an optional command.
func (a *app) applyOperands(cfg *config, operands []string) (code int, ok bool) {
	if cfg.haveFd {
		return a.applyFdOperands(cfg, operands)
	}
	switch {
	case len(operands) >= 2:
		cfg.path, cfg.haveFile = operands[0], true
		if flag := operands[1]; flag == "-c" || flag == "--command" {
			if len(operands) != 3 {
				return a.usageError(flag + " requires exactly one command argument"), false
			}
			cfg.argv = shellCommand(operands[2])
		} else {
			cfg.argv = operands[1:]
		}
	case len(operands) == 1:
		n, err := parseInt32(operands[0])
		if err != nil {
			return a.numberError("bad file descriptor", operands[0], err), false
		}
		cfg.fd = int(n) // 2.38.1 accepts a negative number and fails with EBADF
	default:
		return a.usageError("requires file descriptor, file or directory"), false
	}
	return 0, true
}

func (a *app) applyFdOperands(cfg *config, operands []string) (code int, ok bool) {
	switch {
	case cfg.command != nil && len(operands) > 0:
		return a.usageError(cfg.commandFlag + " requires exactly one command argument"), false
	case cfg.command != nil:
		cfg.argv = shellCommand(*cfg.command)
	case len(operands) > 0:
		cfg.argv = operands
	}
	return 0, true
}

// shellCommand is the argv that runs s: $SHELL when set and not empty,
// otherwise /bin/sh; like flock(1), the password database is not read.
func shellCommand(s string) []string {
	shell := os.Getenv("SHELL")
	if shell == "" {
		shell = "/bin/sh"
	}
	return []string{shell, "-c", s}
}

// numberError reports a number flock(1) cannot read, with strerror's text
// appended when the number is out of range, as err(3) does.
func (a *app) numberError(what, arg string, err error) int {
	msg := what + ": '" + arg + "'"
	if errors.Is(err, errRange) {
		msg += ": Numerical result out of range"
	}
	return a.usageError(msg)
}

func (a *app) usageError(msg string) int {
	a.warn(msg)
	return exUsage
}

func (a *app) tryHelp() int {
	a.rawWarn("Try '" + a.name + " --help' for more information.")
	return exUsage
}
