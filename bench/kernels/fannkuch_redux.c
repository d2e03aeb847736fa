/* fannkuch_redux: for every permutation of 0..N-1, taken in the order
   of the Computer Language Benchmarks Game's counting scheme, count the
   prefix reversals until 0 comes first. Stresses small-list indexing,
   swaps and nested loops. The checksum is checksum * 100 + maxflips,
   where checksum adds the flip counts of even-numbered permutations and
   subtracts those of odd-numbered ones. */
#include <stdio.h>

#define N 11

int main(void) {
    long long n = N;
    long long perm1[64];
    long long perm[64];
    long long count[64];
    for (long long i = 0; i < n; i++) {
        perm1[i] = i;
        count[i] = 0;
    }
    long long checksum = 0;
    long long max_flips = 0;
    long long perm_index = 0;
    long long r = n;
    int done = 0;
    while (!done) {
        while (r != 1) {
            count[r - 1] = r;
            r = r - 1;
        }
        for (long long i = 0; i < n; i++) {
            perm[i] = perm1[i];
        }
        long long flips = 0;
        long long k = perm[0];
        while (k != 0) {
            long long lo = 0;
            long long hi = k;
            while (lo < hi) {
                long long t = perm[lo];
                perm[lo] = perm[hi];
                perm[hi] = t;
                lo = lo + 1;
                hi = hi - 1;
            }
            flips = flips + 1;
            k = perm[0];
        }
        if (flips > max_flips) {
            max_flips = flips;
        }
        if (perm_index % 2 == 0) {
            checksum = checksum + flips;
        } else {
            checksum = checksum - flips;
        }
        /* advance to the next permutation */
        while (1) {
            if (r == n) {
                done = 1;
                break;
            }
            long long first = perm1[0];
            for (long long i = 0; i < r; i++) {
                perm1[i] = perm1[i + 1];
            }
            perm1[r] = first;
            count[r] = count[r] - 1;
            if (count[r] > 0) {
                break;
            }
            r = r + 1;
        }
        perm_index = perm_index + 1;
    }
    printf("%lld\n", checksum * 100 + max_flips);
    return 0;
}
