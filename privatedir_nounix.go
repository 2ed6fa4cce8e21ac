// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build !unix

package flock

// The per-user directory of WithUserScope where there are no Unix file
// modes: on Windows %LOCALAPPDATA%, which is the user's by its ACL.

import (
	"errors"
	"io/fs"
	"os"
)

// checkPrivateDir requires dir to be a directory.
func checkPrivateDir(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil && !fi.IsDir() {
		err = &fs.PathError{Op: "stat", Path: dir, Err: errors.New("not a directory")}
	}
	return err
}

// makePrivateDir creates dir unless it exists, and requires it to be a
// directory.
func makePrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return checkPrivateDir(dir)
}
