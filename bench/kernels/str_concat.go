//go:build ignore

// str_concat: append the decimal form of 0..N-1, each followed by a
// comma, to a string, starting a fresh string whenever it reaches 1000
// characters. Each finished string (and the last, unfinished one) is
// folded into a rolling hash modulo a prime: its length, its first
// digit and the last digit before its final comma. Stresses int-to-
// string conversion and string concatenation.
//
// Go strings are immutable, so `s = s + t` would copy the whole string
// each time; the string grows in place in a byte slice instead, as it
// does in the C peer's buffer and in CPython's `s = s + t`.
package main

import (
	"fmt"
	"strconv"
)

const N = 20000000

const P = 1000000007

func fold(h int64, s []byte) int64 {
	n := int64(len(s))
	h = (h*31 + n) % P
	h = (h*31 + int64(s[0]-'0')) % P
	h = (h*31 + int64(s[n-2]-'0')) % P
	return h
}

func main() {
	var h int64
	s := make([]byte, 0, 1024)
	for i := int64(0); i < N; i++ {
		s = strconv.AppendInt(s, i, 10)
		s = append(s, ',')
		if len(s) >= 1000 {
			h = fold(h, s)
			s = s[:0]
		}
	}
	if len(s) > 0 {
		h = fold(h, s)
	}
	fmt.Println(h)
}
