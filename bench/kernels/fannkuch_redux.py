"""fannkuch_redux: for every permutation of 0..N-1, taken in the order of
the Computer Language Benchmarks Game's counting scheme, count the prefix
reversals until 0 comes first. Stresses small-list indexing, swaps and
nested loops. The checksum is checksum * 100 + maxflips, where checksum
adds the flip counts of even-numbered permutations and subtracts those of
odd-numbered ones."""

N = 11


def main():
    n = N
    perm1 = list(range(n))
    perm = [0] * n
    count = [0] * n
    checksum = 0
    max_flips = 0
    perm_index = 0
    r = n
    done = False
    while not done:
        while r != 1:
            count[r - 1] = r
            r = r - 1
        for i in range(n):
            perm[i] = perm1[i]
        flips = 0
        k = perm[0]
        while k != 0:
            lo = 0
            hi = k
            while lo < hi:
                t = perm[lo]
                perm[lo] = perm[hi]
                perm[hi] = t
                lo = lo + 1
                hi = hi - 1
            flips = flips + 1
            k = perm[0]
        if flips > max_flips:
            max_flips = flips
        if perm_index % 2 == 0:
            checksum = checksum + flips
        else:
            checksum = checksum - flips
        # advance to the next permutation
        while True:
            if r == n:
                done = True
                break
            first = perm1[0]
            for i in range(r):
                perm1[i] = perm1[i + 1]
            perm1[r] = first
            count[r] = count[r] - 1
            if count[r] > 0:
                break
            r = r + 1
        perm_index = perm_index + 1
    print(checksum * 100 + max_flips)


main()
