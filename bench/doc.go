// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

// Package bench measures github.com/lockwise/flock against raw flock(2)
// (golang.org/x/sys/unix) and github.com/gofrs/flock in the same run: the
// goals of issue 12. It is a module of its own so that the comparison peers
// never enter the library's go.mod. It has no API; everything is in the
// _test.go files, which run on Linux only. BENCHMARKS.md has the method.
//
// Each benchmark is one case. b.N is its number of rounds; in each round
// every variant runs one batch, in an order rotated by the round, and the
// ratios pair the variants' batches of the same rounds.
//
// The full run, recorded in results/ (about 2.5 minutes with the core
// before issue 12, whose many-waiter helper crashes at once; longer once
// that case runs to the end):
//
//	cd bench && ./record.sh -label LABEL
//
// which runs
//
//	go test -run '^$' -bench . -benchtime 20x -timeout 60m -table results/NAME.md
//
// The CI smoke run, one round of everything at small sizes, plus the unit
// tests (a few seconds once compiled):
//
//	cd bench && go test -short -bench . -benchtime 1x ./...
package bench
