"""prime_count: count the primes below N by trial division with odd
divisors. Stresses integer remainder, comparisons and branches."""

N = 7000000


def is_prime(n):
    if n < 2:
        return False
    if n < 4:
        return True
    if n % 2 == 0:
        return False
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d = d + 2
    return True


def main():
    count = 0
    for i in range(N):
        if is_prime(i):
            count = count + 1
    print(count)


main()
