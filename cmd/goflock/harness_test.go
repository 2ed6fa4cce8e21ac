// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The black-box tests run shell scripts twice, once with $FLOCK set to the
// goflock binary and once with util-linux's /usr/bin/flock, and require the
// same exit code, stdout and stderr from both, and the transcript each
// scenario expects. $OTHER names the other tool, so cross-tool scenarios
// test both directions.

var goflockPath string // built by TestMain

// scriptTimeout bounds one run of a scenario; it only catches hangs, no
// scenario comes near it.
const scriptTimeout = 60 * time.Second

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "goflock-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	goflockPath = filepath.Join(dir, "goflock")
	if out, err := exec.Command("go", "build", "-o", goflockPath, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building goflock: %v\n%s", err, out)
		os.Exit(1)
	}
	if err := os.WriteFile(filepath.Join(dir, "pylock.py"), []byte(pyLock), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needTool returns the path of a program the tests need. A missing one
// fails the test in CI (CI=true) and skips it elsewhere.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI: %v (Debian: apt-get install util-linux python3 bash)", name, err)
	}
	t.Skipf("skipping: %s not found (%v); the comparison with flock(1) needs it", name, err)
	return ""
}

var pythonPath struct {
	once sync.Once
	path string
	err  error
}

// realPython returns the interpreter behind a python3 wrapper such as
// pyenv's shim, which takes the better part of a second to start.
func realPython(t *testing.T, python string) string {
	t.Helper()
	pythonPath.once.Do(func() {
		var out []byte
		out, pythonPath.err = exec.Command(python, "-c", "import sys; print(sys.executable)").Output()
		pythonPath.path = strings.TrimSpace(string(out))
	})
	require.NoError(t, pythonPath.err, "asking %s for its executable", python)
	return pythonPath.path
}

// A scenario is a bash script that uses $FLOCK (the tool under test) and
// what it prints, after normalize, with the script's exit code.
type scenario struct {
	name   string
	script string
	code   int
	stdout string
	stderr string
	// goflockOnly marks newer options that flock 2.38.1 lacks (--fcntl,
	// --fd): the script then runs with goflock only.
	goflockOnly bool
}

type outcome struct {
	code           int
	stdout, stderr string
}

// runScenarios runs each scenario, in parallel, against both tools.
func runScenarios(t *testing.T, scenarios []scenario) {
	t.Helper()
	bash := needTool(t, "bash")
	utilFlock := needTool(t, "flock")
	python := realPython(t, needTool(t, "python3"))
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			env := []string{"PYTHON=" + python, "PYLOCK=" + filepath.Join(filepath.Dir(goflockPath), "pylock.py")}
			got := runScript(t, bash, sc.script, env, goflockPath, utilFlock)
			want := outcome{sc.code, sc.stdout, sc.stderr}
			if !sc.goflockOnly {
				ref := runScript(t, bash, sc.script, env, utilFlock, goflockPath)
				assert.Equal(t, want, ref, "util-linux flock does not behave as the scenario expects")
			}
			assert.Equal(t, want, got, "goflock")
		})
	}
}

// runScript runs script in a new directory, with tool as $FLOCK and other as
// $OTHER, and returns what it did. Stray background processes are killed
// afterwards with the script's process group.
func runScript(t *testing.T, bash, script string, env []string, tool, other string) outcome {
	t.Helper()
	dir := t.TempDir()
	outDir := t.TempDir()
	stdout, err := os.Create(filepath.Join(outDir, "stdout"))
	require.NoError(t, err)
	stderr, err := os.Create(filepath.Join(outDir, "stderr"))
	require.NoError(t, err)
	defer stdout.Close()
	defer stderr.Close()

	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "-c", preamble+script)
	cmd.Dir = dir
	cmd.Env = append(append(testEnv(), env...), "FLOCK="+tool, "OTHER="+other)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err = cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(outDir, name))
		require.NoError(t, err)
		return normalize(string(b), dir, tool, other)
	}
	got := outcome{0, read("stdout"), read("stderr")}
	require.NoError(t, ctx.Err(), "script timed out with FLOCK=%s; so far: %+v", tool, got)
	if err != nil {
		exitErr, ok := err.(*exec.ExitError)
		require.True(t, ok, "running bash: %v", err)
		got.code = exitErr.ExitCode()
	}
	return got
}

// testEnv is the environment of the scripts: this process's, in the C
// locale, without SHELL (scenarios that need it set it).
func testEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SHELL=") && !strings.HasPrefix(kv, "LC_") && !strings.HasPrefix(kv, "LANG") {
			env = append(env, kv)
		}
	}
	return append(env, "LC_ALL=C")
}

var (
	durationRE = regexp.MustCompile(`took [0-9]+\.[0-9]{6} seconds`)
	// bash's notices about background jobs that a signal killed name PIDs.
	// Whether one is printed is a race in bash (a job whose end it notices
	// before the script waits for it can be reported as well), and the name
	// it starts with has been seen as "bash" and as "environment".
	jobNoticeRE = regexp.MustCompile(`(?m)^[^:\n]+: line [0-9]+: +[0-9]+ .*\n`)
	prefixRE    = regexp.MustCompile(`(?m)(^|Try ')(go)?flock(: | --help| from)`)
)

// normalize makes the two tools' output comparable: their paths (which
// getopt's messages show) become FLOCK, their short names become FLOCK,
// the scenario's directory becomes $DIR and durations become N.
func normalize(s, dir, flockPath, otherPath string) string {
	s = strings.ReplaceAll(s, flockPath, "FLOCK")
	s = strings.ReplaceAll(s, otherPath, "FLOCK")
	s = strings.ReplaceAll(s, dir, "$DIR")
	s = durationRE.ReplaceAllString(s, "took N seconds")
	s = jobNoticeRE.ReplaceAllString(s, "")
	return prefixRE.ReplaceAllString(s, "${1}FLOCK$3")
}

// preamble gives every scenario a lock holder it can start and stop
// without sleeping:
//
//	hold NAME COMMAND...  starts COMMAND in the background and returns once
//	                      it has written to the FIFO NAME.ready, or has
//	                      exited; $NAME_pid is its PID.
//	release NAME          writes to NAME.release and prints NAME's status.
//	./holder NAME         the command to run under a lock: it records its
//	                      PID in NAME.pid, signals NAME.ready and waits for
//	                      NAME.release.
//	pylock ...            Python's fcntl.flock or fcntl.lockf: "try API MODE
//	                      PATH" prints whether it got the lock; "hold API
//	                      MODE PATH NAME" is a holder.
//	wait_blocked PID      returns once PID waits for a flock(2) lock.
//
// hold gives COMMAND a write end of NAME.ready on descriptor 8, so that the
// read sees end-of-file if COMMAND dies without signalling. release writes
// through a descriptor it keeps open, so that a holder that has not opened
// NAME.release yet (or whose tool was killed) still finds the line there.
const preamble = `
set -u
cat > holder <<'EOF'
#!/bin/sh
echo $$ > "$1.pid"
echo > "$1.ready"
read -r _ < "$1.release"
EOF
chmod +x holder
pylock() { "$PYTHON" "$PYLOCK" "$@"; }
hold() {
	local name=$1
	shift
	rm -f "$name.ready" "$name.release"
	mkfifo "$name.ready" "$name.release"
	"$@" 8>"$name.ready" &
	eval "${name}_pid=$!"
	read -r _ < "$name.ready" || echo "holder $name exited before signalling"
}
release() {
	local fd
	exec {fd}<>"$1.release"
	echo >&$fd
	wait "$(eval echo "\$${1}_pid")"
	echo "$1 exit=$?"
}
wait_blocked() {
	local i
	for i in $(seq 3000); do
		grep -qE -- "-> FLOCK +ADVISORY +[A-Z]+ +$1 " /proc/locks && return
		sleep 0.01
	done
	echo "pid $1 never blocked"
}
`

// pyLock is the Python side of the cross-tool tests.
const pyLock = `
import fcntl, os, sys

op, api, mode, path = sys.argv[1:5]
if os.path.isdir(path):
    fd = os.open(path, os.O_RDONLY)
elif api == "flock":
    fd = os.open(path, os.O_RDONLY | os.O_CREAT)
else:
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
how = {"ex": fcntl.LOCK_EX, "sh": fcntl.LOCK_SH}[mode]
lock = fcntl.flock if api == "flock" else fcntl.lockf
if op == "try":
    try:
        lock(fd, how | fcntl.LOCK_NB)
        print("python %s %s: got it" % (api, mode))
    except (BlockingIOError, PermissionError):
        print("python %s %s: busy" % (api, mode))
else:
    lock(fd, how)
    name = sys.argv[5]
    with open(name + ".ready", "w") as f:
        f.write("\n")
    with open(name + ".release") as f:
        f.readline()
`
