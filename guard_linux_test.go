// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package flock_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withoutEnv removes a variable from the process's environment.
func withoutEnv(name string) procOption {
	return func(c *exec.Cmd) {
		c.Env = slices.DeleteFunc(c.Env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
	}
}

// A copy started from a login shell has XDG_RUNTIME_DIR, one started by
// cron or systemd has not: both guard the one path of the machine, in
// /run/lock, so the second is refused.
// Not parallel: it sets the environment.
func TestGuardIsOnePathWithAndWithoutXDGRuntimeDir(t *testing.T) {
	app := fmt.Sprintf("flock-test-%d-%d", os.Getpid(), rand.Uint32())
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	withXDG, err := flock.GuardPath(app)
	require.NoError(t, err)
	t.Setenv("XDG_RUNTIME_DIR", "")
	withoutXDG, err := flock.GuardPath(app)
	require.NoError(t, err)
	assert.Equal(t, withXDG, withoutXDG)
	want := "/run/lock"
	if _, err := os.Stat(want); err != nil {
		want = "/var/lock"
	}
	assert.Equal(t, filepath.Join(want, app+".lock"), withXDG)
	t.Cleanup(func() { os.Remove(withXDG) })

	login, line := startGuard(t, app, "-", withEnv("XDG_RUNTIME_DIR="+t.TempDir()))
	require.Equal(t, "locked", line)
	cron, line := startGuard(t, app, "-", withoutEnv("XDG_RUNTIME_DIR"))
	assert.Equal(t, "error: guard "+withXDG+": "+heldBy(login.cmd.Process.Pid), firstWords(line, heldBy(login.cmd.Process.Pid)))
	cron.cmd.Wait()
	login.exit()
}
