// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package bench

import (
	"bytes"
	"encoding/binary"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// threads returns the number of OS threads of this process.
func threads() int {
	data, _ := os.ReadFile("/proc/self/status")
	for line := range bytes.Lines(data) {
		if v, ok := bytes.CutPrefix(line, []byte("Threads:")); ok {
			n, _ := strconv.Atoi(string(bytes.TrimSpace(v)))
			return n
		}
	}
	return -1
}

// descriptors returns the number of open descriptors of this process,
// counting the entries of /proc/self/fd without making a string of each:
// it runs every few milliseconds over tens of thousands of them.
func descriptors() int {
	fd, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	defer unix.Close(fd)
	buf := make([]byte, 64<<10)
	n := -1 // the descriptor being read is not one of the process's own
	for {
		got, err := unix.Getdents(fd, buf)
		if err != nil || got <= 0 {
			return n - 2 // "." and ".."
		}
		// A linux_dirent64 is ino (8), off (8), reclen (2), type, name.
		for off := 0; off < got; off += int(binary.NativeEndian.Uint16(buf[off+16:])) {
			n++
		}
	}
}

// A sampler keeps the peak thread and descriptor counts of this process,
// sampled every few milliseconds; a peak shorter than that can be missed.
type sampler struct {
	mu                sync.Mutex
	peakThr, peakDesc int
	stop, done        chan struct{}
}

const (
	threadSample = 2 * time.Millisecond
	descEvery    = 5 // descriptors are sampled every descEvery thread samples
)

func startSampler() *sampler {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *sampler) loop() {
	defer close(s.done)
	t := time.NewTicker(threadSample)
	defer t.Stop()
	for i := 0; ; i++ {
		th, d := threads(), -1
		if i%descEvery == 0 {
			d = descriptors()
		}
		s.mu.Lock()
		s.peakThr, s.peakDesc = max(s.peakThr, th), max(s.peakDesc, d)
		s.mu.Unlock()
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// peaks returns the peaks since the last call, and starts again.
func (s *sampler) peaks() (thr, desc int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	thr, desc = max(s.peakThr, threads()), max(s.peakDesc, descriptors())
	s.peakThr, s.peakDesc = 0, 0
	return thr, desc
}

func (s *sampler) close() {
	close(s.stop)
	<-s.done
}
