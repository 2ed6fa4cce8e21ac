// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build !linux

package flock

// Only Linux says who holds a lock (see Holders). Elsewhere a record alone
// cannot be trusted: a holder that was killed leaves its record behind, and
// its PID may since name an unrelated process.

const canLookUpHolders = false

func lookUpHolders(string, fileID) []Holder { return nil }

func lockedInKernel(fileID) bool { return false }
