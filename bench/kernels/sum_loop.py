"""sum_loop: sum 0..N-1, kept below a prime by a compare and subtract.
Stresses loop overhead, integer add and a branch."""

N = 1000000000


def sum_loop(n):
    p = 1000000007
    s = 0
    for i in range(n):
        s = s + i % p
        if s >= p:
            s = s - p
    return s


print(sum_loop(N))
