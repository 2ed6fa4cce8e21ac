// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock_test

// A helper process can make the kernel refuse system calls, with a seccomp
// filter, to act out a kernel or a file system that lacks them: flock(2) on
// a file system without flock support, memfd_create on an old or sandboxed
// kernel, O_TMPFILE on a file system without it.

import (
	"encoding/binary"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A seccompRule fails the system call nr with errno: always, or, if flags is
// not zero, only when its argument arg has all the bits of flags set.
type seccompRule struct {
	nr    uint32
	arg   int
	flags uint32
	errno syscall.Errno
}

// Offsets in struct seccomp_data: int nr; __u32 arch; __u64
// instruction_pointer; __u64 args[6].
const (
	seccompNr   = 0
	seccompArgs = 16
)

// seccompArgLow is the offset of the low 32 bits of argument i, which BPF
// loads 32 bits at a time.
func seccompArgLow(i int) uint32 {
	off := uint32(seccompArgs + 8*i)
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		off += 4 // big-endian
	}
	return off
}

// seccompProgram compiles rules into a filter that allows every other call.
// The filter does not check seccomp_data.arch: it is installed in a Go test
// binary, which makes its system calls in its own ABI only.
func seccompProgram(rules ...seccompRule) []unix.SockFilter {
	const (
		ld  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		and = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
		ret = unix.BPF_RET | unix.BPF_K
	)
	var prog []unix.SockFilter
	for _, r := range rules {
		fail := unix.SockFilter{Code: ret, K: unix.SECCOMP_RET_ERRNO | uint32(r.errno)&unix.SECCOMP_RET_DATA}
		prog = append(prog, unix.SockFilter{Code: ld, K: seccompNr})
		if r.flags == 0 {
			// Not this call: skip the return.
			prog = append(prog, unix.SockFilter{Code: jeq, Jf: 1, K: r.nr}, fail)
			continue
		}
		// Not this call: skip the flag test and the return.
		prog = append(prog,
			unix.SockFilter{Code: jeq, Jf: 4, K: r.nr},
			unix.SockFilter{Code: ld, K: seccompArgLow(r.arg)},
			unix.SockFilter{Code: and, K: r.flags},
			unix.SockFilter{Code: jeq, Jf: 1, K: r.flags},
			fail)
	}
	return append(prog, unix.SockFilter{Code: ret, K: unix.SECCOMP_RET_ALLOW})
}

// installSeccomp installs the filter of rules on every thread of the process.
func installSeccomp(rules ...seccompRule) error {
	filter := seccompProgram(rules...)
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog)))
	if e != 0 {
		return e
	}
	return nil
}
