// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

//go:build linux

package main

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"time"
)

// flock(1) reads numbers with strtoimax(3) and strtold(3) in the C locale
// and insists that the whole word is a number. These functions accept the
// same words as flock(1) on x86 (386 and amd64), whose long double is the
// 80-bit x87 type, so that a script that flock(1) accepts or refuses there
// gets the same answer here; the tests compare them on amd64. Elsewhere
// long double is another type (a 128-bit one on arm64, a plain double on
// 32-bit ARM and MIPS, among others), whose range strtold reports with
// ERANGE: there a -w value near the limits of one type but not the other
// (above about 1e308 or below about 1e-308, where long double is a
// double) gets another answer than the local flock(1) gives.

var (
	errSyntax = errors.New("not a number")
	errRange  = errors.New("numerical result out of range") // ERANGE
)

// parseInt32 parses s as a decimal int32 the way flock(1) parses -E and
// file descriptor numbers (strtoimax, then a range check): leading white
// space and a sign are allowed, nothing may follow the digits. As there,
// overflowing intmax_t is a range error even when junk follows.
func parseInt32(s string) (int32, error) {
	rest := strings.TrimLeft(s, cSpace)
	neg := false
	if rest != "" && (rest[0] == '+' || rest[0] == '-') {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	digits := len(rest) - len(strings.TrimLeft(rest, "0123456789"))
	if digits == 0 {
		return 0, errSyntax
	}
	n, ok := new(big.Int).SetString(rest[:digits], 10)
	if !ok {
		return 0, errSyntax
	}
	if neg {
		n.Neg(n)
	}
	switch {
	case !n.IsInt64():
		return 0, errRange
	case digits < len(rest):
		return 0, errSyntax
	case n.Int64() < math.MinInt32 || n.Int64() > math.MaxInt32:
		return 0, errRange
	}
	return int32(n.Int64()), nil
}

// cSpace is what isspace(3) accepts in the C locale.
const cSpace = " \t\n\v\f\r"

// A timeout is a -w value as flock(1) turns it into a timer.
type timeout struct {
	// nonblocking is set when the value truncates to zero microseconds:
	// flock(1) then behaves as with -n and sets no timer.
	nonblocking bool
	// invalid is set when the timer cannot be set up (a negative, huge or
	// NaN value), which flock(1) reports only when it gets that far.
	invalid bool
	// forever is set for a positive value too large for a time.Duration.
	forever bool
	d       time.Duration
}

// longDoublePrec is the mantissa size of x86's long double, which strtold
// rounds to; the exponent limits are those of the same type. They decide
// only where strtold reports ERANGE: the value itself goes on as a double.
const (
	longDoublePrec   = 64
	longDoubleMaxExp = 16384  // values from 2**16384 up overflow
	longDoubleMinExp = -16381 // values below 2**-16382 are subnormal
	// longDoubleMinSubnormalExp is the exponent of the smallest subnormal.
	longDoubleMinSubnormalExp = -16445
)

// parseTimeout parses a -w value like strtold(3) followed by flock(1)'s
// conversion to whole seconds and microseconds, both truncated toward zero.
func parseTimeout(s string) (timeout, error) {
	n, x, nan, err := scanLongDouble(s)
	switch {
	case err != nil:
		return timeout{}, err
	case n == 0 || n < len(s):
		return timeout{}, errSyntax
	case nan:
		return timeout{invalid: true}, nil
	}
	// util-linux keeps strtold's result in a double, then goes on in long
	// double arithmetic.
	f, _ := x.Float64()
	if math.IsInf(f, 0) {
		return timeout{invalid: true}, nil
	}
	x = new(big.Float).SetPrec(longDoublePrec).SetFloat64(f)
	// Converting a value outside int64 to time_t gives INT64_MIN on the
	// hardware flock(1) runs on: a negative time, which the timer refuses.
	sec, acc := x.Int64()
	if acc != big.Exact && (sec == math.MaxInt64 || sec == math.MinInt64) {
		return timeout{invalid: true}, nil
	}
	frac := new(big.Float).SetPrec(longDoublePrec).Sub(x, new(big.Float).SetInt64(sec))
	frac.Mul(frac, big.NewFloat(1e6))
	usec, _ := frac.Int64()
	switch {
	case sec == 0 && usec == 0:
		return timeout{nonblocking: true}, nil
	case sec < 0 || usec < 0:
		return timeout{invalid: true}, nil
	case sec > math.MaxInt64/int64(time.Second)-1:
		return timeout{forever: true}, nil
	}
	return timeout{d: time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond}, nil
}

// scanLongDouble reads the longest prefix of s that strtold(3) reads in the
// C locale: white space, a sign, then a decimal or hexadecimal number with
// an optional exponent, "inf", "infinity", or "nan" with an optional
// "(chars)". It returns how many bytes that is (0 when there is no number),
// the value rounded to a 64-bit mantissa, and errRange where strtold sets
// ERANGE.
func scanLongDouble(s string) (n int, x *big.Float, nan bool, err error) {
	i := len(s) - len(strings.TrimLeft(s, cSpace))
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	rest := strings.ToLower(s[i:])
	switch {
	case strings.HasPrefix(rest, "infinity"):
		return i + 8, new(big.Float).SetInf(neg), false, nil
	case strings.HasPrefix(rest, "inf"):
		return i + 3, new(big.Float).SetInf(neg), false, nil
	case strings.HasPrefix(rest, "nan"):
		return i + 3 + nanPayloadLen(rest[3:]), nil, true, nil
	}
	var m mantissa
	if strings.HasPrefix(rest, "0x") {
		m = scanMantissa(rest[2:], isHexDigit, 'p')
		if m.digits != "" {
			m.len += 2
			m.hex = true
		}
	}
	if !m.hex {
		m = scanMantissa(rest, isDecimalDigit, 'e')
	}
	if m.digits == "" {
		return 0, nil, false, nil
	}
	x, err = m.value()
	if err == nil && neg {
		x.Neg(x)
	}
	return i + m.len, x, false, err
}

// nanPayloadLen returns the length of a "(chars)" that follows "nan".
func nanPayloadLen(s string) int {
	if !strings.HasPrefix(s, "(") {
		return 0
	}
	end := strings.IndexFunc(s[1:], func(r rune) bool {
		return !(r == '_' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9')
	})
	if end < 0 || s[1+end] != ')' {
		return 0
	}
	return end + 2
}

// A mantissa is a scanned number: its digits without the point, the
// exponent that applies to them, and how many bytes it took.
type mantissa struct {
	digits string
	exp    int64 // a power of ten, or of two for hex
	hex    bool
	len    int
}

// scanMantissa reads digits with an optional point and exponent. An
// exponent marker that no digit follows is not part of the number.
func scanMantissa(s string, isDigit func(byte) bool, expMarker byte) mantissa {
	var m mantissa
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	m.digits = s[:i]
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		m.digits += s[i+1 : j]
		m.exp = -int64(j - i - 1)
		i = j
	}
	if m.digits == "" {
		return mantissa{}
	}
	if expMarker == 'p' {
		m.exp *= 4
	}
	if i < len(s) && s[i] == expMarker {
		if e, n := scanExponent(s[i+1:]); n > 0 {
			m.exp += e
			i += 1 + n
		}
	}
	m.len = i
	return m
}

// scanExponent reads "[+-]digits", saturating far beyond any exponent that
// can matter, and returns how many bytes it took (0 if none).
func scanExponent(s string) (int64, int) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var e int64
	for i < len(s) && isDecimalDigit(s[i]) {
		e = min(e*10+int64(s[i]-'0'), 1<<40)
		i++
	}
	if i == start {
		return 0, 0
	}
	if neg {
		e = -e
	}
	return e, i
}

func isDecimalDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHexDigit(c byte) bool { return isDecimalDigit(c) || 'a' <= c && c <= 'f' }

// value rounds the number to a long double.
func (m mantissa) value() (*big.Float, error) {
	trimmed := strings.TrimLeft(m.digits, "0")
	if trimmed == "" {
		return new(big.Float), nil
	}
	x := new(big.Float).SetPrec(longDoublePrec)
	exact := false // whether a value below the normal range is a subnormal exactly
	if m.hex {
		// About 2**magnitude: refuse the hopeless cases before building it.
		magnitude := m.exp + 4*int64(len(trimmed))
		if magnitude > longDoubleMaxExp+8 || magnitude < longDoubleMinExp-80 {
			return nil, errRange
		}
		mant, _ := new(big.Int).SetString(trimmed, 16)
		x.SetInt(mant)
		x.SetMantExp(x, int(m.exp))
		shift := m.exp - longDoubleMinSubnormalExp
		exact = shift >= 0 || int64(mant.TrailingZeroBits()) >= -shift
	} else {
		// About 10**magnitude; the bounds leave a margin around the
		// long double range, which checkLongDoubleRange settles exactly.
		magnitude := m.exp + int64(len(trimmed))
		if magnitude > 4940 || magnitude < -4960 {
			return nil, errRange
		}
		if _, _, err := x.Parse(trimmed+"e"+big.NewInt(m.exp).String(), 10); err != nil {
			return nil, errSyntax
		}
	}
	// Like glibc, report overflow, and underflow that loses precision. A
	// decimal that small is never exact: it would need thousands of digits.
	if e := x.MantExp(nil); e > longDoubleMaxExp || e < longDoubleMinExp && !exact {
		return nil, errRange
	}
	return x, nil
}
