// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A worker is a throughputHelper process that has said it is ready.
type worker struct {
	cmd   *exec.Cmd
	start io.Closer
	out   *bufio.Reader
}

func startWorker(b *testing.B, cmd *exec.Cmd) *worker {
	b.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := &worker{cmd, stdin, bufio.NewReader(stdout)}
	if line, err := w.out.ReadString('\n'); line != "ready\n" {
		b.Fatalf("worker: got %q, %v; want \"ready\"", line, err)
	}
	return w
}

// A report is what a worker made and used during its slice.
type report struct {
	n        int64 // increments
	cpuNs    int64 // CPU time, user and system, of all its threads
	switches int64 // voluntary context switches of all its threads
}

// result returns the worker's report.
func (w *worker) result(b *testing.B) report {
	b.Helper()
	line, err := w.out.ReadString('\n')
	if werr := w.cmd.Wait(); err == nil {
		err = werr
	}
	if err != nil {
		b.Fatalf("worker: %v", err)
	}
	var r report
	f := strings.Fields(line)
	if len(f) != 3 {
		b.Fatalf("worker: got %q, want 3 numbers", line)
	}
	for i, p := range []*int64{&r.n, &r.cpuNs, &r.switches} {
		if *p, err = strconv.ParseInt(f[i], 10, 64); err != nil {
			b.Fatalf("worker: got %q: %v", line, err)
		}
	}
	return r
}

// throughputHelper is one worker of BenchmarkThroughput. It prints "ready",
// starts when stdin reaches EOF, increments the counter under the lock for
// $FLOCKBENCH_DURATION, and prints how many times it did, with the CPU time
// and the voluntary context switches that took.
func throughputHelper() error {
	im, err := implByName(os.Getenv(implEnv))
	if err != nil {
		return err
	}
	d, err := time.ParseDuration(os.Getenv(durationEnv))
	if err != nil {
		return err
	}
	c, err := im.open(os.Getenv(pathEnv))
	if err != nil {
		return err
	}
	defer c.close()
	counter, err := os.OpenFile(os.Getenv(counterEnv), os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer counter.Close()

	fmt.Println("ready")
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		return err
	}
	before, err := resourcesSince(resources{})
	if err != nil {
		return err
	}
	var n int64
	var buf [8]byte
	for end := time.Now().Add(d); time.Now().Before(end); n++ {
		if err := c.lock(); err != nil {
			return err
		}
		if err := increment(counter, buf[:]); err != nil {
			return err
		}
		if err := c.unlock(); err != nil {
			return err
		}
	}
	used, err := resourcesSince(before)
	if err != nil {
		return err
	}
	fmt.Println(n, used.cpu.Nanoseconds(), used.switches)
	return nil
}

// increment adds one to the little-endian uint64 at the start of f; buf is
// 8 bytes of scratch space.
func increment(f *os.File, buf []byte) error {
	if _, err := f.ReadAt(buf, 0); err != nil {
		return err
	}
	binary.LittleEndian.PutUint64(buf, binary.LittleEndian.Uint64(buf)+1)
	_, err := f.WriteAt(buf, 0)
	return err
}

// resources is what getrusage(2) reports of a whole process.
type resources struct {
	cpu      time.Duration
	switches int64
}

// resourcesSince returns what this process has used since it used before.
func resourcesSince(before resources) (resources, error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return resources{}, err
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return resources{cpu - before.cpu, ru.Nvcsw - before.switches}, nil
}
