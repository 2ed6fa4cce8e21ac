// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/lockwise/flock"
)

// A daemon refuses to start while another instance runs. The lock lives as
// long as the process: there is nothing to clean up after a crash.
func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "daemon.lock")

	first, err := flock.New(path)
	if err != nil {
		log.Fatal(err)
	}
	defer first.Close()
	if err := first.TryLock(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("first instance running")

	// What a second start of the same program sees.
	second, err := flock.New(path)
	if err != nil {
		log.Fatal(err)
	}
	defer second.Close()
	if err := second.TryLock(); errors.Is(err, flock.ErrLocked) {
		fmt.Println("second instance: another instance is running, exiting")
	}
	// Output:
	// first instance running
	// second instance: another instance is running, exiting
}

// Workers, in this process or in others, take turns updating a shared file.
func ExampleLock_Lock() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	counter := filepath.Join(dir, "counter")

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker opens the lock itself, as a separate process would.
			l, err := flock.New(counter + ".lock")
			if err != nil {
				log.Fatal(err)
			}
			defer l.Close()
			for range 25 {
				if err := l.Lock(); err != nil {
					log.Fatal(err)
				}
				b, _ := os.ReadFile(counter)
				n, _ := strconv.Atoi(string(b))
				os.WriteFile(counter, []byte(strconv.Itoa(n+1)), 0o644)
				l.Unlock()
			}
		}()
	}
	wg.Wait()
	b, _ := os.ReadFile(counter)
	fmt.Println("counter:", string(b))
	// Output: counter: 100
}

// A job waits a bounded time for the lock, and gives up cleanly.
func ExampleLock_LockContext() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "job.lock")

	holder, _ := flock.New(path)
	defer holder.Close()
	holder.Lock() // another run of the job is still busy

	l, err := flock.New(path, flock.WithWaitHook(func(p string) {
		fmt.Println("waiting for", filepath.Base(p))
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := l.LockContext(ctx); errors.Is(err, context.DeadlineExceeded) {
		fmt.Println("gave up: the previous run still holds the lock")
	}
	// Output:
	// waiting for job.lock
	// gave up: the previous run still holds the lock
}

// Readers share the lock; a writer excludes them all.
func ExampleLock_RLock() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "cache.lock")

	reader, _ := flock.New(path)
	defer reader.Close()
	other, _ := flock.New(path)
	defer other.Close()

	reader.RLock()
	fmt.Println("another reader:", other.TryRLock())
	other.Unlock()
	fmt.Println("a writer:", errors.Is(other.TryLock(), flock.ErrLocked))
	// Output:
	// another reader: <nil>
	// a writer: true
}
