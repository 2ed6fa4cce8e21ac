// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import (
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// render writes a parse result the way util-linux getopt(1) prints one:
// " -n -E '3' --timeout '4' -- 'file' 'cmd'".
func render(res parseResult) string {
	var b strings.Builder
	for _, o := range res.options {
		b.WriteString(" " + o.flag)
		if specFor(o).hasArg {
			b.WriteString(" '" + o.arg + "'")
		}
	}
	b.WriteString(" --")
	for _, op := range res.operands {
		b.WriteString(" '" + op + "'")
	}
	return b.String()
}

func specFor(o parsedOption) optionSpec {
	for _, s := range options {
		if s.id == o.id && ("--"+s.long == o.flag || s.short != 0 && "-"+string(s.short) == o.flag) {
			return s
		}
	}
	panic("no spec for " + o.flag)
}

func TestGetoptLong(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // render's output, or the error message
	}{
		{nil, " --"},
		{[]string{"L", "-n", "true"}, " -- 'L' '-n' 'true'"},
		{[]string{"-nE3", "-w1", "L", "x"}, " -n -E '3' -w '1' -- 'L' 'x'"},
		{[]string{"-nE", "3", "--", "-x"}, " -n -E '3' -- '-x'"},
		{[]string{"-w", "--", "L"}, " -w '--' -- 'L'"},
		{[]string{"-", "x"}, " -- '-' 'x'"},
		{[]string{"--", "--", "x"}, " -- '--' 'x'"},
		{[]string{"--nb", "--non", "--nonblock", "--nonblocking"}, " --nb --nonblocking --nonblocking --nonblocking --"},
		{[]string{"--ti=", "--wa", "5", "--co=7", "--cl", "--ex", "--e"}, " --timeout '' --wait '5' --conflict-exit-code '7' --close --exclusive --exclusive --"},
		{[]string{"--ti=a=b"}, " --timeout 'a=b' --"},
		{[]string{"--verb", "--h", "--vers"}, " --verbose --help --version --"},
		{[]string{"--f"}, "option '--f' is ambiguous; possibilities: '--fcntl' '--fd'"},
		{[]string{"--fd", "3", "-c", "x", "--command=y", "--fc"}, " --fd '3' -c 'x' --command 'y' --fcntl --"},
		{[]string{"-?", "-sexuoF"}, " -? -s -e -x -u -o -F --"},
		{[]string{"-Z"}, "invalid option -- 'Z'"},
		{[]string{"-n:"}, "invalid option -- ':'"},
		{[]string{"-c", "x"}, "invalid option -- 'c'"},
		{[]string{"-\xc3\xa9"}, "invalid option -- '\xc3'"},
		{[]string{"-nw"}, "option requires an argument -- 'w'"},
		{[]string{"--timeout"}, "option '--timeout' requires an argument"},
		{[]string{"--wa"}, "option '--wait' requires an argument"},
		{[]string{"--shared=1"}, "option '--shared' doesn't allow an argument"},
		{[]string{"--nonb=1"}, "option '--nonblocking' doesn't allow an argument"},
		{[]string{"--n"}, "option '--n' is ambiguous; possibilities: '--nonblocking' '--no-fork'"},
		{[]string{"--c=1"}, "option '--c=1' is ambiguous; possibilities: '--conflict-exit-code' '--close'"},
		{[]string{"--command", "x"}, "unrecognized option '--command'"},
		{[]string{"--fd", "3", "--comm", "x"}, "unrecognized option '--comm'"},
		{[]string{"--bogus=1", "-Z"}, "unrecognized option '--bogus=1'"},
		{[]string{"--=x"}, "option '--=x' is ambiguous; possibilities: '--shared' '--exclusive' '--unlock' " +
			"'--nonblocking' '--nb' '--timeout' '--wait' '--conflict-exit-code' '--close' '--no-fork' " +
			"'--verbose' '--fcntl' '--fd' '--help' '--version'"},
	} {
		res := getoptLong(tc.args, options)
		got := ""
		if res.err != nil {
			got = res.err.message
			assert.Nil(t, res.operands, "%q: operands after an error", tc.args)
		} else {
			got = render(res)
		}
		assert.Equal(t, tc.want, got, "%q", tc.args)
	}
}

// TestGetoptLongStopsAtError checks that the options before a mistake are
// kept, since flock(1) acts on them before it reports the mistake.
func TestGetoptLongStopsAtError(t *testing.T) {
	res := getoptLong([]string{"-n", "-w", "x", "-Z", "-s"}, options)
	require.NotNil(t, res.err)
	assert.Equal(t, []parsedOption{{optNonblock, "-n", ""}, {optTimeout, "-w", "x"}}, res.options)
}

// TestGetoptLongMatchesGetopt1 compares the parser with glibc's, through
// util-linux getopt(1), on random command lines built from tricky words.
// getopt(1) gives every long option its own identity, so abbreviations
// shared by --nonblocking and --nb, or --timeout and --wait, are compared
// only as "ambiguous"; it reports -? as an error, so -? is not used.
func TestGetoptLongMatchesGetopt1(t *testing.T) {
	getopt := needTool(t, "getopt")
	var spec []optionSpec // flock 2.38.1's table
	for _, s := range options {
		if s.id != optFcntl && s.id != optFd && s.id != optCommand && s.id != optQuestion {
			spec = append(spec, s)
		}
	}
	var longs []string
	for _, s := range spec {
		if s.long != "" {
			longs = append(longs, s.long+map[bool]string{true: ":"}[s.hasArg])
		}
	}
	words := []string{"-s", "-x", "-e", "-u", "-n", "-o", "-F", "-w", "-E", "-h", "-V", "-nE3", "-w1",
		"-snx", "-Ew", "-Z", "-c", "-:", "-", "--", "x", "3", "", "--shared", "--sh", "--s", "--nb",
		"--n", "--no", "--non", "--nonblock", "--no-f", "--ti=1", "--timeout", "--wait", "--wa=2",
		"--conflict-exit-code=3", "--co", "--c", "--verbose", "--verb=1", "--help", "--v", "--bogus",
		"--=", "--e", "--cl=1", "--h"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		args := make([]string, rng.IntN(6))
		for i := range args {
			args[i] = words[rng.IntN(len(words))]
		}
		cmd := exec.Command(getopt, append([]string{"-o", "+sexnoFuw:E:hV", "-l", strings.Join(longs, ","), "-n", "P", "--"}, args...)...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		res := getoptLong(args, spec)
		if err == nil {
			if assert.Nil(t, res.err, "%q", args) {
				assert.Equal(t, strings.TrimSuffix(string(out), "\n"), render(res), "%q", args)
			}
			continue
		}
		want, _, _ := strings.Cut(strings.TrimPrefix(stderr.String(), "P: "), "\n")
		if !assert.NotNil(t, res.err, "%q: getopt(1) says %s", args, want) {
			continue
		}
		if strings.Contains(want, "is ambiguous") {
			want, _, _ = strings.Cut(want, ";")
		}
		got := res.err.message
		if strings.Contains(got, "is ambiguous") || strings.Contains(want, "is ambiguous") {
			got, _, _ = strings.Cut(got, ";")
			if !strings.Contains(got, "is ambiguous") {
				continue // an abbreviation shared by two names for one option
			}
		}
		assert.Equal(t, want, got, "%q", args)
	}
}

// FuzzParseArgs checks that the parser never panics and that what it
// returns is consistent: operands are the tail of the command line, an
// error leaves none, and the options it found, written out again in
// canonical form, parse to the same result. It also runs the whole
// command-line handling, which must end in a config or an exit code.
func FuzzParseArgs(f *testing.F) {
	for _, seed := range []string{"", "-nE3\x00L\x00true", "--ti=1\x00--\x00x", "--fd\x003\x00-c\x00x",
		"-w\x00-1e9\x00x\x00y", "--=\x00--n", "5", "-E\x00 +3\x00L\x00-c\x00s"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		res := getoptLong(args, options)
		if res.err != nil {
			require.Nil(t, res.operands)
			require.NotEmpty(t, res.err.message)
		} else {
			require.True(t, len(res.operands) <= len(args))
			require.Equal(t, args[len(args)-len(res.operands):], res.operands)
			again := getoptLong(canonical(res), options)
			require.Nil(t, again.err, "canonical form %q", canonical(res))
			require.Equal(t, ids(res), ids(again))
			require.Equal(t, res.operands, again.operands)
		}
		for _, o := range res.options {
			spec := specFor(o)
			if !spec.hasArg {
				require.Empty(t, o.arg)
			}
		}

		a := &app{name: "goflock", argv0: "goflock",
			stdout: &stdioBuffer{buffered: true}, stderr: &stdioBuffer{buffered: true}}
		cfg, code, done := a.parseCommandLine(args)
		if done {
			require.Nil(t, cfg)
			require.Contains(t, []int{0, exUsage}, code)
			return
		}
		require.NotNil(t, cfg)
		require.True(t, cfg.haveFile || cfg.haveFd || cfg.argv == nil)
		require.True(t, cfg.argv == nil || len(cfg.argv) > 0)
		require.False(t, cfg.noFork && cfg.closeFd)
		require.True(t, cfg.conflictCode >= 0 && cfg.conflictCode <= 255)
	})
}

// canonical writes res out again: long names in full with "=", short-only
// options with a separate argument, then "--" and the operands.
func canonical(res parseResult) []string {
	var args []string
	for _, o := range res.options {
		spec := specFor(o)
		switch {
		case spec.long != "" && spec.hasArg:
			args = append(args, "--"+spec.long+"="+o.arg)
		case spec.long != "":
			args = append(args, "--"+spec.long)
		case spec.hasArg:
			args = append(args, "-"+string(spec.short), o.arg)
		default:
			args = append(args, "-"+string(spec.short))
		}
	}
	return append(append(args, "--"), res.operands...)
}

type idArg struct {
	id  optionID
	arg string
}

func ids(res parseResult) []idArg {
	var out []idArg
	for _, o := range res.options {
		out = append(out, idArg{o.id, o.arg})
	}
	return slices.Clip(out)
}
