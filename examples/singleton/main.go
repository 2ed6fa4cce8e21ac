// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

// Command singleton shows single-instance guarding with a flock lock. It
// prints its PID and holds the lock for a few seconds; a second copy started
// meanwhile exits at once with status 2, or, with -wait, waits until the
// first copy exits and then runs.
//
//	go run ./examples/singleton          # in two terminals
//	go run ./examples/singleton -demo    # all of it in one
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/lockwise/flock"
)

func main() {
	path := flag.String("lock", filepath.Join(os.TempDir(), "singleton-demo.lock"), "lock file")
	hold := flag.Duration("hold", 3*time.Second, "how long to hold the lock")
	wait := flag.Bool("wait", false, "wait for the running instance instead of exiting")
	demo := flag.Bool("demo", false, "start three copies of this program and show what each does")
	flag.Parse()
	if *demo {
		os.Exit(runDemo(*path))
	}
	os.Exit(run(*path, *hold, *wait))
}

func run(path string, hold time.Duration, wait bool) int {
	pid := os.Getpid()
	l, err := flock.New(path, flock.WithWaitHook(func(p string) {
		fmt.Printf("pid %d: %s is held by another instance; waiting\n", pid, p)
	}))
	if err != nil {
		fmt.Fprintf(os.Stderr, "pid %d: %v\n", pid, err)
		return 1
	}
	defer l.Close()
	if wait {
		err = l.Lock()
	} else {
		err = l.TryLock()
	}
	if errors.Is(err, flock.ErrLocked) {
		fmt.Fprintf(os.Stderr, "pid %d: another instance is running (%s is locked); exiting with status 2\n", pid, path)
		return 2
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pid %d: %v\n", pid, err)
		return 1
	}
	fmt.Printf("pid %d: running; holding %s for %s\n", pid, path, hold)
	time.Sleep(hold)
	fmt.Printf("pid %d: done; the lock is released as the process exits\n", pid)
	return 0
}

// runDemo starts a first copy, then a second that is refused, then a third
// that waits for the first.
func runDemo(path string) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	copyOf := func(args ...string) *exec.Cmd {
		cmd := exec.Command(exe, append([]string{"-lock", path}, args...)...)
		cmd.Stderr = os.Stderr
		return cmd
	}

	fmt.Println("== first copy: takes the lock and holds it for 2s")
	first := copyOf("-hold", "2s")
	out, _ := first.StdoutPipe()
	if err := first.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	lines := bufio.NewScanner(out)
	lines.Scan() // it holds the lock once it says so
	fmt.Println(lines.Text())
	go func() {
		for lines.Scan() {
			fmt.Println(lines.Text())
		}
	}()

	fmt.Println("== second copy, started meanwhile: refused at once")
	second := copyOf()
	second.Stdout = os.Stdout
	second.Stderr = os.Stdout // keep its message in order with the rest
	err = second.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		fmt.Printf("   second copy exited with status %d\n", ee.ExitCode())
	}

	fmt.Println("== third copy, with -wait: runs once the first has exited")
	third := copyOf("-wait", "-hold", "1s")
	third.Stdout = os.Stdout
	if err := third.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "third copy:", err)
		return 1
	}
	if err := first.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, "first copy:", err)
		return 1
	}
	return 0
}
