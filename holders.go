// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A Holder is what a Lock made with [WithHolderRecord] writes in its lock
// file while it holds the exclusive lock.
type Holder struct {
	PID   int
	Host  string
	Since time.Time // when the lock was won
}

// A HeldError is the cause, inside the [*fs.PathError] that [Lock.TryLock]
// returns, when the lock is held elsewhere and its file names the holder.
// errors.Is(err, [ErrLocked]) holds for it.
type HeldError struct {
	Holder Holder
}

func (e *HeldError) Error() string {
	h := e.Holder
	return fmt.Sprintf("held by pid %d on %s since %s", h.PID, h.Host, h.Since.Format(time.RFC3339))
}

func (e *HeldError) Unwrap() error { return ErrLocked }

// busyError is the error for a lock that another holder has.
func (l *Lock) busyError() error {
	buf := make([]byte, 256)
	n, _ := l.f.ReadAt(buf, 0)
	if h, ok := parseHolder(buf[:n]); ok {
		return &HeldError{Holder: h}
	}
	return ErrLocked
}

func parseHolder(b []byte) (Holder, bool) {
	var h Holder
	lines := bufio.NewScanner(bytes.NewReader(b))
	if !lines.Scan() {
		return h, false
	}
	pid, err := strconv.Atoi(lines.Text())
	if err != nil || pid <= 0 {
		return h, false
	}
	h.PID = pid
	for lines.Scan() {
		key, value, _ := strings.Cut(lines.Text(), "=")
		switch key {
		case "host":
			h.Host = value
		case "since":
			h.Since, _ = time.Parse(time.RFC3339Nano, value)
		}
	}
	return h, true
}
