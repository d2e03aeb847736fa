"""knucleotide: count every k-mer, for k in 1 2 3 4 6 12 18, of an
N-base DNA sequence generated in-program with the fasta benchmark's
linear congruential generator and its Homo sapiens base frequencies
(uppercase ACGT). For each k, fold into a rolling hash modulo a prime:
the number of distinct k-mers, the sum of the squares of their counts,
and the count of the first k bases of GGTATTTTAATTTATAGT. Stresses hash
maps keyed by substrings."""

N = 3500000

IM = 139968
IA = 3877
IC = 29573
P = 1000000007


def make_sequence(n):
    symbols = ["A", "C", "G", "T"]
    probs = [0.3029549426680, 0.1979883004921, 0.1975473066391, 0.3015094502008]
    cum = []
    acc = 0.0
    for p in probs:
        acc = acc + p
        cum.append(acc)
    chars = []
    last = 42
    for _ in range(n):
        last = (last * IA + IC) % IM
        r = 1.0 * last / IM
        k = 0
        while k < 3 and r >= cum[k]:
            k = k + 1
        chars.append(symbols[k])
    return "".join(chars)


def main():
    seq = make_sequence(N)
    query = "GGTATTTTAATTTATAGT"
    h = 0
    for k in [1, 2, 3, 4, 6, 12, 18]:
        counts = {}
        for i in range(len(seq) - k + 1):
            key = seq[i:i + k]
            counts[key] = counts.get(key, 0) + 1
        sumsq = 0
        for key in counts:
            c = counts[key]
            sumsq = sumsq + c * c
        q = query[0:k]
        qcount = counts[q] if q in counts else 0
        h = (h * 1000003 + len(counts)) % P
        h = (h * 1000003 + sumsq % P) % P
        h = (h * 1000003 + qcount) % P
    print(h)


main()
