/* prime_count: count the primes below N by trial division with odd
   divisors. Stresses integer remainder, comparisons and branches. */
#include <stdio.h>

#define N 7000000

static int is_prime(long long n) {
    if (n < 2) {
        return 0;
    }
    if (n < 4) {
        return 1;
    }
    if (n % 2 == 0) {
        return 0;
    }
    long long d = 3;
    while (d * d <= n) {
        if (n % d == 0) {
            return 0;
        }
        d = d + 2;
    }
    return 1;
}

int main(void) {
    long long count = 0;
    for (long long i = 0; i < N; i++) {
        if (is_prime(i)) {
            count = count + 1;
        }
    }
    printf("%lld\n", count);
    return 0;
}
