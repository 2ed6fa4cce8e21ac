// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// flock(1) prints with stdio, and scripts see the consequences: when stdout
// is not a terminal, the --verbose lines are held in the buffer until exit,
// so they come after the command's own output, and with -F they are lost,
// because exec discards the buffer. A stdioBuffer reproduces that, so that
// goflock's output is byte for byte the same as flock's.
type stdioBuffer struct {
	f        *os.File
	buffered bool   // hold output until flush, as stdio does for a non-terminal stdout
	pending  []byte // held output
	err      error  // the first failed write, which stdio remembers (ferror)
}

// errEarlierWrite reports that a write failed before the final flush; as
// with close_stdout, the message then has no reason.
var errEarlierWrite = errors.New("earlier write failed")

func newStdout() *stdioBuffer {
	_, err := unix.IoctlGetTermios(1, unix.TCGETS)
	return &stdioBuffer{f: os.Stdout, buffered: err != nil}
}

func newStderr() *stdioBuffer { return &stdioBuffer{f: os.Stderr} }

func (b *stdioBuffer) printf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if b.buffered {
		b.pending = append(b.pending, s...)
		return
	}
	if _, err := b.f.WriteString(s); err != nil && b.err == nil {
		b.err = err
	}
}

// discard drops held output, as a successful exec or _exit does.
func (b *stdioBuffer) discard() { b.pending = nil }

// flush writes held output and reports what close_stdout would: an earlier
// failed write, or a failed flush other than to a closed descriptor (a
// broken pipe never gets here: the Go runtime dies of SIGPIPE first, as
// flock(1) does).
func (b *stdioBuffer) flush() error {
	if b.err != nil {
		return errEarlierWrite
	}
	if len(b.pending) == 0 {
		return nil
	}
	_, err := b.f.Write(b.pending)
	b.pending = nil
	if err != nil && !errors.Is(err, syscall.EBADF) {
		return err
	}
	return nil
}

// failed reports whether a write failed, which makes flock(1) exit with 1.
func (b *stdioBuffer) failed() bool { return b.err != nil }

// strerror returns the C library's text for the errno in err.
func strerror(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	// Go's texts are glibc's with a lower-case first letter.
	s := errno.Error()
	if s != "" && 'a' <= s[0] && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
