/* matmul: N x N float matrix product through a transposed copy of the
   right operand. Entries are small integers stored as doubles, so every
   product and partial sum is exact and the result does not depend on
   the order of additions. Stresses nested loops, list-of-list indexing
   and float multiply-add. The checksum is a rolling hash, modulo a
   prime, of the entries of the product in row-major order. */
#include <stdio.h>
#include <stdlib.h>

#define N 1000

static double **new_matrix(long long n) {
    double **m = malloc(sizeof(double *) * n);
    for (long long i = 0; i < n; i++) {
        m[i] = malloc(sizeof(double) * n);
    }
    return m;
}

int main(void) {
    long long n = N;
    double **a = new_matrix(n);
    double **b = new_matrix(n);
    double **bt = new_matrix(n);
    double **c = new_matrix(n);
    for (long long i = 0; i < n; i++) {
        for (long long j = 0; j < n; j++) {
            a[i][j] = (double)((i * 3 + j * 5) % 10);
            b[i][j] = (double)((i * 7 + j * 2 + 1) % 10);
        }
    }
    for (long long i = 0; i < n; i++) {
        for (long long j = 0; j < n; j++) {
            bt[j][i] = b[i][j];
        }
    }
    for (long long i = 0; i < n; i++) {
        double *ai = a[i];
        for (long long j = 0; j < n; j++) {
            double *btj = bt[j];
            double s = 0.0;
            for (long long k = 0; k < n; k++) {
                s = s + ai[k] * btj[k];
            }
            c[i][j] = s;
        }
    }
    const long long p = 1000000007;
    long long h = 0;
    for (long long i = 0; i < n; i++) {
        for (long long j = 0; j < n; j++) {
            h = (h * 31 + (long long)c[i][j]) % p;
        }
    }
    printf("%lld\n", h);
    return 0;
}
