"""fib_rec: naive doubly recursive Fibonacci. Stresses calls and returns."""
import sys

N = 44


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


sys.setrecursionlimit(10000)
print(fib(N))
