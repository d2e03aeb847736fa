"""mandelbrot: how many points of an N x N grid over [-1.5,0.5] x [-1,1]
stay within radius 2 for 50 iterations. Stresses float arithmetic in a
tight inner loop with an early exit."""

N = 4000


def main():
    n = N
    inside = 0
    for y in range(n):
        ci = 2.0 * y / n - 1.0
        for x in range(n):
            cr = 2.0 * x / n - 1.5
            zr = 0.0
            zi = 0.0
            tr = 0.0
            ti = 0.0
            i = 0
            while i < 50 and tr + ti <= 4.0:
                zi = 2.0 * zr * zi + ci
                zr = tr - ti + cr
                tr = zr * zr
                ti = zi * zi
                i = i + 1
            if tr + ti <= 4.0:
                inside = inside + 1
    print(inside)


main()
