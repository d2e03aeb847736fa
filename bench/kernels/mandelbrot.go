//go:build ignore

// mandelbrot: how many points of an N x N grid over [-1.5,0.5] x
// [-1,1] stay within radius 2 for 50 iterations. Stresses float
// arithmetic in a tight inner loop with an early exit.
//
// float64(x*y) + z: the conversion forbids fusing the multiply and the
// add into one differently rounded operation (Go spec).
package main

import "fmt"

const N = 4000

func main() {
	var n int64 = N
	var inside int64
	for y := int64(0); y < n; y++ {
		ci := 2.0*float64(y)/float64(n) - 1.0
		for x := int64(0); x < n; x++ {
			cr := 2.0*float64(x)/float64(n) - 1.5
			zr, zi, tr, ti := 0.0, 0.0, 0.0, 0.0
			i := 0
			for i < 50 && tr+ti <= 4.0 {
				zi = float64(2.0*zr*zi) + ci
				zr = tr - ti + cr
				tr = zr * zr
				ti = zi * zi
				i = i + 1
			}
			if tr+ti <= 4.0 {
				inside = inside + 1
			}
		}
	}
	fmt.Println(inside)
}
