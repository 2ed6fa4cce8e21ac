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
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// workers is the number of processes contending in BenchmarkThroughput.
const workers = 4

// BenchmarkThroughput runs workers processes that each, for -throughput
// (whatever b.N is), take the lock, increment a counter kept in a file
// (read, add one, write back) and unlock. It reports the total rate and
// each process's, and fails if the counter is not the sum of the
// increments, which would mean two processes held the lock at once.
//
// min-share is the slowest process's share of the turns relative to a fair
// share (1 is perfectly fair); issue 3 wants it at least 0.5.
func BenchmarkThroughput(b *testing.B) {
	for _, im := range waitImpls {
		if im.name == "ours-Lock" {
			continue // LockContext is the case that matters here
		}
		b.Run(im.name, func(b *testing.B) { benchThroughput(b, im) })
	}
}

func benchThroughput(b *testing.B, im impl) {
	dir := b.TempDir()
	lock, counter := filepath.Join(dir, "lock"), filepath.Join(dir, "counter")
	if err := os.WriteFile(counter, make([]byte, 8), 0o600); err != nil {
		b.Fatal(err)
	}
	d := *throughputTime
	ws := make([]*worker, workers)
	for i := range ws {
		ws[i] = startWorker(b, helper(b, "throughput", implEnv+"="+im.name,
			pathEnv+"="+lock, counterEnv+"="+counter, durationEnv+"="+d.String()))
	}
	// Every worker is ready; closing their stdin starts them together.
	for _, w := range ws {
		w.start.Close()
	}
	var total, least, most int64 = 0, -1, 0
	for _, w := range ws {
		n := w.result(b)
		total += n
		most = max(most, n)
		if least < 0 || n < least {
			least = n
		}
	}

	data, err := os.ReadFile(counter)
	if err != nil {
		b.Fatal(err)
	}
	if got := binary.LittleEndian.Uint64(data); got != uint64(total) {
		b.Errorf("counter = %d, want %d (the sum of increments): updates were lost", got, total)
	}
	secs := d.Seconds()
	b.ReportMetric(float64(total)/secs, "ops/s")
	b.ReportMetric(float64(least)/secs, "min-ops/s")
	b.ReportMetric(float64(most)/secs, "max-ops/s")
	b.ReportMetric(float64(least)*workers/float64(total), "min-share")
	b.ReportMetric(0, "ns/op")
}

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

// result returns the number of increments the worker made.
func (w *worker) result(b *testing.B) int64 {
	b.Helper()
	line, err := w.out.ReadString('\n')
	if werr := w.cmd.Wait(); err == nil {
		err = werr
	}
	if err != nil {
		b.Fatalf("worker: %v", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// throughputHelper is one worker of BenchmarkThroughput. It prints "ready",
// starts when stdin reaches EOF, increments the counter under the lock for
// $FLOCKBENCH_DURATION, and prints how many times it did.
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
	fmt.Println(n)
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
