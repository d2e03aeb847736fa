//go:build ignore

// prime_count: count the primes below N by trial division with odd
// divisors. Stresses integer remainder, comparisons and branches.
package main

import "fmt"

const N = 7000000

func isPrime(n int64) bool {
	if n < 2 {
		return false
	}
	if n < 4 {
		return true
	}
	if n%2 == 0 {
		return false
	}
	var d int64 = 3
	for d*d <= n {
		if n%d == 0 {
			return false
		}
		d = d + 2
	}
	return true
}

func main() {
	var count int64
	for i := int64(0); i < N; i++ {
		if isPrime(i) {
			count = count + 1
		}
	}
	fmt.Println(count)
}
