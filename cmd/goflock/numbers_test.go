// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestParseTimeout(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want timeout
		err  error
	}{
		{"1", timeout{d: time.Second}, nil},
		{" \t\n1.5", timeout{d: 1500 * time.Millisecond}, nil},
		{"+.25", timeout{d: 250 * time.Millisecond}, nil},
		{"5.", timeout{d: 5 * time.Second}, nil},
		{"1e-1", timeout{d: 100 * time.Millisecond}, nil},
		{"2E+1", timeout{d: 20 * time.Second}, nil},
		{"0x1p-2", timeout{d: 250 * time.Millisecond}, nil},
		{"0X.8", timeout{d: 500 * time.Millisecond}, nil},
		{"0x10", timeout{d: 16 * time.Second}, nil},
		{"0.0000019", timeout{d: time.Microsecond}, nil}, // truncated, not rounded
		{"000000000000000000000000000001", timeout{d: time.Second}, nil},
		{"0", timeout{nonblocking: true}, nil},
		{"-0", timeout{nonblocking: true}, nil},
		{"0.0000009", timeout{nonblocking: true}, nil},
		{"-0.0000009", timeout{nonblocking: true}, nil},
		{"0e99999999999999999999", timeout{nonblocking: true}, nil},
		{"1e-300", timeout{nonblocking: true}, nil},
		{"-1", timeout{invalid: true}, nil},
		{"-0.5", timeout{invalid: true}, nil},
		{"inf", timeout{invalid: true}, nil},
		{"-INFINITY", timeout{invalid: true}, nil},
		{"NaN", timeout{invalid: true}, nil},
		{"nan(0x1f_a)", timeout{invalid: true}, nil},
		{"9223372036854775808", timeout{invalid: true}, nil}, // 2**63: time_t overflows
		{"9223372036854775806", timeout{invalid: true}, nil}, // a double rounds it to 2**63
		{"9223372036854775000", timeout{forever: true}, nil},
		{"0x1p-16445", timeout{nonblocking: true}, nil}, // an exact subnormal
		{"0x3p-16446", timeout{}, errRange},             // an inexact one
		{"1e400", timeout{invalid: true}, nil},          // fine for a long double
		{"9e18", timeout{forever: true}, nil},
		{"1e4933", timeout{}, errRange},
		{"1e-4940", timeout{}, errRange},
		{"0x1p16384", timeout{}, errRange},
		{"1e99999x", timeout{}, errRange}, // ERANGE wins over the junk
		{"", timeout{}, errSyntax},
		{" ", timeout{}, errSyntax},
		{"1 ", timeout{}, errSyntax},
		{"1,5", timeout{}, errSyntax},
		{".", timeout{}, errSyntax},
		{"e1", timeout{}, errSyntax},
		{"1e", timeout{}, errSyntax},
		{"1e+", timeout{}, errSyntax},
		{"0x", timeout{}, errSyntax},
		{"0xp1", timeout{}, errSyntax},
		{"0x1p", timeout{}, errSyntax},
		{"in", timeout{}, errSyntax},
		{"infinit", timeout{}, errSyntax},
		{"nan(", timeout{}, errSyntax},
		{"nan(a b)", timeout{}, errSyntax},
		{"1_000", timeout{}, errSyntax},
		{"0b1", timeout{}, errSyntax},
		{"--1", timeout{}, errSyntax},
	} {
		got, err := parseTimeout(tc.in)
		assert.Equal(t, tc.err, err, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
}

func TestParseTimeoutHugeInputs(t *testing.T) {
	digits := strings.Repeat("9", 100000)
	_, err := parseTimeout(digits)
	assert.Equal(t, errRange, err)
	got, err := parseTimeout("0." + strings.Repeat("0", 100000) + "1e100005")
	assert.NoError(t, err)
	assert.Equal(t, timeout{d: 10000 * time.Second}, got)
}

func TestParseInt32(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int32
		err  error
	}{
		{"0", 0, nil},
		{" +3", 3, nil},
		{"\t-7", -7, nil},
		{"007", 7, nil},
		{"2147483647", math.MaxInt32, nil},
		{"-2147483648", math.MinInt32, nil},
		{"2147483648", 0, errRange},
		{"-2147483649", 0, errRange},
		{"99999999999999999999", 0, errRange},
		{"99999999999999999999x", 0, errRange}, // strtoimax overflows before the junk
		{"2147483648x", 0, errSyntax},          // intmax_t holds it: the junk counts
		{"", 0, errSyntax},
		{"-", 0, errSyntax},
		{"3 ", 0, errSyntax},
		{"0x10", 0, errSyntax},
		{"1e3", 0, errSyntax},
	} {
		got, err := parseInt32(tc.in)
		assert.Equal(t, tc.err, err, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
}
