//go:build ignore

// spectral_norm: the spectral norm of the infinite matrix
// A(i,j) = 1/((i+j)(i+j+1)/2 + i + 1) truncated to N x N, by ten rounds
// of power iteration on A^T A. Stresses float division, nested loops
// and slice indexing. The checksum is the norm times 1e9, truncated.
//
// float64(x*y) + z: the conversion forbids fusing the multiply and the
// add into one differently rounded operation (Go spec).
package main

import (
	"fmt"
	"math"
)

const N = 4400

func a(i, j int64) float64 {
	return 1.0 / float64((i+j)*(i+j+1)/2+i+1)
}

func mulAv(n int64, v []float64) []float64 {
	out := make([]float64, 0, n)
	for i := int64(0); i < n; i++ {
		s := 0.0
		for j := int64(0); j < n; j++ {
			s = s + float64(a(i, j)*v[j])
		}
		out = append(out, s)
	}
	return out
}

func mulAtv(n int64, v []float64) []float64 {
	out := make([]float64, 0, n)
	for i := int64(0); i < n; i++ {
		s := 0.0
		for j := int64(0); j < n; j++ {
			s = s + float64(a(j, i)*v[j])
		}
		out = append(out, s)
	}
	return out
}

func mulAtAv(n int64, v []float64) []float64 {
	return mulAtv(n, mulAv(n, v))
}

func main() {
	var n int64 = N
	u := make([]float64, n)
	v := make([]float64, n)
	for i := range u {
		u[i] = 1.0
	}
	for round := 0; round < 10; round++ {
		v = mulAtAv(n, u)
		u = mulAtAv(n, v)
	}
	vbv := 0.0
	vv := 0.0
	for i := int64(0); i < n; i++ {
		vbv = vbv + float64(u[i]*v[i])
		vv = vv + float64(v[i]*v[i])
	}
	norm := math.Sqrt(vbv / vv)
	fmt.Println(int64(norm * 1e9))
}
