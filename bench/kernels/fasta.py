"""fasta: the Computer Language Benchmarks Game's fasta generator, with
the output replaced by a rolling hash of the bytes it would write. Three
sections: the ALU sequence repeated for 2N bases, then 3N bases drawn
from the IUB code table and 5N bases drawn from the Homo sapiens table
with the benchmark's linear congruential generator; lines of 60 bases,
each followed by a newline (headers are not hashed). Stresses integer
remainder, int-to-float conversion, float comparison in a
cumulative-probability search, and list indexing."""

N = 7000000

IM = 139968
IA = 3877
IC = 29573
LINE = 60
P = 1000000007

ALU = (
    "GGCCGGGCGCGGTGGCTCACGCCTGTAATCCCAGCACTTTGG"
    "GAGGCCGAGGCGGGCGGATCACCTGAGGTCAGGAGTTCGAGA"
    "CCAGCCTGGCCAACATGGTGAAACCCCGTCTCTACTAAAAAT"
    "ACAAAAATTAGCCGGGCGTGGTGGCGCGCGCCTGTAATCCCA"
    "GCTACTCGGGAGGCTGAGGCAGGAGAATCGCTTGAACCCGGG"
    "AGGCGGAGGTTGCAGTGAGCCGAGATCGCGCCACTGCACTCC"
    "AGCCTGGGCGACAGAGCGAGACTCCGTCTCAAAAA"
)


class State:
    def __init__(self):
        self.last = 42
        self.h = 0


def repeat_section(st, n):
    codes = [ord(c) for c in ALU]
    alu_len = len(codes)
    h = st.h
    pos = 0
    col = 0
    for _ in range(n):
        h = (h * 31 + codes[pos]) % P
        pos = pos + 1
        if pos == alu_len:
            pos = 0
        col = col + 1
        if col == LINE:
            h = (h * 31 + 10) % P
            col = 0
    if col > 0:
        h = (h * 31 + 10) % P
    st.h = h


def random_section(st, symbols, probs, n):
    codes = [ord(c) for c in symbols]
    count = len(codes)
    cum = []
    acc = 0.0
    for p in probs:
        acc = acc + p
        cum.append(acc)
    h = st.h
    last = st.last
    col = 0
    for _ in range(n):
        last = (last * IA + IC) % IM
        r = 1.0 * last / IM
        k = 0
        while k < count - 1 and r >= cum[k]:
            k = k + 1
        h = (h * 31 + codes[k]) % P
        col = col + 1
        if col == LINE:
            h = (h * 31 + 10) % P
            col = 0
    if col > 0:
        h = (h * 31 + 10) % P
    st.h = h
    st.last = last


def main():
    iub_probs = [0.27, 0.12, 0.12, 0.27, 0.02, 0.02, 0.02, 0.02,
                 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02]
    hs_probs = [0.3029549426680, 0.1979883004921, 0.1975473066391, 0.3015094502008]
    st = State()
    repeat_section(st, 2 * N)
    random_section(st, "acgtBDHKMNRSVWY", iub_probs, 3 * N)
    random_section(st, "acgt", hs_probs, 5 * N)
    print(st.h)


main()
