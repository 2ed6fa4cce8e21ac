// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build unix

package flock_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// guardMode is the mode of Guard's machine-wide lock files: 0644, or 0666
// where an exclusive record lock needs a descriptor open for writing.
var guardMode = map[bool]fs.FileMode{false: 0o644, true: 0o666}[underRecordLocks]

// stickyDir returns a new directory like /run/lock and /tmp: every user may
// create files in it (mode 1777), and only a file's owner may remove it.
func stickyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	require.NoError(t, os.Chmod(dir, 0o1777))
	return dir
}

// Users run instances of one application, one after another, in a shared
// directory: the second is refused while the first runs, and told who runs,
// whoever created the file; once the first has exited, the second runs.
func TestGuardExcludesAcrossUsersInBothOrders(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	users := map[string]int{"root": 0, "nobody": nobodyUID, "a third uid": otherUID}
	for firstName, first := range users {
		for secondName, second := range users {
			if first == second {
				continue
			}
			t.Run(firstName+" then "+secondName, func(t *testing.T) {
				t.Parallel()
				dir := stickyDir(t)
				a, line := startGuard(t, "app", dir, asUser(t, first))
				require.Equal(t, "locked", line)
				b, line := startGuard(t, "app", dir, asUser(t, second))
				assert.Equal(t, "error: guard "+filepath.Join(dir, "app.lock")+": "+heldBy(a.cmd.Process.Pid), firstWords(line, heldBy(a.cmd.Process.Pid)),
					"the second start is refused because the first runs, and names it")
				assert.NotContains(t, line, "permission denied")
				b.cmd.Wait()
				a.exit()
				c, line := startGuard(t, "app", dir, asUser(t, second))
				assert.Equal(t, "locked", line, "no lockout once the first has exited")
				c.exit()
			})
		}
	}
}

// firstWords cuts line after the first occurrence of want, so that what
// follows (a host and a time) does not matter; if want is missing, line is
// returned whole, for the failure to show.
func firstWords(line, want string) string {
	if i := strings.Index(line, want); i >= 0 {
		return line[:i+len(want)]
	}
	return line
}

// The record is written by the file's owner only: another user's instance
// locks the file without writing into it, and is named all the same.
func TestGuardWritesTheRecordOnlyIntoItsOwnFile(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	dir := stickyDir(t)
	path := filepath.Join(dir, "app.lock")
	a, line := startGuard(t, "app", dir) // root creates the file
	require.Equal(t, "locked", line)
	a.exit() // without Close, as if it crashed: its record stays
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, guardMode, fi.Mode().Perm(), "readable by every user's instance, whatever the umask")
	left, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(left), fmt.Sprint(a.cmd.Process.Pid)+"\n"), "root's record: %q", left)

	b, line := startGuard(t, "app", dir, asUser(t, nobodyUID))
	require.Equal(t, "locked", line, "nobody locks root's file")
	content, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(left), string(content), "nobody wrote nothing into root's file")
	g, err := flock.Guard("app", flock.WithLockDir(dir))
	if holdersKnown {
		assert.ErrorContains(t, err, heldBy(b.cmd.Process.Pid))
	} else {
		assert.ErrorIs(t, err, flock.ErrLocked)
	}
	assert.Nil(t, g)
	b.exit()
}

// A file that this user cannot open, left by another user, gets an error
// that says whose it is and what to do while nobody holds it, and a
// contention error while its owner holds it: never a bare "permission
// denied".
func TestGuardExplainsAFileItCannotOpen(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	dir := stickyDir(t)
	path := filepath.Join(dir, "app.lock")
	require.NoError(t, os.WriteFile(path, nil, 0o600)) // root's, private

	p, line := startGuard(t, "app", dir, asUser(t, nobodyUID))
	assert.Equal(t, "error: guard "+path+": permission denied: the file belongs to uid 0 (root) and has mode 0600, "+
		"so this user cannot open it to lock it; its owner or root can remove it or make it readable to all (chmod 0644), "+
		"or choose another place with WithLockDir or WithUserScope", line)
	p.cmd.Wait()

	if !holdersKnown {
		return
	}
	l := mustNew(t, path)
	require.NoError(t, l.TryLock())
	p, line = startGuard(t, "app", dir, asUser(t, nobodyUID))
	assert.Equal(t, "error: guard "+path+": "+heldBy(os.Getpid()), firstWords(line, heldBy(os.Getpid())),
		"the owner holds it: contention, not permission denied")
	p.cmd.Wait()
}

// Plant runs as another user: it makes a symbolic link args[0] to args[1].
func (helperRoles) Plant(args []string) int {
	if err := os.Symlink(args[1], args[0]); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("planted")
	return 0
}

// A symbolic link that another user planted at the lock path, to a file of
// the victim's, is never followed: Guard refuses it, and the file it points
// to is left exactly as it was.
func TestGuardNeverFollowsAPlantedSymlink(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	dir := stickyDir(t)
	victim := filepath.Join(t.TempDir(), "precious")
	want := []byte("the victim's data\n")
	require.NoError(t, os.WriteFile(victim, want, 0o644))
	before, err := os.Stat(victim)
	require.NoError(t, err)
	path := filepath.Join(dir, "app.lock")
	attacker := startRole(t, "Plant", []string{path, victim}, asUser(t, otherUID))
	require.Equal(t, "planted", attacker.readLine())

	g, err := flock.Guard("app", flock.WithLockDir(dir))
	assert.Nil(t, g)
	assert.EqualError(t, err, "guard "+path+": is a symbolic link, which Guard never follows; remove it")
	after, err := os.Stat(victim)
	require.NoError(t, err)
	got, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, want, got, "the victim's file is unchanged")
	assert.Equal(t, before.ModTime(), after.ModTime(), "the victim's file was not written")
	assert.Equal(t, before.Mode(), after.Mode(), "the victim's file kept its mode")
}

// A hard link at the lock path to another file (which fs.protected_hardlinks
// stops other users from making on this machine, but not everywhere; root
// plants it here for them) is refused: no record is written into the file
// it links to.
func TestGuardRefusesAFileWithMoreThanOneLink(t *testing.T) {
	t.Parallel()
	dir := stickyDir(t)
	victim := filepath.Join(dir, "passwd")
	want := []byte("root:x:0:0:root:/root:/bin/sh\n")
	require.NoError(t, os.WriteFile(victim, want, 0o644))
	path := filepath.Join(dir, "app.lock")
	require.NoError(t, os.Link(victim, path))

	g, err := flock.Guard("app", flock.WithLockDir(dir))
	assert.Nil(t, g)
	assert.EqualError(t, err, "guard "+path+": has 2 links: Guard never locks a file that may be another file linked there; remove it")
	got, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, want, got, "no record was written into the linked file")
}

// Anything but a regular file at the path is refused, and left alone.
func TestGuardRefusesWhatIsNotARegularFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, unix.Mkfifo(filepath.Join(dir, "fifo.lock"), 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "dir.lock"), 0o755))
	for _, app := range []string{"fifo", "dir"} {
		done := make(chan error, 1)
		go func() { _, err := flock.Guard(app, flock.WithLockDir(dir)); done <- err }()
		select {
		case err := <-done:
			assert.EqualError(t, err, "guard "+filepath.Join(dir, app+".lock")+": is not a regular file; Guard locks only a file of its own; remove it")
		case <-time.After(10 * time.Second):
			t.Fatalf("Guard(%q) on a %s hangs", app, app)
		}
	}
}

// An umask that would make the file private to its creator does not lock
// the other users out.
func TestGuardFileModeIgnoresTheUmask(t *testing.T) {
	requireRoot(t) // not parallel: the umask is the process's
	dir := stickyDir(t)
	old := unix.Umask(0o077)
	g, err := flock.Guard("app", flock.WithLockDir(dir))
	unix.Umask(old)
	require.NoError(t, err)
	defer g.Close()
	fi, err := os.Stat(filepath.Join(dir, "app.lock"))
	require.NoError(t, err)
	assert.Equal(t, guardMode, fi.Mode().Perm())
	p, line := startGuard(t, "app", dir, asUser(t, nobodyUID))
	assert.True(t, strings.HasPrefix(line, "error: guard "+filepath.Join(dir, "app.lock")+": held by"), "nobody is refused for contention: %s", line)
	p.cmd.Wait()
}

// Per user, Guard uses a private directory: one user's instance does not
// exclude another user's.
func TestGuardWithUserScopeGuardsPerUser(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	run := t.TempDir()
	require.NoError(t, os.Chmod(filepath.Dir(run), 0o755))
	for _, uid := range []int{nobodyUID, otherUID} {
		d := filepath.Join(run, fmt.Sprint(uid))
		require.NoError(t, os.Mkdir(d, 0o700))
		require.NoError(t, os.Chown(d, uid, uid))
	}
	xdg := func(uid int) procOption { return withEnv("XDG_RUNTIME_DIR=" + filepath.Join(run, fmt.Sprint(uid))) }
	a := startRole(t, "Guard", []string{"app", "-", "user"}, asUser(t, nobodyUID), xdg(nobodyUID))
	require.Equal(t, "locked", a.readLine())
	b := startRole(t, "Guard", []string{"app", "-", "user"}, asUser(t, otherUID), xdg(otherUID))
	assert.Equal(t, "locked", b.readLine(), "another user's instance runs too")
	c := startRole(t, "Guard", []string{"app", "-", "user"}, asUser(t, nobodyUID), xdg(nobodyUID))
	assert.True(t, strings.HasPrefix(c.readLine(), "error: guard "+filepath.Join(run, fmt.Sprint(nobodyUID), "app.lock")+": "), "the same user's second instance is refused")
	c.cmd.Wait()

	// A runtime directory that another user may write is refused.
	open := filepath.Join(run, "open")
	require.NoError(t, os.Mkdir(open, 0o777))
	require.NoError(t, os.Chmod(open, 0o777))
	d := startRole(t, "Guard", []string{"app", "-", "user"}, withEnv("XDG_RUNTIME_DIR="+open))
	assert.Equal(t, "error: guard app.lock: "+open+" has mode 0777: others may write it; make it 0700", d.readLine())
	d.cmd.Wait()
	a.exit()
	b.exit()
}
