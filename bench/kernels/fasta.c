/* fasta: the Computer Language Benchmarks Game's fasta generator, with
   the output replaced by a rolling hash of the bytes it would write.
   Three sections: the ALU sequence repeated for 2N bases, then 3N bases
   drawn from the IUB code table and 5N bases drawn from the Homo
   sapiens table with the benchmark's linear congruential generator;
   lines of 60 bases, each followed by a newline (headers are not
   hashed). Stresses integer remainder, int-to-float conversion, float
   comparison in a cumulative-probability search, and list indexing. */
#include <stdio.h>
#include <string.h>

#define N 7000000

#define IM 139968
#define IA 3877
#define IC 29573
#define LINE 60
#define P 1000000007LL

static const char *ALU =
    "GGCCGGGCGCGGTGGCTCACGCCTGTAATCCCAGCACTTTGG"
    "GAGGCCGAGGCGGGCGGATCACCTGAGGTCAGGAGTTCGAGA"
    "CCAGCCTGGCCAACATGGTGAAACCCCGTCTCTACTAAAAAT"
    "ACAAAAATTAGCCGGGCGTGGTGGCGCGCGCCTGTAATCCCA"
    "GCTACTCGGGAGGCTGAGGCAGGAGAATCGCTTGAACCCGGG"
    "AGGCGGAGGTTGCAGTGAGCCGAGATCGCGCCACTGCACTCC"
    "AGCCTGGGCGACAGAGCGAGACTCCGTCTCAAAAA";

static long long last = 42;
static long long h = 0;

static void emit(long long c) {
    h = (h * 31 + c) % P;
}

static void repeat_section(long long n) {
    long long alu_len = (long long)strlen(ALU);
    long long pos = 0;
    long long col = 0;
    for (long long i = 0; i < n; i++) {
        emit(ALU[pos]);
        pos = pos + 1;
        if (pos == alu_len) {
            pos = 0;
        }
        col = col + 1;
        if (col == LINE) {
            emit(10);
            col = 0;
        }
    }
    if (col > 0) {
        emit(10);
    }
}

static void random_section(const char *symbols, const double *probs, long long count, long long n) {
    double cum[16];
    double acc = 0.0;
    for (long long k = 0; k < count; k++) {
        acc = acc + probs[k];
        cum[k] = acc;
    }
    long long col = 0;
    for (long long i = 0; i < n; i++) {
        last = (last * IA + IC) % IM;
        double r = 1.0 * last / IM;
        long long k = 0;
        while (k < count - 1 && r >= cum[k]) {
            k = k + 1;
        }
        emit(symbols[k]);
        col = col + 1;
        if (col == LINE) {
            emit(10);
            col = 0;
        }
    }
    if (col > 0) {
        emit(10);
    }
}

int main(void) {
    static const char iub_symbols[] = "acgtBDHKMNRSVWY";
    static const double iub_probs[] = {
        0.27, 0.12, 0.12, 0.27, 0.02, 0.02, 0.02, 0.02,
        0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02,
    };
    static const char hs_symbols[] = "acgt";
    static const double hs_probs[] = {
        0.3029549426680, 0.1979883004921, 0.1975473066391, 0.3015094502008,
    };
    repeat_section(2LL * N);
    random_section(iub_symbols, iub_probs, 15, 3LL * N);
    random_section(hs_symbols, hs_probs, 4, 5LL * N);
    printf("%lld\n", h);
    return 0;
}
