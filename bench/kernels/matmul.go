//go:build ignore

// matmul: N x N float matrix product through a transposed copy of the
// right operand. Entries are small integers stored as float64s, so every
// product and partial sum is exact and the result does not depend on
// the order of additions. Stresses nested loops, slice-of-slice indexing
// and float multiply-add. The checksum is a rolling hash, modulo a
// prime, of the entries of the product in row-major order.
package main

import "fmt"

const N = 1000

func newMatrix(n int64) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
	}
	return m
}

func main() {
	var n int64 = N
	a := newMatrix(n)
	b := newMatrix(n)
	bt := newMatrix(n)
	c := newMatrix(n)
	for i := int64(0); i < n; i++ {
		for j := int64(0); j < n; j++ {
			a[i][j] = float64((i*3 + j*5) % 10)
			b[i][j] = float64((i*7 + j*2 + 1) % 10)
		}
	}
	for i := int64(0); i < n; i++ {
		for j := int64(0); j < n; j++ {
			bt[j][i] = b[i][j]
		}
	}
	for i := int64(0); i < n; i++ {
		ai := a[i]
		for j := int64(0); j < n; j++ {
			btj := bt[j]
			s := 0.0
			for k := int64(0); k < n; k++ {
				s = s + ai[k]*btj[k]
			}
			c[i][j] = s
		}
	}
	const p = 1000000007
	var h int64
	for i := int64(0); i < n; i++ {
		for j := int64(0); j < n; j++ {
			h = (h*31 + int64(c[i][j])) % p
		}
	}
	fmt.Println(h)
}
