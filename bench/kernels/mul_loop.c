/* mul_loop: N! modulo a prime. Stresses a loop-carried integer
   multiply and remainder. */
#include <stdio.h>

#define N 250000000

static long long factorial_mod(long long n) {
    const long long p = 1000000007;
    long long f = 1;
    for (long long i = 1; i <= n; i++) {
        f = f * (i % p) % p;
    }
    return f;
}

int main(void) {
    printf("%lld\n", factorial_mod(N));
    return 0;
}
