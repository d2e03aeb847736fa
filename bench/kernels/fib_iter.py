"""fib_iter: iterative Fibonacci modulo a prime. Stresses a tight loop
with a loop-carried add and remainder."""

N = 300000000


def fib_mod(n):
    p = 1000000007
    a = 0
    b = 1
    for _ in range(n):
        t = (a + b) % p
        a = b
        b = t
    return a


print(fib_mod(N))
