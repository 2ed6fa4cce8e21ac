// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lockwise/flock"
)

// Count increments the counter file next to the lock at args[0] under the
// lock, FLOCK_ROUNDS times or for FLOCK_SECONDS, and prints how many it did.
func (helperRoles) Count(args []string) int {
	path := args[0]
	l, err := flock.New(path)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	rounds, _ := strconv.Atoi(os.Getenv("FLOCK_ROUNDS"))
	seconds, _ := strconv.ParseFloat(os.Getenv("FLOCK_SECONDS"), 64)
	deadline := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	ctx, cancel := context.WithCancel(context.Background()) // a context that can end: the cancellable path
	defer cancel()
	counter := path + ".count"
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n') // start together
	n := 0
	for rounds > 0 && n < rounds || seconds > 0 && time.Now().Before(deadline) {
		if err := l.LockContext(ctx); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		if err := increment(counter); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		if err := l.Unlock(); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		n++
	}
	fmt.Println(n)
	return 0
}

// increment reads a decimal number from file and writes it back plus one: a
// read-modify-write that loses updates unless the lock excludes.
func increment(file string) error {
	b, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return os.WriteFile(file, []byte(strconv.Itoa(n+1)), 0o644)
}
