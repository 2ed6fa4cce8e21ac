// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/lockwise/flock"
	etcdlock "github.com/lockwise/flock/etcd"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// tokenEnv is the variable that gives the command the lock's fencing token.
const tokenEnv = "FLOCK_FENCING_TOKEN"

// lockAndRun takes the lock cfg describes and runs the command under it.
func lockAndRun(cfg *config) int {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   cfg.endpoints,
		DialTimeout: cfg.requestTimeout,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		warn("cannot use etcd at %v: %v", cfg.endpoints, err)
		return exTempFail
	}
	defer cli.Close()
	l, err := etcdlock.New(cli, cfg.key, etcdlock.WithTTL(cfg.ttl), etcdlock.WithRequestTimeout(cfg.requestTimeout))
	if err != nil {
		warn("%v", err)
		return exUsage
	}
	defer l.Close()
	// From here on the signals that would kill goflock-etcd are caught, so
	// that it withdraws from the queue, or passes them on to the command.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	start := time.Now()
	if code, ok := acquire(cfg, l, sigs); !ok {
		return code
	}
	if cfg.verbose {
		took := time.Since(start)
		fmt.Printf("%s: getting lock took %d.%06d seconds\n",
			name, took/time.Second, took%time.Second/time.Microsecond)
	}
	return runCommand(cfg, l, sigs)
}

// acquire takes the lock as cfg says, and reports false with the exit code
// if it did not.
func acquire(cfg *config, l *etcdlock.Lock, sigs <-chan os.Signal) (code int, ok bool) {
	var err error
	var caught os.Signal
	if cfg.nonblocking {
		err = l.TryLock()
	} else {
		caught, err = wait(cfg, l, sigs)
	}
	switch {
	case caught != nil:
		return 128 + signalNumber(caught), false
	case err == nil:
		return 0, true
	case errors.Is(err, flock.ErrLocked):
		if cfg.verbose {
			warn("failed to get lock")
		}
		return cfg.conflictCode, false
	case errors.Is(err, etcdlock.ErrUnavailable):
		warn("%v", err)
		return exTempFail, false
	case errors.Is(err, context.DeadlineExceeded):
		if cfg.verbose {
			warn("timeout while waiting to get lock")
		}
		return cfg.conflictCode, false
	}
	warn("%v", err)
	return exDataErr, false
}

// wait waits for the lock, for at most cfg's timeout if it has one, and
// gives up if one of sigs arrives first, returning it.
func wait(cfg *config, l *etcdlock.Lock, sigs <-chan os.Signal) (os.Signal, error) {
	ctx, cancel := context.WithCancel(context.Background())
	if cfg.timeout > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), cfg.timeout)
	}
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- l.LockContext(ctx) }()
	select {
	case err := <-res:
		return nil, err
	case sig := <-sigs:
		cancel()
		// A lock granted at this moment is released by Close.
		return sig, <-res
	}
}

// runCommand runs the command while the lock is held, and returns the exit
// code: the command's status, 128+N if signal N killed it, or exTempFail if
// the lock was lost before it ended.
func runCommand(cfg *config, l *etcdlock.Lock, sigs <-chan os.Signal) int {
	cmd := exec.Command(cfg.argv[0], cfg.argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), tokenEnv+"="+strconv.FormatInt(l.Token(), 10))
	if cfg.verbose {
		fmt.Printf("%s: executing %s\n", name, cfg.argv[0])
	}
	if err := cmd.Start(); err != nil {
		var ee *exec.Error
		var pe *fs.PathError
		switch {
		case errors.As(err, &ee):
			err = ee.Err
		case errors.As(err, &pe):
			err = pe.Err
		}
		warn("failed to execute %s: %v", cfg.argv[0], err)
		return exUnavailable
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	lost, done := false, l.Done()
	for {
		select {
		case sig := <-sigs:
			cmd.Process.Signal(sig)
		case <-done:
			done, lost = nil, true
			warn("lost the lock on %s; stopping %s", cfg.key, cfg.argv[0])
			cmd.Process.Signal(syscall.SIGTERM)
		case <-exited:
			err := l.Unlock()
			if errors.Is(err, etcdlock.ErrLost) {
				lost = true
			}
			if err != nil && !lost {
				warn("%v", err) // the lease expires on its own
			}
			if lost {
				return exTempFail
			}
			return exitCode(cmd.ProcessState)
		}
	}
}

// exitCode is the shell's view of how a process ended.
func exitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

func signalNumber(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return int(s)
	}
	return 0
}
