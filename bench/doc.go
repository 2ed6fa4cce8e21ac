// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

// Package bench measures github.com/lockwise/flock against raw flock(2)
// (golang.org/x/sys/unix) and github.com/gofrs/flock in the same run: the
// speed bar of issue 3. It is a module of its own so that the comparison
// peers never enter the library's go.mod. It has no API; everything is in
// the _test.go files, which run on Linux only.
//
// The full run, whose figures BENCHMARKS.md records (about 2.5 minutes):
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 6 | tee new.txt && benchstat new.txt
//
// The CI smoke run, one iteration of everything plus the unit test (about
// 2 seconds once compiled):
//
//	cd bench && go test -bench . -benchtime 1x -throughput 100ms ./...
//
// The -throughput flag sets how long each throughput case runs (3s by
// default). Keep it at least as long as -benchtime, or use -benchtime 1x:
// a throughput case runs for that fixed time whatever b.N is.
package bench
