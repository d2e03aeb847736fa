/* nsieve: the sieve of Eratosthenes run for limits N, N/2 and N/4,
   counting the primes below each limit. Stresses allocation of a large
   list and strided stores into it. The checksum is the sum of the three
   counts. */
#include <stdio.h>
#include <stdlib.h>

#define N 70000000

static long long nsieve(long long m) {
    char *flags = malloc(m + 1);
    for (long long i = 0; i <= m; i++) {
        flags[i] = 1;
    }
    long long count = 0;
    for (long long i = 2; i < m; i++) {
        if (flags[i]) {
            count = count + 1;
            long long k = i + i;
            while (k < m) {
                flags[k] = 0;
                k = k + i;
            }
        }
    }
    free(flags);
    return count;
}

int main(void) {
    long long total = 0;
    long long m = N;
    for (int round = 0; round < 3; round++) {
        total = total + nsieve(m);
        m = m / 2;
    }
    printf("%lld\n", total);
    return 0;
}
