// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build ignore

// Command testsummary reads the events of go tool test2json on stdin and
// prints what a test run did: each failed test, each skipped test with the
// reason it gave, and how many tests passed, failed and skipped. It exits 1
// if any test failed. .ci/wine runs it as `go run .ci/testsummary.go`.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

type event struct {
	Action string
	Test   string
	Output string
}

func main() {
	output := map[string][]string{}
	var passed, failed, skipped []string
	dec := json.NewDecoder(os.Stdin)
	for {
		var e event
		if err := dec.Decode(&e); err == io.EOF {
			break
		} else if err != nil {
			fmt.Fprintln(os.Stderr, "testsummary:", err)
			os.Exit(2)
		}
		if e.Test == "" {
			continue
		}
		switch e.Action {
		case "output":
			output[e.Test] = append(output[e.Test], e.Output)
		case "pass":
			passed = append(passed, e.Test)
		case "fail":
			failed = append(failed, e.Test)
		case "skip":
			skipped = append(skipped, e.Test)
		}
	}
	for _, name := range failed {
		fmt.Println("FAIL", name)
	}
	for _, name := range skipped {
		fmt.Printf("SKIP %s: %s\n", name, reason(output[name]))
	}
	fmt.Printf("%d passed, %d failed, %d skipped (subtests included; top-level tests and examples: %d passed, %d failed, %d skipped)\n",
		len(passed), len(failed), len(skipped), topLevel(passed), topLevel(failed), topLevel(skipped))
	if len(failed) > 0 {
		os.Exit(1)
	}
}

// reason is what a test logged, without the lines of the test framework.
func reason(lines []string) string {
	var said []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- ") {
			continue
		}
		said = append(said, l)
	}
	return strings.Join(said, " / ")
}

func topLevel(names []string) int {
	n := 0
	for _, name := range names {
		if !strings.Contains(name, "/") {
			n++
		}
	}
	return n
}
