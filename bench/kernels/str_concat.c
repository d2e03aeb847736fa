/* str_concat: append the decimal form of 0..N-1, each followed by a
   comma, to a string, starting a fresh string whenever it reaches 1000
   characters. Each finished string (and the last, unfinished one) is
   folded into a rolling hash modulo a prime: its length, its first
   digit and the last digit before its final comma. Stresses int-to-
   string conversion and string concatenation. */
#include <stdio.h>
#include <string.h>

#define N 20000000

#define P 1000000007LL

static char s[4096];
static long long slen = 0;
static long long h = 0;

static void flush(void) {
    h = (h * 31 + slen) % P;
    h = (h * 31 + (s[0] - '0')) % P;
    h = (h * 31 + (s[slen - 2] - '0')) % P;
    slen = 0;
}

int main(void) {
    char piece[32];
    for (long long i = 0; i < N; i++) {
        int plen = snprintf(piece, sizeof piece, "%lld,", i);
        memcpy(s + slen, piece, (size_t)plen);
        slen = slen + plen;
        if (slen >= 1000) {
            flush();
        }
    }
    if (slen > 0) {
        flush();
    }
    printf("%lld\n", h);
    return 0;
}
