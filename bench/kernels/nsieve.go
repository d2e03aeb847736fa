//go:build ignore

// nsieve: the sieve of Eratosthenes run for limits N, N/2 and N/4,
// counting the primes below each limit. Stresses allocation of a large
// slice and strided stores into it. The checksum is the sum of the
// three counts.
package main

import "fmt"

const N = 70000000

func nsieve(m int64) int64 {
	flags := make([]bool, m+1)
	for i := int64(0); i <= m; i++ {
		flags[i] = true
	}
	var count int64
	for i := int64(2); i < m; i++ {
		if flags[i] {
			count = count + 1
			k := i + i
			for k < m {
				flags[k] = false
				k = k + i
			}
		}
	}
	return count
}

func main() {
	var total int64
	var m int64 = N
	for round := 0; round < 3; round++ {
		total = total + nsieve(m)
		m = m / 2
	}
	fmt.Println(total)
}
