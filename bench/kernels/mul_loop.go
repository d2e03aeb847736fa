//go:build ignore

// mul_loop: N! modulo a prime. Stresses a loop-carried integer multiply
// and remainder.
package main

import "fmt"

const N = 250000000

func factorialMod(n int64) int64 {
	const p = 1000000007
	var f int64 = 1
	for i := int64(1); i <= n; i++ {
		f = f * (i % p) % p
	}
	return f
}

func main() {
	fmt.Println(factorialMod(N))
}
