"""mul_loop: N! modulo a prime. Stresses a loop-carried integer multiply
and remainder."""

N = 250000000


def factorial_mod(n):
    p = 1000000007
    f = 1
    for i in range(1, n + 1):
        f = f * (i % p) % p
    return f


print(factorial_mod(N))
