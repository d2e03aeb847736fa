/* fib_iter: iterative Fibonacci modulo a prime. Stresses a tight loop
   with a loop-carried add and remainder. */
#include <stdio.h>

#define N 300000000

static long long fib_mod(long long n) {
    const long long p = 1000000007;
    long long a = 0;
    long long b = 1;
    for (long long i = 0; i < n; i++) {
        long long t = (a + b) % p;
        a = b;
        b = t;
    }
    return a;
}

int main(void) {
    printf("%lld\n", fib_mod(N));
    return 0;
}
