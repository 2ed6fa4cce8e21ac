// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// A config is the command line, understood.
type config struct {
	key            string
	argv           []string // the command to run
	nonblocking    bool
	timeout        time.Duration // with -w; 0 without
	conflictCode   int
	verbose        bool
	endpoints      []string
	ttl            time.Duration
	requestTimeout time.Duration
	help, version  bool
}

// An option is one entry of the option table: a short name, a long name, or
// both, and what it does with its argument, if it takes one.
type option struct {
	short  byte
	long   string
	hasArg bool
	apply  func(c *config, arg string) error
}

// A usageError is a mistake on the command line.
type usageError string

func (e usageError) Error() string { return string(e) }

func usageErrorf(format string, args ...any) error {
	return usageError(fmt.Sprintf(format, args...))
}

var options = []option{
	{short: 'n', long: "nonblocking", apply: func(c *config, _ string) error { c.nonblocking = true; return nil }},
	{long: "nb", apply: func(c *config, _ string) error { c.nonblocking = true; return nil }},
	{short: 'w', long: "timeout", hasArg: true, apply: setTimeout},
	{long: "wait", hasArg: true, apply: setTimeout},
	{short: 'E', long: "conflict-exit-code", hasArg: true, apply: setConflictCode},
	{short: 'x', long: "exclusive", apply: func(*config, string) error { return nil }},
	{short: 'e', apply: func(*config, string) error { return nil }},
	{short: 's', long: "shared", apply: func(*config, string) error {
		return usageErrorf("shared locks are not supported: etcd's lock recipe has none")
	}},
	{long: "verbose", apply: func(c *config, _ string) error { c.verbose = true; return nil }},
	{long: "endpoints", hasArg: true, apply: func(c *config, arg string) error {
		c.endpoints = splitEndpoints(arg)
		return nil
	}},
	{long: "ttl", hasArg: true, apply: func(c *config, arg string) error { return setDuration(&c.ttl, "--ttl", arg) }},
	{long: "request-timeout", hasArg: true, apply: func(c *config, arg string) error {
		return setDuration(&c.requestTimeout, "--request-timeout", arg)
	}},
	{short: 'h', long: "help", apply: func(c *config, _ string) error { c.help = true; return nil }},
	{short: 'V', long: "version", apply: func(c *config, _ string) error { c.version = true; return nil }},
}

// parseArgs reads the command line (without the program name) the way
// flock(1) does: options first, clustered or not, long ones by any unique
// prefix; the first operand is the key; everything after it is the command,
// or -c and one string for the shell. Help and version end the parse.
func parseArgs(args []string) (*config, error) {
	c := &config{conflictCode: 1, ttl: 10 * time.Second, requestTimeout: 5 * time.Second}
	if env := os.Getenv("ETCDCTL_ENDPOINTS"); env != "" {
		c.endpoints = splitEndpoints(env)
	}
	i := 0
	for ; i < len(args) && !c.help && !c.version; i++ {
		arg := args[i]
		if arg == "--" {
			i++
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			break
		}
		var err error
		if strings.HasPrefix(arg, "--") {
			i, err = c.parseLong(args, i)
		} else {
			i, err = c.parseShort(args, i)
		}
		if err != nil {
			return nil, err
		}
	}
	if c.help || c.version {
		return c, nil
	}
	return c, c.operands(args[i:])
}

func (c *config) parseLong(args []string, i int) (int, error) {
	name, arg, hasArg := strings.Cut(args[i][2:], "=")
	var found []option
	for _, o := range options {
		if o.long == name {
			found = []option{o}
			break
		}
		if o.long != "" && strings.HasPrefix(o.long, name) {
			found = append(found, o)
		}
	}
	switch {
	case len(found) == 0:
		return i, usageErrorf("unrecognized option '--%s'", name)
	case len(found) > 1:
		return i, usageErrorf("option '--%s' is ambiguous", name)
	}
	o := found[0]
	switch {
	case o.hasArg && !hasArg:
		if i+1 == len(args) {
			return i, usageErrorf("option '--%s' requires an argument", o.long)
		}
		i++
		arg = args[i]
	case !o.hasArg && hasArg:
		return i, usageErrorf("option '--%s' doesn't allow an argument", o.long)
	}
	return i, o.apply(c, arg)
}

func (c *config) parseShort(args []string, i int) (int, error) {
	cluster := args[i][1:]
	for j := 0; j < len(cluster); j++ {
		o, ok := shortOption(cluster[j])
		if !ok {
			return i, usageErrorf("invalid option -- '%c'", cluster[j])
		}
		if !o.hasArg {
			if err := o.apply(c, ""); err != nil {
				return i, err
			}
			continue
		}
		arg := cluster[j+1:]
		if arg == "" {
			if i+1 == len(args) {
				return i, usageErrorf("option requires an argument -- '%c'", o.short)
			}
			i++
			arg = args[i]
		}
		return i, o.apply(c, arg)
	}
	return i, nil
}

func shortOption(b byte) (option, bool) {
	for _, o := range options {
		if o.short == b {
			return o, true
		}
	}
	return option{}, false
}

// operands takes the key and the command.
func (c *config) operands(ops []string) error {
	switch {
	case len(ops) == 0:
		return usageErrorf("requires a key and a command")
	case len(ops) == 1:
		return usageErrorf("requires a command to run under the lock on %s", ops[0])
	case ops[1] == "-c" || ops[1] == "--command":
		if len(ops) != 3 {
			return usageErrorf("%s requires exactly one command argument", ops[1])
		}
		shell := os.Getenv("SHELL")
		if shell == "" {
			shell = "/bin/sh"
		}
		c.argv = []string{shell, "-c", ops[2]}
	default:
		c.argv = ops[1:]
	}
	c.key = ops[0]
	if len(c.endpoints) == 0 {
		c.endpoints = []string{defaultEndpoint}
	}
	return nil
}

// setTimeout reads -w SECS as flock(1) does: a decimal number of seconds,
// truncated to whole microseconds, where 0 means -n.
func setTimeout(c *config, arg string) error {
	secs, err := strconv.ParseFloat(arg, 64)
	if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) || secs < 0 || secs > math.MaxInt64/1e9 {
		return usageErrorf("invalid timeout value: '%s'", arg)
	}
	c.timeout = time.Duration(secs*1e6) * time.Microsecond
	if c.timeout == 0 {
		c.nonblocking = true
	}
	return nil
}

func setConflictCode(c *config, arg string) error {
	n, err := strconv.Atoi(arg)
	if err != nil {
		return usageErrorf("invalid exit code: '%s'", arg)
	}
	if n < 0 || n > 255 {
		return usageErrorf("exit code out of range (expected 0 to 255)")
	}
	c.conflictCode = n
	return nil
}

func setDuration(d *time.Duration, name, arg string) error {
	v, err := time.ParseDuration(arg)
	if err != nil || v <= 0 {
		return usageErrorf("invalid %s value: '%s' (want a positive duration such as 10s)", name, arg)
	}
	*d = v
	return nil
}

func splitEndpoints(s string) []string {
	var eps []string
	for _, ep := range strings.Split(s, ",") {
		if ep = strings.TrimSpace(ep); ep != "" {
			eps = append(eps, ep)
		}
	}
	return eps
}
