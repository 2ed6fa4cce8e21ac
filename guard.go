// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
	o := newOptions(append([]Option{WithHolderRecord(), WithPathCheck()}, opts...))
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
		if fi, err := os.Stat(dir); dir != "" && err == nil && fi.IsDir() {
			return dir
		}
	}
	return os.TempDir()
}

var errBadAppName = errors.New("application name must be a non-empty file name")
