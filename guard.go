// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock

// This file is Guard: the single-instance lock of an application, at one
// path per machine (or per user), safe in directories that other users can
// write.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Guard takes the single-instance lock of the application named app, without
// waiting, and returns the held [Lock]; the application runs while it holds
// it and calls [Lock.Close] (or just exits) when done. If another instance
// holds the lock, Guard returns an error for which errors.Is(err, [ErrLocked])
// holds, with a [*HeldError] that names that instance where it can be known
// (see [Holders]).
//
// By default the lock guards the machine: every user and every environment
// (a login shell, cron, systemd) gets the same path, [GuardPath]'s answer,
// which is app + ".lock" in
//
//   - on Linux, /run/lock, or /var/lock where /run/lock does not exist;
//   - on darwin, the BSDs, illumos, Solaris and AIX, /var/tmp, which every
//     user may write and which, unlike /tmp, periodic cleaners leave alone;
//   - on Windows, %ProgramData%;
//   - elsewhere, the temporary directory.
//
// [WithLockDir] names another directory, and [WithUserScope] guards per user
// instead. Guard never falls back to another directory: if the directory is
// missing or this user may not create the file in it, the error says so.
//
// Such directories are shared, and Guard is written for that. It never
// follows a symbolic link at the path, and refuses anything there but a
// regular file with a single link. It creates the file exclusively, so that
// it never mistakes a file someone else put there for its own, with mode 0644
// (0666 on AIX and Solaris, whose exclusive record lock needs write access;
// [WithFileMode] sets another), whatever the umask, so that the instances of
// every user can open it and lock it. It writes the holder record
// ([WithHolderRecord]) only into a file that this user owns and may write,
// and checks after winning that the path still names the file it locked
// ([WithPathCheck]). A second start by another user is refused because the
// first runs, and is told who that is; if a file that this user cannot open
// is in the way while no one holds it, the error says whose it is and what
// to do. The residual risk of any lock that other users can read: a local
// user who can open the file can take the lock first, and hold it.
func Guard(app string, opts ...Option) (*Lock, error) {
	return guard(context.Background(), app, opts, true)
}

// GuardContext is like [Guard], except that it waits until the running
// instance exits (or otherwise lets go of the lock) and then takes the
// lock, unless ctx ends first: then it returns an [*fs.PathError] wrapping
// ctx.Err().
func GuardContext(ctx context.Context, app string, opts ...Option) (*Lock, error) {
	return guard(ctx, app, opts, false)
}

// GuardPath returns the path of the lock file that [Guard] with the same
// options locks, so that a program's status or stop command finds it (to
// ask [Holders], say). It creates nothing.
func GuardPath(app string, opts ...Option) (string, error) {
	path, _, err := guardSetup(app, opts)
	return path, err
}

// WithUserScope makes [Guard] guard per user rather than per machine: the
// lock file is in $XDG_RUNTIME_DIR; where that is unset, in
// /run/user/UID if it exists and belongs to the user (where systemd-logind
// puts $XDG_RUNTIME_DIR, so that a cron job and a login shell of one user
// agree; `loginctl enable-linger` keeps it when the user is logged out);
// else in a directory flock-UID in the machine's lock directory, which Guard
// creates with mode 0700 and refuses to use if another user owns it or may
// write it. On Windows it is %LOCALAPPDATA%. The directory must belong to
// the user and be writable by no one else.
func WithUserScope() Option {
	return func(o *options) { o.userScope = true }
}

func guard(ctx context.Context, app string, opts []Option, try bool) (*Lock, error) {
	path, o, err := guardSetup(app, opts)
	if err != nil {
		return nil, err
	}
	if o.userScope && o.dir == "" {
		if err := makePrivateDir(filepath.Dir(path)); err != nil {
			return nil, &fs.PathError{Op: "guard", Path: path, Err: err}
		}
	}
	f, err := openLockFile(path, &o)
	if err != nil {
		return nil, guardOpenFailed(path, err)
	}
	l, err := newLock(f, path, &o)
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := l.acquire(ctx, exclusive, "guard", try); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// guardSetup returns Guard's lock path and options.
func guardSetup(app string, opts []Option) (string, options, error) {
	if app == "" || strings.ContainsAny(app, `/\`+"\x00") || app == "." || app == ".." {
		return "", options{}, &fs.PathError{Op: "guard", Path: app, Err: errBadAppName}
	}
	o := options{perm: sharedMode(), record: true, pathCheck: true, noFollow: true, guard: true}
	for _, opt := range opts {
		opt(&o)
	}
	if o.userScope && !o.permSet {
		o.perm = 0o600
	}
	dir := o.dir
	if dir == "" && o.userScope {
		var err error
		if dir, err = userLockDir(); err != nil {
			return "", o, &fs.PathError{Op: "guard", Path: app + ".lock", Err: err}
		}
	} else if dir == "" {
		dir = machineLockDir()
	}
	return filepath.Join(dir, app+".lock"), o, nil
}

// sharedMode is the mode of Guard's machine-wide lock files, which every
// user's instance must be able to lock: flock(2) needs only read access, an
// exclusive fcntl record lock a descriptor open for writing.
func sharedMode() fs.FileMode {
	if usesRecordLocks {
		return 0o666
	}
	return 0o644
}

// machineLockDir is where Guard's lock files are, for every user of the
// machine (see Guard).
func machineLockDir() string {
	switch runtime.GOOS {
	case "linux", "android":
		if fi, err := os.Stat("/run/lock"); err == nil && fi.IsDir() {
			return "/run/lock"
		}
		return "/var/lock"
	case "darwin", "ios", "dragonfly", "freebsd", "netbsd", "openbsd", "illumos", "solaris", "aix":
		return "/var/tmp"
	case "windows":
		if dir := os.Getenv("ProgramData"); dir != "" {
			return dir
		}
		return `C:\ProgramData`
	}
	return os.TempDir()
}

// userLockDir is where Guard's lock files are for this user (see
// WithUserScope); it may not exist yet.
func userLockDir() (string, error) {
	if runtime.GOOS == "windows" {
		return os.UserCacheDir()
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		return dir, checkPrivateDir(dir)
	}
	uid := strconv.Itoa(os.Geteuid())
	if runtime.GOOS == "linux" {
		if dir := "/run/user/" + uid; checkPrivateDir(dir) == nil {
			return dir, nil
		}
	}
	return filepath.Join(machineLockDir(), "flock-"+uid), nil
}

// guardOpenFailed turns a failure to open Guard's lock file into the error
// Guard returns: contention, if someone holds the file that this user could
// not open; otherwise what is in the way and what to do.
func guardOpenFailed(path string, err error) error {
	var denied *accessDenied
	if errors.As(err, &denied) {
		if id, ierr := pathID(path); ierr == nil && lockedInKernel(id) {
			err = &HeldError{path: path, id: id}
		} else {
			err = denied
		}
	}
	return &fs.PathError{Op: "guard", Path: path, Err: bare(err)}
}

// cannotCreate explains why Guard could not create its file.
func cannotCreate(path string, err error) error {
	dir := filepath.Dir(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the directory %s does not exist; create it, or choose another with WithLockDir: %w", dir, err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("this user may not create files in %s; choose another directory with WithLockDir, or guard per user with WithUserScope: %w", dir, err)
	}
	return err
}

// An accessDenied is the cause when Guard's lock file exists but this user
// may not open it, and no one holds it.
type accessDenied struct {
	owner string
	mode  fs.FileMode
	err   error
}

func (d *accessDenied) Error() string {
	return fmt.Sprintf("%v: the file belongs to %s and has mode %04o, so this user cannot open it to lock it; "+
		"its owner or root can remove it or make it readable to all (chmod 0644), "+
		"or choose another place with WithLockDir or WithUserScope", d.err, d.owner, d.mode.Perm())
}

func (d *accessDenied) Unwrap() error { return d.err }

// bare returns the cause of a *fs.PathError, whose path and operation the
// caller gives again, or err itself.
func bare(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

var errBadAppName = errors.New("application name must be a non-empty file name")
