//go:build ignore

// fasta: the Computer Language Benchmarks Game's fasta generator, with
// the output replaced by a rolling hash of the bytes it would write.
// Three sections: the ALU sequence repeated for 2N bases, then 3N bases
// drawn from the IUB code table and 5N bases drawn from the Homo
// sapiens table with the benchmark's linear congruential generator;
// lines of 60 bases, each followed by a newline (headers are not
// hashed). Stresses integer remainder, int-to-float conversion, float
// comparison in a cumulative-probability search, and list indexing.
package main

import "fmt"

const N = 7000000

const (
	IM   = 139968
	IA   = 3877
	IC   = 29573
	Line = 60
	P    = 1000000007
)

const ALU = "GGCCGGGCGCGGTGGCTCACGCCTGTAATCCCAGCACTTTGG" +
	"GAGGCCGAGGCGGGCGGATCACCTGAGGTCAGGAGTTCGAGA" +
	"CCAGCCTGGCCAACATGGTGAAACCCCGTCTCTACTAAAAAT" +
	"ACAAAAATTAGCCGGGCGTGGTGGCGCGCGCCTGTAATCCCA" +
	"GCTACTCGGGAGGCTGAGGCAGGAGAATCGCTTGAACCCGGG" +
	"AGGCGGAGGTTGCAGTGAGCCGAGATCGCGCCACTGCACTCC" +
	"AGCCTGGGCGACAGAGCGAGACTCCGTCTCAAAAA"

type State struct {
	last int64
	h    int64
}

func repeatSection(st *State, n int64) {
	aluLen := int64(len(ALU))
	h := st.h
	var pos, col int64
	for i := int64(0); i < n; i++ {
		h = (h*31 + int64(ALU[pos])) % P
		pos = pos + 1
		if pos == aluLen {
			pos = 0
		}
		col = col + 1
		if col == Line {
			h = (h*31 + 10) % P
			col = 0
		}
	}
	if col > 0 {
		h = (h*31 + 10) % P
	}
	st.h = h
}

func randomSection(st *State, symbols string, probs []float64, n int64) {
	count := int64(len(symbols))
	cum := make([]float64, 0, count)
	acc := 0.0
	for _, p := range probs {
		acc = acc + p
		cum = append(cum, acc)
	}
	h := st.h
	last := st.last
	var col int64
	for i := int64(0); i < n; i++ {
		last = (last*IA + IC) % IM
		r := 1.0 * float64(last) / IM
		var k int64
		for k < count-1 && r >= cum[k] {
			k = k + 1
		}
		h = (h*31 + int64(symbols[k])) % P
		col = col + 1
		if col == Line {
			h = (h*31 + 10) % P
			col = 0
		}
	}
	if col > 0 {
		h = (h*31 + 10) % P
	}
	st.h = h
	st.last = last
}

func main() {
	iubProbs := []float64{0.27, 0.12, 0.12, 0.27, 0.02, 0.02, 0.02, 0.02,
		0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02}
	hsProbs := []float64{0.3029549426680, 0.1979883004921, 0.1975473066391, 0.3015094502008}
	st := &State{last: 42}
	repeatSection(st, 2*N)
	randomSection(st, "acgtBDHKMNRSVWY", iubProbs, 3*N)
	randomSection(st, "acgt", hsProbs, 5*N)
	fmt.Println(st.h)
}
