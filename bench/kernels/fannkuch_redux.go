//go:build ignore

// fannkuch_redux: for every permutation of 0..N-1, taken in the order
// of the Computer Language Benchmarks Game's counting scheme, count the
// prefix reversals until 0 comes first. Stresses small-slice indexing,
// swaps and nested loops. The checksum is checksum * 100 + maxflips,
// where checksum adds the flip counts of even-numbered permutations and
// subtracts those of odd-numbered ones.
package main

import "fmt"

const N = 11

func main() {
	var n int64 = N
	perm1 := make([]int64, n)
	perm := make([]int64, n)
	count := make([]int64, n)
	for i := int64(0); i < n; i++ {
		perm1[i] = i
	}
	var checksum, maxFlips, permIndex int64
	r := n
	done := false
	for !done {
		for r != 1 {
			count[r-1] = r
			r = r - 1
		}
		for i := int64(0); i < n; i++ {
			perm[i] = perm1[i]
		}
		var flips int64
		k := perm[0]
		for k != 0 {
			lo, hi := int64(0), k
			for lo < hi {
				t := perm[lo]
				perm[lo] = perm[hi]
				perm[hi] = t
				lo = lo + 1
				hi = hi - 1
			}
			flips = flips + 1
			k = perm[0]
		}
		if flips > maxFlips {
			maxFlips = flips
		}
		if permIndex%2 == 0 {
			checksum = checksum + flips
		} else {
			checksum = checksum - flips
		}
		// advance to the next permutation
		for {
			if r == n {
				done = true
				break
			}
			first := perm1[0]
			for i := int64(0); i < r; i++ {
				perm1[i] = perm1[i+1]
			}
			perm1[r] = first
			count[r] = count[r] - 1
			if count[r] > 0 {
				break
			}
			r = r + 1
		}
		permIndex = permIndex + 1
	}
	fmt.Println(checksum*100 + maxFlips)
}
