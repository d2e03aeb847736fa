"""str_concat: append the decimal form of 0..N-1, each followed by a
comma, to a string, starting a fresh string whenever it reaches 1000
characters. Each finished string (and the last, unfinished one) is
folded into a rolling hash modulo a prime: its length, its first digit
and the last digit before its final comma. Stresses int-to-string
conversion and string concatenation."""

N = 20000000

P = 1000000007


def fold(h, s):
    n = len(s)
    h = (h * 31 + n) % P
    h = (h * 31 + int(s[0:1])) % P
    h = (h * 31 + int(s[n - 2:n - 1])) % P
    return h


def main():
    h = 0
    s = ""
    for i in range(N):
        s = s + str(i) + ","
        if len(s) >= 1000:
            h = fold(h, s)
            s = ""
    if len(s) > 0:
        h = fold(h, s)
    print(h)


main()
