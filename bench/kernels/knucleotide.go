//go:build ignore

// knucleotide: count every k-mer, for k in 1 2 3 4 6 12 18, of an
// N-base DNA sequence generated in-program with the fasta benchmark's
// linear congruential generator and its Homo sapiens base frequencies
// (uppercase ACGT). For each k, fold into a rolling hash modulo a
// prime: the number of distinct k-mers, the sum of the squares of
// their counts, and the count of the first k bases of
// GGTATTTTAATTTATAGT. Stresses hash maps keyed by substrings (here a
// map[string]int64 keyed by substrings of the sequence).
package main

import (
	"fmt"
	"strings"
)

const N = 3500000

const (
	IM = 139968
	IA = 3877
	IC = 29573
	P  = 1000000007
)

func makeSequence(n int64) string {
	symbols := []string{"A", "C", "G", "T"}
	probs := []float64{0.3029549426680, 0.1979883004921, 0.1975473066391, 0.3015094502008}
	cum := make([]float64, 0, 4)
	acc := 0.0
	for _, p := range probs {
		acc = acc + p
		cum = append(cum, acc)
	}
	var chars []string
	var last int64 = 42
	for i := int64(0); i < n; i++ {
		last = (last*IA + IC) % IM
		r := 1.0 * float64(last) / IM
		k := 0
		for k < 3 && r >= cum[k] {
			k = k + 1
		}
		chars = append(chars, symbols[k])
	}
	return strings.Join(chars, "")
}

func main() {
	seq := makeSequence(N)
	query := "GGTATTTTAATTTATAGT"
	var h int64
	for _, k := range []int64{1, 2, 3, 4, 6, 12, 18} {
		counts := map[string]int64{}
		positions := int64(len(seq)) - k + 1
		for i := int64(0); i < positions; i++ {
			counts[seq[i:i+k]]++
		}
		var sumsq int64
		for _, c := range counts {
			sumsq = sumsq + c*c
		}
		qcount := counts[query[0:k]]
		h = (h*1000003 + int64(len(counts))) % P
		h = (h*1000003 + sumsq%P) % P
		h = (h*1000003 + qcount) % P
	}
	fmt.Println(h)
}
