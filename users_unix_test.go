// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build unix

package flock_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// Other users are real uids: nobody, and uids that no account has, which
// root can run a process as all the same.
const (
	nobodyUID = 65534
	otherUID  = 61234 // a third user, with no account
)

// requireRoot skips a test that needs to run processes as other users,
// except under CI (CI=true), where it runs as root and the test must not
// silently go untested.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("this test runs processes as other users, which needs root; CI runs as root")
	}
	t.Skip("needs root to run processes as other users")
}

// asUser runs the process as uid (with the same gid), from a copy of the
// test binary that every user may execute.
func asUser(t *testing.T, uid int) procOption {
	t.Helper()
	requireRoot(t)
	self, err := os.Executable()
	require.NoError(t, err)
	exe := sharedBinary(t)
	return func(c *exec.Cmd) {
		if c.Path == self {
			// The test binary's directory is private to root.
			c.Path, c.Args[0] = exe, exe
		}
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
}

var shared struct {
	once sync.Once
	exe  string
	err  error
}

// sharedBinary returns a copy of the test binary in a directory that every
// user may enter, made once per test process.
func sharedBinary(t *testing.T) string {
	t.Helper()
	shared.once.Do(func() {
		var self string
		var b []byte
		if sharedDir, shared.err = os.MkdirTemp("", "flock-test-bin-"); shared.err != nil {
			return
		}
		if shared.err = os.Chmod(sharedDir, 0o755); shared.err != nil {
			return
		}
		if self, shared.err = os.Executable(); shared.err != nil {
			return
		}
		if b, shared.err = os.ReadFile(self); shared.err != nil {
			return
		}
		shared.exe = filepath.Join(sharedDir, "flock.test")
		shared.err = os.WriteFile(shared.exe, b, 0o755)
	})
	require.NoError(t, shared.err)
	return shared.exe
}
