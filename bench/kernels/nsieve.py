"""nsieve: the sieve of Eratosthenes run for limits N, N/2 and N/4,
counting the primes below each limit. Stresses allocation of a large
list and strided stores into it. The checksum is the sum of the three
counts."""

N = 70000000


def nsieve(m):
    flags = [True] * (m + 1)
    count = 0
    for i in range(2, m):
        if flags[i]:
            count = count + 1
            k = i + i
            while k < m:
                flags[k] = False
                k = k + i
    return count


def main():
    total = 0
    m = N
    for _ in range(3):
        total = total + nsieve(m)
        m = m // 2
    print(total)


main()
