// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Guard takes the single-instance lock of the application named app, without
// waiting, and returns the held [Lock]; the application runs while it holds
// it and calls [Lock.Close] (or just exits) when done. If another instance
// holds the lock, Guard returns an error for which errors.Is(err, [ErrLocked])
// holds and which names that instance, as a [*HeldError], when it can.
//
// The lock file is app + ".lock" in the first writable directory of
// $XDG_RUNTIME_DIR, /run/lock, /var/lock and the temporary directory, or in
// the one given with [WithLockDir]. Guard records the holder in it
// ([WithHolderRecord]) and checks that the file it locked is still the one at
// the path ([WithPathCheck]); opts may add to these.
func Guard(app string, opts ...Option) (*Lock, error) {
	if app == "" || strings.ContainsAny(app, "/\x00") || app == "." || app == ".." {
		return nil, &fs.PathError{Op: "guard", Path: app, Err: errBadAppName}
	}
	o := defaultOptions()
	o.record, o.pathCheck = true, true
	for _, opt := range opts {
		opt(&o)
	}
	dir := o.dir
	if dir == "" {
		dir = lockDir()
	}
	path := filepath.Join(dir, app+".lock")
	f, err := openLockFile(path, &o)
	if err != nil {
		return nil, err
	}
	l, err := newLock(f, path, &o)
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := l.acquire(context.Background(), exclusive, "guard", true); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// lockDir is where Guard puts lock files: somewhere meant for them, that is
// emptied at boot, if this process may write there.
func lockDir() string {
	for _, dir := range []string{os.Getenv("XDG_RUNTIME_DIR"), "/run/lock", "/var/lock"} {
		if dir != "" && writableDir(dir) {
			return dir
		}
	}
	return os.TempDir()
}

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

var (
	errBadAppName         = errors.New("application name must be a non-empty file name")
	errReplaced           = errors.New("lock file was removed or replaced while being locked")
	errKeepsBeingReplaced = errors.New("lock file keeps being removed or replaced")
)

// maxReopens bounds how often an acquisition reopens a lock file that was
// replaced between winning it at once and checking the path, so that a path
// that is replaced in a loop gives an error instead of a livelock.
const maxReopens = 10

// heldElsewhere is the error for a lock that another holder has: a HeldError
// if the file names the holder, else ErrLocked. Called with l.mu held.
func (l *Lock) heldElsewhere() error {
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

// checkAcquired runs the checks that follow winning the kernel lock: that the
// path still names the locked file, then writing the holder record. On
// failure it releases the kernel lock; errReplaced means that it reopened the
// path and the caller may try again. Called with l.mu held.
func (l *Lock) checkAcquired(m mode) error {
	if l.opts.pathCheck {
		same, err := l.pathNamesFile()
		if err != nil || !same {
			unlockFd(l.fd)
			if err != nil {
				return err
			}
			return l.reopen()
		}
	}
	if l.opts.record && m == exclusive {
		if err := l.writeRecord(); err != nil {
			unlockFd(l.fd)
			return err
		}
	}
	return nil
}

func (l *Lock) pathNamesFile() (bool, error) {
	atPath, err := os.Stat(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	open, err := l.f.Stat()
	if err != nil {
		return false, err
	}
	return os.SameFile(atPath, open), nil
}

func (l *Lock) reopen() error {
	f, err := openLockFile(l.path, &l.opts)
	if err != nil {
		return err
	}
	fd, err := descriptor(f)
	if err != nil {
		f.Close()
		return err
	}
	closeLockFile(l.f, l.fd)
	l.f, l.fd = f, fd
	return errReplaced
}

func (l *Lock) writeRecord() error {
	host, _ := os.Hostname()
	rec := fmt.Sprintf("%d\nhost=%s\nsince=%s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339Nano))
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	_, err := l.f.WriteAt([]byte(rec), 0)
	return err
}

// release empties the holder record and removes the file where the options
// ask for it, then releases the kernel lock. Called with l.mu held, while
// the description holds the lock.
func (l *Lock) release(closing bool) error {
	if closing && l.opts.removeOnClose {
		// Removing is safe only while holding the exclusive lock.
		if l.held == exclusive || tryLockFd(l.fd, exclusive) == nil {
			if same, err := l.pathNamesFile(); err == nil && same {
				os.Remove(l.path)
			}
		}
	} else if l.opts.record && l.held == exclusive {
		l.f.Truncate(0)
	}
	return unlockFd(l.fd)
}
