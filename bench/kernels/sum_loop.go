//go:build ignore

// sum_loop: sum 0..N-1, kept below a prime by a compare and subtract.
// Stresses loop overhead, integer add and a branch.
package main

import "fmt"

const N = 1000000000

func sumLoop(n int64) int64 {
	const p = 1000000007
	var s int64
	for i := int64(0); i < n; i++ {
		s = s + i%p
		if s >= p {
			s = s - p
		}
	}
	return s
}

func main() {
	fmt.Println(sumLoop(N))
}
