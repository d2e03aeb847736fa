"""matmul: N x N float matrix product through a transposed copy of the
right operand. Entries are small integers stored as floats, so every
product and partial sum is exact and the result does not depend on the
order of additions. Stresses nested loops, list-of-list indexing and
float multiply-add. The checksum is a rolling hash, modulo a prime, of
the entries of the product in row-major order."""

N = 1000


def main():
    n = N
    a = []
    b = []
    for i in range(n):
        ra = []
        rb = []
        for j in range(n):
            ra.append(float((i * 3 + j * 5) % 10))
            rb.append(float((i * 7 + j * 2 + 1) % 10))
        a.append(ra)
        b.append(rb)
    bt = []
    for j in range(n):
        row = []
        for i in range(n):
            row.append(b[i][j])
        bt.append(row)
    c = []
    for i in range(n):
        ai = a[i]
        row = []
        for j in range(n):
            btj = bt[j]
            s = 0.0
            for k in range(n):
                s = s + ai[k] * btj[k]
            row.append(s)
        c.append(row)
    p = 1000000007
    h = 0
    for i in range(n):
        for j in range(n):
            h = (h * 31 + int(c[i][j])) % p
    print(h)


main()
