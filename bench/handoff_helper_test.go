// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// handoffHelper plays one side of BenchmarkHandoff. It holds the lock first
// if $FLOCKBENCH_FIRST is set. For each count n it reads on stdin, it makes
// n handoffs and prints one line of n CLOCK_MONOTONIC stamps: just before
// it unlocked, for the handoffs where it held the lock, or just after it
// got the lock, for the others. It exits at the end of stdin.
func handoffHelper() error {
	im, err := implByName(os.Getenv(implEnv))
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
	h := &handoffSide{c: c, im: im, id: id,
		peer:   &pipePeer{in: os.NewFile(3, "from-peer"), out: os.NewFile(4, "to-peer")},
		holder: os.Getenv(firstEnv) != ""}
	if h.holder {
		if err := c.lock(); err != nil {
			return err
		}
		h.peer.send() // I hold the lock
	}
	in := bufio.NewReader(os.Stdin)
	for {
		line, err := in.ReadString('\n')
		if err == io.EOF {
			return nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(line))
		if err != nil {
			return fmt.Errorf("count %q: %v", line, err)
		}
		if err := h.batch(n); err != nil {
			return err
		}
	}
}

// handoffSide is one helper's state, kept across batches.
type handoffSide struct {
	c      contender
	im     impl
	id     string
	peer   *pipePeer
	holder bool
}

// batch makes n handoffs and prints their stamps.
//
// The peers exchange one-byte messages meaning "I hold the lock" (so the
// peer may start waiting) and "I am about to wait" (so the peer may unlock
// once the wait is seen in the kernel, see settleWaiter). Without the first,
// a process that has just unlocked could take the lock again before the
// waiter it woke. A message sent at the end of a batch waits in the pipe
// for the next.
func (h *handoffSide) batch(n int) error {
	stamps := make([]string, n)
	for r := range stamps {
		var err error
		if h.holder {
			h.peer.recv() // the peer is about to wait
			if err = settleWaiter(h.im.inKernel, h.id); err != nil {
				return err
			}
			stamps[r] = strconv.FormatInt(monotonicNow(), 10)
			err = h.c.unlock()
		} else {
			h.peer.recv() // the peer holds the lock
			h.peer.send() // I am about to wait
			err = h.c.lock()
			stamps[r] = strconv.FormatInt(monotonicNow(), 10)
			h.peer.send() // I hold the lock
		}
		if err != nil || h.peer.err != nil {
			return fmt.Errorf("handoff %d: %v, %v", r, err, h.peer.err)
		}
		h.holder = !h.holder
	}
	_, err := fmt.Println(strings.Join(stamps, " "))
	return err
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
