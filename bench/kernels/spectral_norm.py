"""spectral_norm: the spectral norm of the infinite matrix
A(i,j) = 1/((i+j)(i+j+1)/2 + i + 1) truncated to N x N, by ten rounds of
power iteration on A^T A. Stresses float division, nested loops and list
indexing. The checksum is the norm times 1e9, truncated."""
import math

N = 4400


def a(i, j):
    return 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1)


def mul_av(n, v):
    out = []
    for i in range(n):
        s = 0.0
        for j in range(n):
            s = s + a(i, j) * v[j]
        out.append(s)
    return out


def mul_atv(n, v):
    out = []
    for i in range(n):
        s = 0.0
        for j in range(n):
            s = s + a(j, i) * v[j]
        out.append(s)
    return out


def mul_atav(n, v):
    return mul_atv(n, mul_av(n, v))


def main():
    n = N
    u = [1.0] * n
    v = [0.0] * n
    for _ in range(10):
        v = mul_atav(n, u)
        u = mul_atav(n, v)
    vbv = 0.0
    vv = 0.0
    for i in range(n):
        vbv = vbv + u[i] * v[i]
        vv = vv + v[i] * v[i]
    norm = math.sqrt(vbv / vv)
    print(int(norm * 1e9))


main()
