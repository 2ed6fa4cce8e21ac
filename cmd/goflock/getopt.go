// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import (
	"fmt"
	"strings"
)

// This file reimplements the part of glibc's getopt_long(3) that flock(1)
// relies on, with an option string that starts with '+': clustered short
// options, short options whose argument is the rest of the cluster or the
// next word, long options abbreviated to any unambiguous prefix, "--name=arg",
// and parsing that stops at the first operand or after "--". No Go library
// was found that reproduces those rules (in particular glibc's ambiguity
// test and its exact error messages), so the few rules are written out here.

// An optionSpec is one entry of the option table: a short letter, a long
// name, or both.
type optionSpec struct {
	id     optionID
	short  byte   // 0 when the option has no short form
	long   string // "" when the option has no long form
	hasArg bool   // the option requires an argument
	// exactLong makes the long name match only when spelled out in full, so
	// that adding it cannot make an abbreviation of an older option
	// ambiguous.
	exactLong bool
	// after, when set, is an option that must come earlier on the command
	// line for this one to exist; before that, it is an unknown option.
	after optionID
}

type optionID int

// A parsedOption is one option found on the command line.
type parsedOption struct {
	id   optionID
	flag string // "-x" or "--name", the way the table spells it
	arg  string // the argument, for options that take one
}

// A parseResult is what getoptLong found. When err is set, options holds the
// options before the faulty one and operands is nil: flock(1) acts on those
// options in order, then reports err.
type parseResult struct {
	options  []parsedOption
	operands []string
	err      *getoptError
}

// A getoptError is one of getopt's diagnostics, without the "argv0: "
// prefix that getopt puts in front of it.
type getoptError struct{ message string }

func (e *getoptError) Error() string { return e.message }

// getoptLong parses args (the command line without the program name)
// against specs.
func getoptLong(args []string, specs []optionSpec) parseResult {
	var res parseResult
	seen := map[optionID]bool{}
	visible := func(s *optionSpec) bool { return s.after == 0 || seen[s.after] }
	add := func(id optionID, flag, arg string) {
		res.options = append(res.options, parsedOption{id: id, flag: flag, arg: arg})
		seen[id] = true
	}
	i := 0
	for i < len(args) {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break // an operand: '+' mode stops here
		}
		i++
		if a[1] == '-' {
			spec, arg, err := matchLong(a[2:], specs, visible)
			if err == nil && spec.hasArg && arg == nil {
				if i == len(args) {
					err = errorf("option '--%s' requires an argument", spec.long)
				} else {
					arg = &args[i]
					i++
				}
			}
			if err != nil {
				res.err = err
				return res
			}
			add(spec.id, "--"+spec.long, deref(arg))
			continue
		}
		for j := 1; j < len(a); j++ {
			spec := matchShort(a[j], specs, visible)
			if spec == nil {
				res.err = errorf("invalid option -- '%s'", a[j:j+1])
				return res
			}
			if !spec.hasArg {
				add(spec.id, "-"+a[j:j+1], "")
				continue
			}
			arg := a[j+1:]
			if arg == "" {
				if i == len(args) {
					res.err = errorf("option requires an argument -- '%s'", a[j:j+1])
					return res
				}
				arg = args[i]
				i++
			}
			add(spec.id, "-"+a[j:j+1], arg)
			break
		}
	}
	res.operands = args[i:]
	return res
}

func matchShort(c byte, specs []optionSpec, visible func(*optionSpec) bool) *optionSpec {
	if c == ':' {
		return nil // getopt never treats its own syntax character as an option
	}
	for k := range specs {
		if s := &specs[k]; s.short == c && visible(s) {
			return s
		}
	}
	return nil
}

// matchLong resolves "name" or "name=arg" (the word after "--"). arg is nil
// when no "=" was given.
func matchLong(word string, specs []optionSpec, visible func(*optionSpec) bool) (*optionSpec, *string, *getoptError) {
	name, value, hasValue := strings.Cut(word, "=")
	found := -1
	for k := range specs {
		if s := &specs[k]; s.long != "" && s.long == name && visible(s) {
			found = k
			break
		}
	}
	if found < 0 {
		// Like glibc, compare every other prefix match with the first one
		// only: options that differ from it make the abbreviation
		// ambiguous, and they are listed together with it.
		var ambiguous []string
		for k := range specs {
			s := &specs[k]
			if s.long == "" || s.exactLong || !visible(s) || !strings.HasPrefix(s.long, name) {
				continue
			}
			if found < 0 {
				found = k
				continue
			}
			if first := &specs[found]; s.id != first.id || s.hasArg != first.hasArg {
				if ambiguous == nil {
					ambiguous = []string{first.long}
				}
				ambiguous = append(ambiguous, s.long)
			}
		}
		if ambiguous != nil {
			return nil, nil, errorf("option '--%s' is ambiguous; possibilities: '--%s'",
				word, strings.Join(ambiguous, "' '--"))
		}
	}
	if found < 0 {
		return nil, nil, errorf("unrecognized option '--%s'", word)
	}
	spec := &specs[found]
	switch {
	case hasValue && !spec.hasArg:
		return nil, nil, errorf("option '--%s' doesn't allow an argument", spec.long)
	case hasValue:
		return spec, &value, nil
	}
	return spec, nil, nil
}

func errorf(format string, args ...any) *getoptError {
	return &getoptError{message: fmt.Sprintf(format, args...)}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
