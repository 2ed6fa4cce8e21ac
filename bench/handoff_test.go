// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
)

// BenchmarkHandoff measures how long a lock takes to pass from one process
// to another that is waiting for it: from just before the holder unlocks to
// just after the waiter returns with the lock, on CLOCK_MONOTONIC. Two
// helper processes take turns: in each round one holds the lock, the other
// waits for it, and b.N is the number of rounds (handoffs).
func BenchmarkHandoff(b *testing.B) {
	for _, im := range waitImpls {
		b.Run(im.name, func(b *testing.B) { benchHandoff(b, im) })
	}
}

func benchHandoff(b *testing.B, im impl) {
	path := lockPath(b)
	// a and b talk over two pipes; fd 3 reads from the peer, fd 4 writes
	// to it.
	aIn, bOut, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	bIn, aOut, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	env := []string{implEnv + "=" + im.name, pathEnv + "=" + path, roundsEnv + "=" + strconv.Itoa(b.N)}
	peerA := helper(b, "handoff", append(env, firstEnv+"=1")...)
	peerB := helper(b, "handoff", env...)
	peerA.ExtraFiles = []*os.File{aIn, aOut}
	peerB.ExtraFiles = []*os.File{bIn, bOut}
	var outA, outB bytes.Buffer
	peerA.Stdout, peerB.Stdout = &outA, &outB
	for _, c := range []interface{ Start() error }{peerA, peerB} {
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
	}
	for _, f := range []*os.File{aIn, aOut, bIn, bOut} {
		f.Close() // the helpers have their own copies
	}
	errA, errB := peerA.Wait(), peerB.Wait()
	if errA != nil || errB != nil {
		b.Fatalf("handoff helpers: %v, %v", errA, errB)
	}

	stampsA, stampsB := parseStamps(b, &outA), parseStamps(b, &outB)
	if len(stampsA) != b.N || len(stampsB) != b.N {
		b.Fatalf("got %d and %d timestamps, want %d each", len(stampsA), len(stampsB), b.N)
	}
	lat := make([]int64, b.N)
	for r := range lat {
		// a holds in even rounds: its stamp is the unlock, b's the grant.
		if r%2 == 0 {
			lat[r] = stampsB[r] - stampsA[r]
		} else {
			lat[r] = stampsA[r] - stampsB[r]
		}
	}
	reportLatencies(b, lat)
}

// handoffHelper plays one side of BenchmarkHandoff for $FLOCKBENCH_ROUNDS
// rounds, holding the lock in the first round if $FLOCKBENCH_FIRST is set,
// and prints one CLOCK_MONOTONIC stamp per round: just before it unlocked,
// in the rounds where it held the lock, or just after it got the lock, in
// the others.
//
// The peers exchange one-byte messages meaning "I hold the lock" (so the
// peer may start waiting) and "I am about to wait" (so the peer may unlock
// once the wait is seen in the kernel, see settleWaiter). Without the first,
// a process that has just unlocked could take the lock again before the
// waiter it woke.
func handoffHelper() error {
	im, err := implByName(os.Getenv(implEnv))
	if err != nil {
		return err
	}
	rounds, err := strconv.Atoi(os.Getenv(roundsEnv))
	if err != nil {
		return err
	}
	path := os.Getenv(pathEnv)
	c, err := im.open(path)
	if err != nil {
		return err
	}
	defer c.close()
	id, err := lockID(path)
	if err != nil {
		return err
	}
	peer := &pipePeer{in: os.NewFile(3, "from-peer"), out: os.NewFile(4, "to-peer")}
	holder := os.Getenv(firstEnv) != ""
	if holder {
		if err := c.lock(); err != nil {
			return err
		}
		peer.send() // I hold the lock
	}
	stamps := make([]int64, rounds)
	for r := range stamps {
		if holder {
			peer.recv() // the peer is about to wait
			if err := settleWaiter(im.inKernel, id); err != nil {
				return err
			}
			stamps[r] = monotonicNow()
			err = c.unlock()
		} else {
			peer.recv() // the peer holds the lock
			peer.send() // I am about to wait
			err = c.lock()
			stamps[r] = monotonicNow()
			if r < rounds-1 { // else the peer may have exited
				peer.send() // I hold the lock
			}
		}
		if err != nil || peer.err != nil {
			return fmt.Errorf("round %d: %v, %v", r, err, peer.err)
		}
		holder = !holder
	}
	w := bufio.NewWriter(os.Stdout)
	for _, s := range stamps {
		fmt.Fprintln(w, s)
	}
	return w.Flush()
}

// pipePeer sends and receives one-byte messages; the first error sticks.
type pipePeer struct {
	in, out *os.File
	err     error
}

func (p *pipePeer) send() {
	if p.err == nil {
		_, p.err = p.out.Write([]byte{1})
	}
}

func (p *pipePeer) recv() {
	var buf [1]byte
	if p.err == nil {
		_, p.err = io.ReadFull(p.in, buf[:])
	}
}

func parseStamps(b *testing.B, out *bytes.Buffer) []int64 {
	var stamps []int64
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		s, err := strconv.ParseInt(sc.Text(), 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		stamps = append(stamps, s)
	}
	return stamps
}
