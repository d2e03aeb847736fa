//go:build ignore

// fib_iter: iterative Fibonacci modulo a prime. Stresses a tight loop
// with a loop-carried add and remainder.
package main

import "fmt"

const N = 300000000

func fibMod(n int64) int64 {
	const p = 1000000007
	var a, b int64 = 0, 1
	for i := int64(0); i < n; i++ {
		t := (a + b) % p
		a = b
		b = t
	}
	return a
}

func main() {
	fmt.Println(fibMod(N))
}
