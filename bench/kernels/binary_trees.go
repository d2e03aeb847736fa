//go:build ignore

// binary_trees: allocate and walk many perfect binary trees, as in the
// Computer Language Benchmarks Game (min depth 4, max depth N, N >= 6).
// Stresses allocation, recursion and garbage collection. A tree of
// depth 0 is a node with two empty (nil) children; check counts nodes.
// The checksum is the sum of every check performed.
package main

import "fmt"

const N = 18

type Node struct {
	left, right *Node
}

func makeTree(depth int64) *Node {
	if depth == 0 {
		return &Node{nil, nil}
	}
	return &Node{makeTree(depth - 1), makeTree(depth - 1)}
}

func check(t *Node) int64 {
	if t == nil {
		return 0
	}
	return 1 + check(t.left) + check(t.right)
}

func pow2(e int64) int64 {
	var p int64 = 1
	for i := int64(0); i < e; i++ {
		p = p * 2
	}
	return p
}

func main() {
	const minDepth = 4
	var maxDepth int64 = N
	var total int64

	stretch := makeTree(maxDepth + 1)
	total = total + check(stretch)
	stretch = nil

	longLived := makeTree(maxDepth)

	for d := int64(minDepth); d <= maxDepth; d = d + 2 {
		iterations := pow2(maxDepth - d + minDepth)
		var sum int64
		for i := int64(0); i < iterations; i++ {
			t := makeTree(d)
			sum = sum + check(t)
		}
		total = total + sum
	}

	total = total + check(longLived)
	fmt.Println(total)
}
