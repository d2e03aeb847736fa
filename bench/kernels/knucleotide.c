/* knucleotide: count every k-mer, for k in 1 2 3 4 6 12 18, of an
   N-base DNA sequence generated in-program with the fasta benchmark's
   linear congruential generator and its Homo sapiens base frequencies
   (uppercase ACGT). For each k, fold into a rolling hash modulo a
   prime: the number of distinct k-mers, the sum of the squares of
   their counts, and the count of the first k bases of
   GGTATTTTAATTTATAGT. Stresses hash maps keyed by substrings. Here the
   map is an open-addressing table keyed by the 2-bit packed k-mer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 3500000

#define IM 139968
#define IA 3877
#define IC 29573
#define P 1000000007LL

struct slot {
    unsigned long long key; /* packed k-mer + 1; 0 marks an empty slot */
    long long count;
};

static long long base_code(char c) {
    switch (c) {
    case 'A': return 0;
    case 'C': return 1;
    case 'G': return 2;
    default: return 3;
    }
}

static unsigned long long pack(const char *s, long long k) {
    unsigned long long key = 0;
    for (long long i = 0; i < k; i++) {
        key = key * 4 + (unsigned long long)base_code(s[i]);
    }
    return key;
}

int main(void) {
    static const char symbols[] = "ACGT";
    static const double probs[] = {
        0.3029549426680, 0.1979883004921, 0.1975473066391, 0.3015094502008,
    };
    double cum[4];
    double acc = 0.0;
    for (int k = 0; k < 4; k++) {
        acc = acc + probs[k];
        cum[k] = acc;
    }
    long long n = N;
    char *seq = malloc(n + 1);
    long long last = 42;
    for (long long i = 0; i < n; i++) {
        last = (last * IA + IC) % IM;
        double r = 1.0 * last / IM;
        long long k = 0;
        while (k < 3 && r >= cum[k]) {
            k = k + 1;
        }
        seq[i] = symbols[k];
    }
    seq[n] = 0;

    static const long long frames[] = {1, 2, 3, 4, 6, 12, 18};
    static const char query[] = "GGTATTTTAATTTATAGT";
    long long h = 0;
    for (int f = 0; f < 7; f++) {
        long long k = frames[f];
        long long positions = n - k + 1;
        if (positions < 0) {
            positions = 0;
        }
        /* room for every distinct k-mer at load factor <= 1/2 */
        unsigned long long most = positions;
        if (k < 31 && (1ULL << (2 * k)) < most) {
            most = 1ULL << (2 * k);
        }
        unsigned long long size = 16;
        while (size < 2 * most) {
            size = size * 2;
        }
        struct slot *table = calloc(size, sizeof(struct slot));
        long long distinct = 0;
        for (long long i = 0; i < positions; i++) {
            unsigned long long key = pack(seq + i, k) + 1;
            unsigned long long j = (key * 0x9E3779B97F4A7C15ULL) & (size - 1);
            while (table[j].key != 0 && table[j].key != key) {
                j = (j + 1) & (size - 1);
            }
            if (table[j].key == 0) {
                table[j].key = key;
                distinct = distinct + 1;
            }
            table[j].count = table[j].count + 1;
        }
        long long sumsq = 0;
        for (unsigned long long j = 0; j < size; j++) {
            sumsq = sumsq + table[j].count * table[j].count;
        }
        unsigned long long qkey = pack(query, k) + 1;
        long long qcount = 0;
        unsigned long long j = (qkey * 0x9E3779B97F4A7C15ULL) & (size - 1);
        while (table[j].key != 0) {
            if (table[j].key == qkey) {
                qcount = table[j].count;
                break;
            }
            j = (j + 1) & (size - 1);
        }
        free(table);
        h = (h * 1000003 + distinct) % P;
        h = (h * 1000003 + sumsq % P) % P;
        h = (h * 1000003 + qcount) % P;
    }
    free(seq);
    printf("%lld\n", h);
    return 0;
}
