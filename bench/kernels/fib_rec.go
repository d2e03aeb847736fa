//go:build ignore

// fib_rec: naive doubly recursive Fibonacci. Stresses calls and returns.
package main

import "fmt"

const N = 44

func fib(n int64) int64 {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func main() {
	fmt.Println(fib(N))
}
