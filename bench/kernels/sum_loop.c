/* sum_loop: sum 0..N-1, kept below a prime by a compare and subtract.
   Stresses loop overhead, integer add and a branch. */
#include <stdio.h>

#define N 1000000000

static long long sum_loop(long long n) {
    const long long p = 1000000007;
    long long s = 0;
    for (long long i = 0; i < n; i++) {
        s = s + i % p;
        if (s >= p) {
            s = s - p;
        }
    }
    return s;
}

int main(void) {
    printf("%lld\n", sum_loop(N));
    return 0;
}
