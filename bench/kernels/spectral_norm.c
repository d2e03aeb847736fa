/* spectral_norm: the spectral norm of the infinite matrix
   A(i,j) = 1/((i+j)(i+j+1)/2 + i + 1) truncated to N x N, by ten rounds
   of power iteration on A^T A. Stresses float division, nested loops
   and list indexing. The checksum is the norm times 1e9, truncated. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define N 4400

static double a(long long i, long long j) {
    return 1.0 / (double)((i + j) * (i + j + 1) / 2 + i + 1);
}

static void mul_av(long long n, const double *v, double *out) {
    for (long long i = 0; i < n; i++) {
        double s = 0.0;
        for (long long j = 0; j < n; j++) {
            s = s + a(i, j) * v[j];
        }
        out[i] = s;
    }
}

static void mul_atv(long long n, const double *v, double *out) {
    for (long long i = 0; i < n; i++) {
        double s = 0.0;
        for (long long j = 0; j < n; j++) {
            s = s + a(j, i) * v[j];
        }
        out[i] = s;
    }
}

static void mul_atav(long long n, const double *v, double *tmp, double *out) {
    mul_av(n, v, tmp);
    mul_atv(n, tmp, out);
}

int main(void) {
    long long n = N;
    double *u = malloc(sizeof(double) * n);
    double *v = malloc(sizeof(double) * n);
    double *tmp = malloc(sizeof(double) * n);
    for (long long i = 0; i < n; i++) {
        u[i] = 1.0;
        v[i] = 0.0;
    }
    for (int round = 0; round < 10; round++) {
        mul_atav(n, u, tmp, v);
        mul_atav(n, v, tmp, u);
    }
    double vbv = 0.0;
    double vv = 0.0;
    for (long long i = 0; i < n; i++) {
        vbv = vbv + u[i] * v[i];
        vv = vv + v[i] * v[i];
    }
    double norm = sqrt(vbv / vv);
    printf("%lld\n", (long long)(norm * 1e9));
    return 0;
}
