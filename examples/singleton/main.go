// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

// Command singleton shows single-instance guarding with flock.Guard. It
// takes the machine-wide guard of the application "singleton-demo", prints
// its PID and runs for a few seconds; a second copy started meanwhile is
// refused at once, told who runs, and exits with status 2; with -wait it
// waits for the running copy to exit (flock.GuardContext) and then runs.
//
//	go run ./examples/singleton          # in two terminals
//	go run ./examples/singleton -demo    # all of it in one
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"time"

	"github.com/lockwise/flock"
)

const app = "singleton-demo"

func main() {
	hold := flag.Duration("hold", 3*time.Second, "how long to run")
	wait := flag.Bool("wait", false, "wait for the running instance instead of exiting")
	dir := flag.String("dir", "", "lock directory, instead of the machine's (see flock.Guard)")
	demo := flag.Bool("demo", false, "start three copies of this program and show what each does")
	flag.Parse()
	var opts []flock.Option
	if *dir != "" {
		opts = append(opts, flock.WithLockDir(*dir))
	}
	if *demo {
		os.Exit(runDemo(*dir))
	}
	os.Exit(run(*hold, *wait, opts))
}

func run(hold time.Duration, wait bool, opts []flock.Option) int {
	pid := os.Getpid()
	guard, err := flock.Guard(app, opts...)
	if errors.Is(err, flock.ErrLocked) && wait {
		fmt.Printf("pid %d: %v; waiting for it to exit\n", pid, err)
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		guard, err = flock.GuardContext(ctx, app, opts...)
	}
	if errors.Is(err, flock.ErrLocked) {
		fmt.Fprintf(os.Stderr, "pid %d: %v; exiting with status 2\n", pid, err)
		return 2
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pid %d: %v\n", pid, err)
		return 1
	}
	defer guard.Close()
	fmt.Printf("pid %d: running; holding %s for %s\n", pid, guard.Path(), hold)
	time.Sleep(hold)
	fmt.Printf("pid %d: done; the guard is released as the process exits\n", pid)
	return 0
}

// runDemo starts a first copy, then a second that is refused, then a third
// that waits for the first.
func runDemo(dir string) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	copyOf := func(args ...string) *exec.Cmd {
		if dir != "" {
			args = append(args, "-dir", dir)
		}
		cmd := exec.Command(exe, args...)
		cmd.Stderr = os.Stdout // keep every copy's messages in order
		return cmd
	}

	fmt.Println("== first copy: takes the guard and runs for 2s")
	first := copyOf("-hold", "2s")
	out, _ := first.StdoutPipe()
	if err := first.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	lines := bufio.NewScanner(out)
	if !lines.Scan() { // it holds the guard once it says so
		first.Wait()
		return 1
	}
	fmt.Println(lines.Text())
	rest := make(chan struct{})
	go func() {
		defer close(rest)
		for lines.Scan() {
			fmt.Println(lines.Text())
		}
	}()

	fmt.Println("== second copy, started meanwhile: refused at once, and told who runs")
	second := copyOf()
	second.Stdout = os.Stdout
	var ee *exec.ExitError
	if err := second.Run(); errors.As(err, &ee) {
		fmt.Printf("   second copy exited with status %d\n", ee.ExitCode())
	}

	fmt.Println("== third copy, with -wait: runs once the first has exited")
	third := copyOf("-wait", "-hold", "1s")
	third.Stdout = os.Stdout
	if err := third.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "third copy:", err)
		return 1
	}
	<-rest
	if err := first.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, "first copy:", err)
		return 1
	}
	return 0
}
