/* Arbitrary-precision numbers: Mochi's bigint and bigrat.
 *
 * A bigint (MBig) is a sign and a magnitude of base-2^32 digits ("limbs"),
 * least significant first, with no leading zero limb (zero has none); the
 * sign is the MF_BIG_NEG flag of its header.  A bigrat (MRat) is a pair of
 * bigints in lowest terms with a positive denominator.  Both are immutable,
 * like strings: every operation makes a new object, and a ref that is none
 * reads as zero, so a `var x: bigint` not yet assigned is 0.
 *
 * The arithmetic works on Num views (limbs, length, sign) so that an int64
 * operand needs no allocation.  32-bit limbs keep every product in a uint64,
 * which every target (wasm32 included) has.
 *
 * - Multiplication is schoolbook below KARATSUBA limbs and Karatsuba's
 *   three half-size products above; an operand much longer than the other is
 *   cut into slices the size of the shorter.
 * - Division is Knuth's algorithm D (TAOCP 4.3.1): the divisor normalised so
 *   that its top limb has its high bit set, each quotient limb estimated
 *   from the top two limbs of the remainder and corrected at most twice.
 *   A one-limb divisor takes the short loop.
 * - Decimal conversion splits the number into nine-digit chunks by short
 *   division by 10^9 (quadratic, fine for many thousands of digits); parsing
 *   multiplies by 10^9 per chunk.
 * - A rational is put in lowest terms by Euclid's gcd after every operation.
 * - Conversion to float rounds once, to nearest with ties to even, from the
 *   top 64 bits and a sticky bit for everything below them.
 *
 * Results follow Go's math/big, which the reference implementation uses:
 * bigint `/` truncates toward zero and `%` takes the dividend's sign, as for
 * int; a bigrat prints as "num/denom" even when the denominator is 1. */
#include "mochi_internal.h"

#include <math.h>

enum { KARATSUBA = 40 }; /* limbs (about 385 decimal digits) */
enum { MF_BIG_NEG = 2 }; /* MHeader.flags of a negative bigint */

typedef uint32_t limb;
typedef uint64_t dlimb;

typedef struct {
    const limb *d;
    int64_t n;
    bool neg;
} Num;

static const limb ONE_LIMB[1] = {1};

/* ------------------------------------------------------------------ objects */

static limb *limbs(int32_t line, int64_t n)
{
    if (n < 0 || (uint64_t)n > SIZE_MAX / sizeof(limb))
        mochi_error(line, "out of memory");
    return mochi_alloc(line, (size_t)(n ? n : 1) * sizeof(limb));
}

static MBig *big_alloc(int32_t line, int64_t n)
{
    MBig *b;
    if (n < 0 || (uint64_t)n > (SIZE_MAX - sizeof(MBig)) / sizeof(limb))
        mochi_error(line, "out of memory");
    b = mochi_alloc(line, sizeof(MBig) + (size_t)n * sizeof(limb));
    b->h.rc = 1;
    b->h.kind = MK_BIGINT;
    b->h.flags = 0;
    b->n = n;
    return b;
}

static int64_t trimmed(const limb *d, int64_t n)
{
    while (n > 0 && d[n - 1] == 0)
        n--;
    return n;
}

/* b with its leading zero limbs dropped and sign neg (none for zero) */
static MBig *big_finish(MBig *b, bool neg)
{
    b->n = trimmed(b->d, b->n);
    b->h.flags = (uint16_t)(neg && b->n > 0 ? MF_BIG_NEG : 0);
    return b;
}

static MBig *big_of(int32_t line, const limb *d, int64_t n, bool neg)
{
    MBig *b;
    n = trimmed(d, n);
    b = big_alloc(line, n);
    if (n)
        memcpy(b->d, d, (size_t)n * sizeof(limb));
    return big_finish(b, neg);
}

static Num num_of(mref r)
{
    Num x = {ONE_LIMB, 0, false};
    if (r != NULL) {
        const MBig *b = (const MBig *)r;
        x.d = b->d;
        x.n = b->n;
        x.neg = (b->h.flags & MF_BIG_NEG) != 0;
    }
    return x;
}

static Num num_i64(int64_t v, limb buf[2])
{
    Num x;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    buf[0] = (limb)u;
    buf[1] = (limb)(u >> 32);
    x.d = buf;
    x.n = buf[1] ? 2 : buf[0] ? 1 : 0;
    x.neg = v < 0;
    return x;
}

static MBig *big_num(int32_t line, Num x)
{
    return big_of(line, x.d, x.n, x.neg);
}

static MRat *rat_alloc(int32_t line, MBig *num, MBig *den)
{
    MRat *r = mochi_new(line, sizeof *r, MK_BIGRAT);
    r->num = num;
    r->den = den;
    return r;
}

static void rat_parts(mref r, Num *num, Num *den)
{
    if (r == NULL) {
        Num zero = {ONE_LIMB, 0, false}, one = {ONE_LIMB, 1, false};
        *num = zero;
        *den = one;
        return;
    }
    *num = num_of(&((MRat *)r)->num->h);
    *den = num_of(&((MRat *)r)->den->h);
}

/* ------------------------------------------------------------------ magnitudes */

static int mag_cmp(const limb *a, int64_t na, const limb *b, int64_t nb)
{
    int64_t i;
    if (na != nb)
        return na < nb ? -1 : 1;
    for (i = na - 1; i >= 0; i--)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* r[0..na] = a + b, for na >= nb (r may be a) */
static void mag_add(limb *r, const limb *a, int64_t na, const limb *b, int64_t nb)
{
    dlimb c = 0;
    int64_t i;
    for (i = 0; i < nb; i++) {
        c += (dlimb)a[i] + b[i];
        r[i] = (limb)c;
        c >>= 32;
    }
    for (; i < na; i++) {
        c += a[i];
        r[i] = (limb)c;
        c >>= 32;
    }
    r[na] = (limb)c;
}

/* r[0..na) = a - b, for a >= b (r may be a) */
static void mag_sub(limb *r, const limb *a, int64_t na, const limb *b, int64_t nb)
{
    dlimb borrow = 0;
    int64_t i;
    for (i = 0; i < nb; i++) {
        dlimb t = (dlimb)a[i] - b[i] - borrow;
        r[i] = (limb)t;
        borrow = t >> 63;
    }
    for (; i < na; i++) {
        dlimb t = (dlimb)a[i] - borrow;
        r[i] = (limb)t;
        borrow = t >> 63;
    }
}

/* r[0..nr) += a[0..na), na <= nr; the sum fits in nr limbs */
static void add_into(limb *r, int64_t nr, const limb *a, int64_t na)
{
    dlimb c = 0;
    int64_t i;
    for (i = 0; i < na; i++) {
        c += (dlimb)r[i] + a[i];
        r[i] = (limb)c;
        c >>= 32;
    }
    for (; c && i < nr; i++) {
        c += r[i];
        r[i] = (limb)c;
        c >>= 32;
    }
}

/* r[0..nr) -= a[0..na), na <= nr; the difference is not negative */
static void sub_into(limb *r, int64_t nr, const limb *a, int64_t na)
{
    dlimb borrow = 0;
    int64_t i;
    for (i = 0; i < na; i++) {
        dlimb t = (dlimb)r[i] - a[i] - borrow;
        r[i] = (limb)t;
        borrow = t >> 63;
    }
    for (; borrow && i < nr; i++) {
        dlimb t = (dlimb)r[i] - borrow;
        r[i] = (limb)t;
        borrow = t >> 63;
    }
}

static void mul_school(limb *r, const limb *a, int64_t na, const limb *b, int64_t nb)
{
    int64_t i, j;
    memset(r, 0, (size_t)(na + nb) * sizeof(limb));
    for (j = 0; j < nb; j++) {
        dlimb c = 0, bj = b[j];
        if (bj == 0)
            continue;
        for (i = 0; i < na; i++) {
            c += (dlimb)a[i] * bj + r[i + j];
            r[i + j] = (limb)c;
            c >>= 32;
        }
        r[j + na] = (limb)c;
    }
}

static void mul(int32_t line, limb *r, const limb *a, int64_t na, const limb *b, int64_t nb);

/* Karatsuba, for KARATSUBA <= nb <= na < 2 nb: with a = a1 B^h + a0 and
 * b = b1 B^h + b0, a b = z2 B^2h + z1 B^h + z0 where z0 = a0 b0, z2 = a1 b1
 * and z1 = (a0 + a1)(b0 + b1) - z0 - z2: three products of half the size. */
static void karatsuba(int32_t line, limb *r, const limb *a, int64_t na, const limb *b,
                      int64_t nb)
{
    int64_t h = na / 2, na1 = na - h, nb1 = nb - h; /* h < nb: b1 is not empty */
    int64_t ns1 = na1 + 1, ns2 = (nb1 > h ? nb1 : h) + 1, nz = ns1 + ns2;
    limb *s1 = limbs(line, ns1), *s2 = limbs(line, ns2), *z1 = limbs(line, nz);
    mag_add(s1, a + h, na1, a, h);
    if (nb1 >= h)
        mag_add(s2, b + h, nb1, b, h);
    else
        mag_add(s2, b, h, b + h, nb1);
    mul(line, r, a, h, b, h);                    /* z0 in r[0..2h) */
    mul(line, r + 2 * h, a + h, na1, b + h, nb1); /* z2 in r[2h..na+nb) */
    mul(line, z1, s1, ns1, s2, ns2);
    sub_into(z1, nz, r, 2 * h);
    sub_into(z1, nz, r + 2 * h, na1 + nb1);
    add_into(r + h, na + nb - h, z1, trimmed(z1, nz));
    free(s1);
    free(s2);
    free(z1);
}

/* r[0..na+nb) = a * b (r is none of the operands) */
static void mul(int32_t line, limb *r, const limb *a, int64_t na, const limb *b, int64_t nb)
{
    if (na < nb) {
        const limb *t = a;
        int64_t nt = na;
        a = b, na = nb, b = t, nb = nt;
    }
    if (nb < KARATSUBA) {
        mul_school(r, a, na, b, nb);
    } else if (na >= 2 * nb) { /* a cut into slices as long as b */
        limb *t = limbs(line, 2 * nb);
        int64_t off;
        memset(r, 0, (size_t)(na + nb) * sizeof(limb));
        for (off = 0; off < na; off += nb) {
            int64_t m = na - off < nb ? na - off : nb;
            mul(line, t, a + off, m, b, nb);
            add_into(r + off, na + nb - off, t, m + nb);
        }
        free(t);
    } else {
        karatsuba(line, r, a, na, b, nb);
    }
}

/* q[0..n) = a / d (q may be a); returns the remainder */
static limb div_small(limb *q, const limb *a, int64_t n, limb d)
{
    dlimb rem = 0;
    int64_t i;
    for (i = n - 1; i >= 0; i--) {
        dlimb cur = (rem << 32) | a[i];
        q[i] = (limb)(cur / d);
        rem = cur % d;
    }
    return (limb)rem;
}

static int clz32(limb x) /* x != 0 */
{
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_clz(x);
#else
    int n = 0;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
#endif
}

/* r[0..n] = a << s for 0 <= s < 32 (the limb shifted out goes to r[n]) */
static void shl_small(limb *r, const limb *a, int64_t n, int s)
{
    limb carry = 0;
    int64_t i;
    for (i = 0; i < n; i++) {
        limb x = a[i];
        r[i] = (limb)(x << s) | carry;
        carry = s ? x >> (32 - s) : 0;
    }
    r[n] = carry;
}

/* Knuth's algorithm D: q[0..na-nb+1) = a / b and r[0..nb) = a % b, for
 * na >= nb >= 1 and b[nb-1] != 0.  Either output may be NULL. */
enum { SMALL = 64 }; /* limbs of the scratch that needs no allocation */

static void mag_divmod(int32_t line, limb *q, limb *r, const limb *a, int64_t na,
                       const limb *b, int64_t nb)
{
    limb ubuf[SMALL + 1], vbuf[SMALL + 1], *un, *vn;
    int64_t i, j;
    int s;
    if (nb == 1) {
        limb rem;
        if (q != NULL) {
            rem = div_small(q, a, na, b[0]);
        } else { /* the remainder alone */
            dlimb cur = 0;
            for (i = na - 1; i >= 0; i--)
                cur = ((cur << 32) | a[i]) % b[0];
            rem = (limb)cur;
        }
        if (r != NULL)
            r[0] = rem;
        return;
    }
    s = clz32(b[nb - 1]);
    vn = nb <= SMALL ? vbuf : limbs(line, nb + 1);
    un = na <= SMALL ? ubuf : limbs(line, na + 1);
    shl_small(vn, b, nb, s);
    shl_small(un, a, na, s);
    for (j = na - nb; j >= 0; j--) {
        dlimb num = ((dlimb)un[j + nb] << 32) | un[j + nb - 1];
        dlimb qhat = num / vn[nb - 1], rhat = num % vn[nb - 1];
        dlimb carry = 0, borrow = 0, t;
        while (qhat >> 32 || qhat * vn[nb - 2] > ((rhat << 32) | un[j + nb - 2])) {
            qhat--;
            rhat += vn[nb - 1];
            if (rhat >> 32)
                break;
        }
        for (i = 0; i < nb; i++) { /* un[j..j+nb] -= qhat * vn */
            dlimb p = qhat * vn[i] + carry;
            carry = p >> 32;
            t = (dlimb)un[i + j] - (limb)p - borrow;
            un[i + j] = (limb)t;
            borrow = t >> 63;
        }
        t = (dlimb)un[j + nb] - carry - borrow;
        un[j + nb] = (limb)t;
        if (t >> 63) { /* qhat was one too large: add vn back */
            dlimb c = 0;
            qhat--;
            for (i = 0; i < nb; i++) {
                c += (dlimb)un[i + j] + vn[i];
                un[i + j] = (limb)c;
                c >>= 32;
            }
            un[j + nb] += (limb)c;
        }
        if (q != NULL)
            q[j] = (limb)qhat;
    }
    if (r != NULL)
        for (i = 0; i < nb; i++)
            r[i] = s ? (un[i] >> s) | (limb)((dlimb)un[i + 1] << (32 - s)) : un[i];
    if (un != ubuf)
        free(un);
    if (vn != vbuf)
        free(vn);
}

static int64_t bit_length(const limb *d, int64_t n)
{
    return n == 0 ? 0 : 32 * (n - 1) + (32 - clz32(d[n - 1]));
}

/* ------------------------------------------------------------------ signed arithmetic */

static MBig *add_num(int32_t line, Num a, Num b)
{
    MBig *r;
    if (a.n < b.n || (a.n == b.n && a.neg != b.neg && mag_cmp(a.d, a.n, b.d, b.n) < 0)) {
        Num t = a;
        a = b;
        b = t;
    }
    /* |a| >= |b| when the signs differ; a.n >= b.n always */
    r = big_alloc(line, a.n + 1);
    if (a.neg == b.neg) {
        mag_add(r->d, a.d, a.n, b.d, b.n);
    } else {
        mag_sub(r->d, a.d, a.n, b.d, b.n);
        r->d[a.n] = 0;
    }
    return big_finish(r, a.neg);
}

static MBig *mul_num(int32_t line, Num a, Num b)
{
    MBig *r;
    if (a.n == 0 || b.n == 0)
        return big_alloc(line, 0);
    r = big_alloc(line, a.n + b.n);
    mul(line, r->d, a.d, a.n, b.d, b.n);
    return big_finish(r, a.neg != b.neg);
}

/* a / b truncated toward zero (q) and a % b with a's sign (r); b != 0 */
static void divmod_num(int32_t line, Num a, Num b, MBig **q, MBig **r)
{
    if (mag_cmp(a.d, a.n, b.d, b.n) < 0) {
        if (q != NULL)
            *q = big_alloc(line, 0);
        if (r != NULL)
            *r = big_num(line, a);
        return;
    }
    {
        MBig *qb = q != NULL ? big_alloc(line, a.n - b.n + 1) : NULL;
        MBig *rb = r != NULL ? big_alloc(line, b.n) : NULL;
        mag_divmod(line, qb != NULL ? qb->d : NULL, rb != NULL ? rb->d : NULL, a.d, a.n, b.d,
                   b.n);
        if (q != NULL)
            *q = big_finish(qb, a.neg != b.neg);
        if (r != NULL)
            *r = big_finish(rb, a.neg);
    }
}

static int cmp_num(Num a, Num b)
{
    int c;
    if (a.n == 0 && b.n == 0)
        return 0;
    if (a.neg != b.neg)
        return a.neg ? -1 : 1;
    c = mag_cmp(a.d, a.n, b.d, b.n);
    return a.neg ? -c : c;
}

/* gcd(|a|, |b|) by Euclid's algorithm */
static MBig *gcd_num(int32_t line, Num a, Num b)
{
    int64_t cap = (a.n > b.n ? a.n : b.n) + 1, nx = a.n, ny = b.n;
    limb *x = limbs(line, cap), *y = limbs(line, cap), *t = limbs(line, cap);
    MBig *g;
    memcpy(x, a.d, (size_t)a.n * sizeof(limb));
    memcpy(y, b.d, (size_t)b.n * sizeof(limb));
    while (ny > 0) { /* (x, y) = (y, x mod y), the mod in t */
        limb *old = x;
        int64_t nt;
        if (mag_cmp(x, nx, y, ny) < 0) {
            memcpy(t, x, (size_t)nx * sizeof(limb));
            nt = nx;
        } else {
            mag_divmod(line, NULL, t, x, nx, y, ny);
            nt = trimmed(t, ny);
        }
        x = y;
        nx = ny;
        y = t;
        ny = nt;
        t = old;
    }
    g = big_of(line, x, nx, false);
    free(x);
    free(y);
    free(t);
    return g;
}

/* num / den in lowest terms with a positive denominator (both owned, den != 0) */
static mref rat_normal(int32_t line, MBig *num, MBig *den)
{
    Num n = num_of(&num->h), d = num_of(&den->h);
    if (d.neg) {
        num->h.flags ^= num->n > 0 ? MF_BIG_NEG : 0;
        den->h.flags = 0;
        n = num_of(&num->h);
        d = num_of(&den->h);
    }
    if (n.n == 0) {
        mochi_release(&den->h);
        den = big_of(line, ONE_LIMB, 1, false);
    } else if (!(d.n == 1 && d.d[0] == 1)) {
        MBig *g = gcd_num(line, n, d);
        if (!(g->n == 1 && g->d[0] == 1)) {
            MBig *nq, *dq;
            Num gn = num_of(&g->h);
            divmod_num(line, n, gn, &nq, NULL);
            divmod_num(line, d, gn, &dq, NULL);
            mochi_release(&num->h);
            mochi_release(&den->h);
            num = nq;
            den = dq;
        }
        mochi_release(&g->h);
    }
    return &rat_alloc(line, num, den)->h;
}

/* ------------------------------------------------------------------ conversion to float */

/* The double nearest to (d[0..n) + s) * 2^scale, ties to even, where s is a
 * fraction in (0, 1) when sticky and 0 otherwise: the top 64 bits, with any bit
 * below them folded into the lowest, rounded once to the 53 bits of a normal
 * double or the fewer of a subnormal one. */
static double to_double(const limb *d, int64_t n, bool sticky, int64_t scale)
{
    int64_t bits = bit_length(d, n), i, shift, top, drop;
    uint64_t m = 0, rest, half;
    int p;
    if (n == 0)
        return 0.0;
    shift = bits - 64; /* m = the top 64 bits: value = m * 2^(scale + shift) */
    for (i = n - 1; i >= 0; i--) {
        int64_t lo = 32 * i - shift; /* where limb i's bit 0 lands in m */
        if (lo >= 64 || lo <= -32)
            continue;
        m |= lo >= 0 ? (uint64_t)d[i] << lo : (uint64_t)d[i] >> -lo;
    }
    for (i = 0; i < shift / 32 && !sticky; i++)
        sticky = d[i] != 0;
    if (shift > 0 && shift % 32 && (d[shift / 32] & (((limb)1 << (shift % 32)) - 1)))
        sticky = true;
    if (sticky)
        m |= 1;
    scale += shift;
    top = scale + 63; /* the value lies in [2^top, 2^(top+1)) */
    if (top > 1100)
        return HUGE_VAL;
    p = top >= -1022 ? 53 : (int)(53 - (-1022 - top)); /* bits a double keeps */
    if (p < 0)
        return 0.0;
    drop = 64 - p;
    if (drop >= 64) { /* p == 0: below half the least subnormal, or above */
        return m > (uint64_t)1 << 63 ? ldexp(1.0, (int)(scale + 64)) : 0.0;
    }
    rest = m & (((uint64_t)1 << drop) - 1);
    half = (uint64_t)1 << (drop - 1);
    m >>= drop;
    if (rest > half || (rest == half && (m & 1)))
        m++;
    return ldexp((double)m, (int)(scale + drop));
}

/* |num| / den as the nearest double, ties to even */
static double ratio_to_double(int32_t line, Num num, Num den)
{
    int64_t shift = 66 - (bit_length(num.d, num.n) - bit_length(den.d, den.n));
    int64_t nn = num.n + (shift > 0 ? shift / 32 + 1 : 0);
    int64_t nd = den.n + (shift < 0 ? -shift / 32 + 1 : 0);
    limb *a = limbs(line, nn + 1), *b = limbs(line, nd + 1), *q, *r;
    int64_t sh = shift > 0 ? shift : -shift, nq;
    double f;
    bool sticky = false;
    int64_t i;
    /* a = num << max(shift, 0), b = den << max(-shift, 0): a / b has 65 to 67 bits */
    memset(a, 0, (size_t)(nn + 1) * sizeof(limb));
    memset(b, 0, (size_t)(nd + 1) * sizeof(limb));
    if (shift > 0) {
        shl_small(a + sh / 32, num.d, num.n, (int)(sh % 32));
        memcpy(b, den.d, (size_t)den.n * sizeof(limb));
    } else {
        memcpy(a, num.d, (size_t)num.n * sizeof(limb));
        shl_small(b + sh / 32, den.d, den.n, (int)(sh % 32));
    }
    nn = trimmed(a, nn + 1);
    nd = trimmed(b, nd + 1);
    nq = nn - nd + 1;
    q = limbs(line, nq);
    r = limbs(line, nd);
    mag_divmod(line, q, r, a, nn, b, nd);
    for (i = 0; i < nd && !sticky; i++)
        sticky = r[i] != 0;
    f = to_double(q, trimmed(q, nq), sticky, -shift);
    free(a);
    free(b);
    free(q);
    free(r);
    return f;
}

/* ------------------------------------------------------------------ decimal text */

void mochi_big_format(MBuf *out, mref r)
{
    Num x = num_of(r);
    int64_t n = x.n, nchunks = 0, i;
    limb *t, *chunks;
    if (n == 0) {
        mochi_buf_putc(out, '0');
        return;
    }
    t = limbs(0, n);
    chunks = limbs(0, n * 32 / 29 + 2); /* 10^9 > 2^29: at most that many */
    memcpy(t, x.d, (size_t)n * sizeof(limb));
    while (n > 0) {
        chunks[nchunks++] = div_small(t, t, n, 1000000000u);
        n = trimmed(t, n);
    }
    if (x.neg)
        mochi_buf_putc(out, '-');
    mochi_buf_printf(out, "%lu", (unsigned long)chunks[nchunks - 1]);
    for (i = nchunks - 2; i >= 0; i--)
        mochi_buf_printf(out, "%09lu", (unsigned long)chunks[i]);
    free(t);
    free(chunks);
}

void mochi_rat_format(MBuf *out, mref r)
{
    if (r == NULL) {
        mochi_buf_puts(out, "0/1");
        return;
    }
    mochi_big_format(out, &((MRat *)r)->num->h);
    mochi_buf_putc(out, '/');
    mochi_big_format(out, &((MRat *)r)->den->h);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* the digits [p, e) as a bigint magnitude (every byte a decimal digit) */
static MBig *parse_digits(int32_t line, const char *p, const char *e, bool neg)
{
    int64_t cap = (int64_t)(e - p) / 9 + 2, n = 0;
    MBig *b = big_alloc(line, cap);
    while (p < e) {
        limb chunk = 0, scale = 1;
        dlimb c;
        int64_t i;
        int k;
        for (k = 0; k < 9 && p < e; k++, p++) {
            chunk = chunk * 10 + (limb)(*p - '0');
            scale *= 10;
        }
        c = chunk;
        for (i = 0; i < n; i++) { /* b = b * scale + chunk */
            c += (dlimb)b->d[i] * scale;
            b->d[i] = (limb)c;
            c >>= 32;
        }
        if (c)
            b->d[n++] = (limb)c;
    }
    b->n = n;
    return big_finish(b, neg);
}

/* [+-]?digits+ in [p, e); false if the text is anything else */
static bool parse_int_text(int32_t line, const char *p, const char *e, MBig **out)
{
    bool neg = false;
    const char *q;
    if (p < e && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    if (p == e)
        return false;
    for (q = p; q < e; q++)
        if (*q < '0' || *q > '9')
            return false;
    *out = parse_digits(line, p, e, neg);
    return true;
}

static void trim_blanks(MStr *s, const char **p, const char **e)
{
    *p = s->data;
    *e = s->data + s->nbytes;
    while (*p < *e && is_blank(**p))
        (*p)++;
    while (*e > *p && is_blank((*e)[-1]))
        (*e)--;
}

/* ------------------------------------------------------------------ bigint API */

mref mochi_big_from_i64(int32_t line, int64_t v)
{
    limb buf[2];
    return &big_num(line, num_i64(v, buf))->h;
}

mref mochi_big_from_f64(int32_t line, double v)
{
    int e;
    double m;
    int64_t mant;
    limb buf[2];
    MBig *b;
    if (!isfinite(v))
        mochi_error(line, "cannot cast %s to bigint", v != v ? "NaN" : v > 0 ? "+Inf" : "-Inf");
    v = trunc(v);
    if (v > -9223372036854775808.0 && v < 9223372036854775808.0)
        return mochi_big_from_i64(line, (int64_t)v);
    m = frexp(fabs(v), &e); /* |v| = m 2^e, e > 63 */
    mant = (int64_t)ldexp(m, 53);
    e -= 53;
    {
        Num x = num_i64(mant, buf);
        b = big_alloc(line, e / 32 + 3);
        memset(b->d, 0, (size_t)b->n * sizeof(limb));
        shl_small(b->d + e / 32, x.d, x.n, e % 32);
    }
    return &big_finish(b, v < 0)->h;
}

mref mochi_big_from_str(int32_t line, mref s)
{
    const char *p, *e;
    MBig *b;
    if (s == NULL)
        mochi_nil(line);
    trim_blanks((MStr *)s, &p, &e);
    if (!parse_int_text(line, p, e, &b))
        mochi_error(line, "cannot parse \"%s\" as bigint", ((MStr *)s)->data);
    return &b->h;
}

int64_t mochi_big_to_i64(int32_t line, mref a)
{
    int64_t v;
    if (!mochi_big_fits_i64(a, &v))
        mochi_overflow(line);
    return v;
}

double mochi_big_to_f64(int32_t line, mref a)
{
    Num x = num_of(a);
    double f;
    (void)line;
    f = to_double(x.d, x.n, false, 0);
    return x.neg ? -f : f;
}

mref mochi_big_add(int32_t line, mref a, mref b)
{
    return &add_num(line, num_of(a), num_of(b))->h;
}

mref mochi_big_sub(int32_t line, mref a, mref b)
{
    Num y = num_of(b);
    y.neg = !y.neg;
    return &add_num(line, num_of(a), y)->h;
}

mref mochi_big_mul(int32_t line, mref a, mref b)
{
    return &mul_num(line, num_of(a), num_of(b))->h;
}

mref mochi_big_div(int32_t line, mref a, mref b)
{
    MBig *q;
    Num y = num_of(b);
    if (y.n == 0)
        mochi_error(line, "division by zero");
    divmod_num(line, num_of(a), y, &q, NULL);
    return &q->h;
}

mref mochi_big_rem(int32_t line, mref a, mref b)
{
    MBig *r;
    Num y = num_of(b);
    if (y.n == 0)
        mochi_error(line, "division by zero");
    divmod_num(line, num_of(a), y, NULL, &r);
    return &r->h;
}

mref mochi_big_neg(int32_t line, mref a)
{
    Num x = num_of(a);
    x.neg = !x.neg;
    return &big_num(line, x)->h;
}

mref mochi_big_abs(int32_t line, mref a)
{
    Num x = num_of(a);
    x.neg = false;
    return &big_num(line, x)->h;
}

mref mochi_big_pow(int32_t line, mref a, int64_t e)
{
    MBig *r = big_of(line, ONE_LIMB, 1, false), *base = big_num(line, num_of(a));
    if (e <= 0) { /* as Go's big.Int.Exp */
        mochi_release(&base->h);
        return &r->h;
    }
    for (;;) {
        MBig *t;
        if (e & 1) {
            t = mul_num(line, num_of(&r->h), num_of(&base->h));
            mochi_release(&r->h);
            r = t;
        }
        e >>= 1;
        if (e == 0)
            break;
        t = mul_num(line, num_of(&base->h), num_of(&base->h));
        mochi_release(&base->h);
        base = t;
    }
    mochi_release(&base->h);
    return &r->h;
}

int mochi_big_cmp(mref a, mref b)
{
    return cmp_num(num_of(a), num_of(b));
}

#define BIG_COMPARE(name, op)                                  \
    bool mochi_##name##_big(int32_t line, mref a, mref b)      \
    {                                                          \
        (void)line;                                            \
        return mochi_big_cmp(a, b) op 0;                       \
    }
BIG_COMPARE(eq, ==)
BIG_COMPARE(ne, !=)
BIG_COMPARE(lt, <)
BIG_COMPARE(le, <=)
BIG_COMPARE(gt, >)
BIG_COMPARE(ge, >=)

/* ------------------------------------------------------------------ bigrat API */

mref mochi_rat_from_big(int32_t line, mref a)
{
    return &rat_alloc(line, big_num(line, num_of(a)), big_of(line, ONE_LIMB, 1, false))->h;
}

mref mochi_rat_from_i64(int32_t line, int64_t v)
{
    limb buf[2];
    return &rat_alloc(line, big_num(line, num_i64(v, buf)), big_of(line, ONE_LIMB, 1, false))->h;
}

mref mochi_rat_from_f64(int32_t line, double v)
{
    int e;
    int64_t mant;
    limb buf[2];
    MBig *num, *den;
    if (!isfinite(v))
        mochi_error(line, "cannot cast %s to bigrat", v != v ? "NaN" : v > 0 ? "+Inf" : "-Inf");
    /* v = mant 2^e exactly, mant a 53-bit integer */
    mant = (int64_t)ldexp(frexp(v, &e), 53);
    e -= 53;
    num = big_num(line, num_i64(mant, buf));
    den = big_of(line, ONE_LIMB, 1, false);
    if (e != 0) {
        MBig **scaled = e > 0 ? &num : &den;
        int64_t k = e > 0 ? e : -(int64_t)e;
        MBig *old = *scaled, *b = big_alloc(line, old->n + k / 32 + 1);
        memset(b->d, 0, (size_t)b->n * sizeof(limb));
        shl_small(b->d + k / 32, old->d, old->n, (int)(k % 32));
        *scaled = big_finish(b, (old->h.flags & MF_BIG_NEG) != 0);
        mochi_release(&old->h);
    }
    return rat_normal(line, num, den);
}

/* Go's Rat.SetString: "a/b", or a decimal number with an optional exponent */
mref mochi_rat_from_str(int32_t line, mref s)
{
    const char *p, *e, *slash, *q;
    MStr *str = (MStr *)s;
    MBig *num, *den;
    if (s == NULL)
        mochi_nil(line);
    trim_blanks(str, &p, &e);
    for (slash = p; slash < e && *slash != '/'; slash++)
        ;
    if (slash < e) {
        if (!parse_int_text(line, p, slash, &num))
            goto bad;
        if (!parse_int_text(line, slash + 1, e, &den)) {
            mochi_release(&num->h);
            goto bad;
        }
        if (den->n == 0) {
            mochi_release(&num->h);
            mochi_release(&den->h);
            goto bad;
        }
        return rat_normal(line, num, den);
    }
    {
        /* sign, digits with one optional '.', optional exponent */
        MBuf digits = {NULL, 0, 0};
        bool neg = false, any = false, dot = false;
        int64_t exp10 = 0;
        if (p < e && (*p == '+' || *p == '-'))
            neg = *p++ == '-';
        for (q = p; q < e; q++) {
            if (*q == '.' && !dot) {
                dot = true;
                continue;
            }
            if (*q < '0' || *q > '9')
                break;
            any = true;
            mochi_buf_putc(&digits, *q);
            if (dot)
                exp10--;
        }
        if (!any) {
            mochi_buf_free(&digits);
            goto bad;
        }
        if (q < e) {
            bool eneg = false;
            int64_t x = 0;
            if (*q != 'e' && *q != 'E') {
                mochi_buf_free(&digits);
                goto bad;
            }
            q++;
            if (q < e && (*q == '+' || *q == '-'))
                eneg = *q++ == '-';
            if (q == e) {
                mochi_buf_free(&digits);
                goto bad;
            }
            for (; q < e; q++) {
                if (*q < '0' || *q > '9' || x > 100000000) {
                    mochi_buf_free(&digits);
                    goto bad;
                }
                x = x * 10 + (*q - '0');
            }
            exp10 += eneg ? -x : x;
        }
        num = parse_digits(line, digits.p, digits.p + digits.n, neg);
        mochi_buf_free(&digits);
        den = big_of(line, ONE_LIMB, 1, false);
        if (exp10 != 0) {
            MBig *ten = big_of(line, (const limb[]){10}, 1, false);
            MBig *scale = (MBig *)mochi_big_pow(line, &ten->h, exp10 > 0 ? exp10 : -exp10);
            MBig **into = exp10 > 0 ? &num : &den, *t;
            mochi_release(&ten->h);
            t = mul_num(line, num_of(&(*into)->h), num_of(&scale->h));
            mochi_release(&(*into)->h);
            mochi_release(&scale->h);
            *into = t;
        }
        return rat_normal(line, num, den);
    }
bad:
    mochi_error(line, "cannot parse \"%s\" as bigrat", str->data);
}

static mref rat_add_sub(int32_t line, mref a, mref b, bool sub)
{
    Num an, ad, bn, bd;
    MBig *x, *y, *num, *den;
    rat_parts(a, &an, &ad);
    rat_parts(b, &bn, &bd);
    if (sub)
        bn.neg = !bn.neg;
    x = mul_num(line, an, bd);
    y = mul_num(line, bn, ad);
    num = add_num(line, num_of(&x->h), num_of(&y->h));
    den = mul_num(line, ad, bd);
    mochi_release(&x->h);
    mochi_release(&y->h);
    return rat_normal(line, num, den);
}

mref mochi_rat_add(int32_t line, mref a, mref b)
{
    return rat_add_sub(line, a, b, false);
}

mref mochi_rat_sub(int32_t line, mref a, mref b)
{
    return rat_add_sub(line, a, b, true);
}

mref mochi_rat_mul(int32_t line, mref a, mref b)
{
    Num an, ad, bn, bd;
    rat_parts(a, &an, &ad);
    rat_parts(b, &bn, &bd);
    return rat_normal(line, mul_num(line, an, bn), mul_num(line, ad, bd));
}

mref mochi_rat_div(int32_t line, mref a, mref b)
{
    Num an, ad, bn, bd;
    rat_parts(a, &an, &ad);
    rat_parts(b, &bn, &bd);
    if (bn.n == 0)
        mochi_error(line, "division by zero");
    return rat_normal(line, mul_num(line, an, bd), mul_num(line, ad, bn));
}

mref mochi_rat_neg(int32_t line, mref a)
{
    Num n, d;
    rat_parts(a, &n, &d);
    n.neg = !n.neg;
    return &rat_alloc(line, big_num(line, n), big_num(line, d))->h;
}

mref mochi_rat_abs(int32_t line, mref a)
{
    Num n, d;
    rat_parts(a, &n, &d);
    n.neg = false;
    return &rat_alloc(line, big_num(line, n), big_num(line, d))->h;
}

mref mochi_rat_num(int32_t line, mref a)
{
    if (a == NULL)
        return mochi_big_from_i64(line, 0);
    mochi_retain(&((MRat *)a)->num->h);
    return &((MRat *)a)->num->h;
}

mref mochi_rat_denom(int32_t line, mref a)
{
    if (a == NULL)
        return mochi_big_from_i64(line, 1);
    mochi_retain(&((MRat *)a)->den->h);
    return &((MRat *)a)->den->h;
}

mref mochi_rat_to_big(int32_t line, mref a)
{
    Num n, d;
    MBig *q;
    rat_parts(a, &n, &d);
    divmod_num(line, n, d, &q, NULL);
    return &q->h;
}

double mochi_rat_to_f64(int32_t line, mref a)
{
    Num n, d;
    double f;
    rat_parts(a, &n, &d);
    if (n.n == 0)
        return 0.0;
    f = ratio_to_double(line, n, d);
    return n.neg ? -f : f;
}

int mochi_rat_cmp(int32_t line, mref a, mref b)
{
    Num an, ad, bn, bd;
    MBig *x, *y;
    int c;
    rat_parts(a, &an, &ad);
    rat_parts(b, &bn, &bd);
    if (an.neg != bn.neg || an.n == 0 || bn.n == 0)
        return cmp_num(an, bn);
    x = mul_num(line, an, bd);
    y = mul_num(line, bn, ad);
    c = mochi_big_cmp(&x->h, &y->h);
    mochi_release(&x->h);
    mochi_release(&y->h);
    return c;
}

#define RAT_COMPARE(name, op)                                  \
    bool mochi_##name##_rat(int32_t line, mref a, mref b)      \
    {                                                          \
        return mochi_rat_cmp(line, a, b) op 0;                 \
    }
RAT_COMPARE(eq, ==)
RAT_COMPARE(ne, !=)
RAT_COMPARE(lt, <)
RAT_COMPARE(le, <=)
RAT_COMPARE(gt, >)
RAT_COMPARE(ge, >=)

/* ------------------------------------------------------------------ dynamic values */

bool mochi_big_fits_i64(mref a, int64_t *out)
{
    Num x = num_of(a);
    uint64_t u;
    if (x.n > 2)
        return false;
    u = x.n == 0 ? 0 : x.n == 1 ? x.d[0] : ((uint64_t)x.d[1] << 32) | x.d[0];
    if (u > (x.neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1))
        return false;
    *out = x.neg ? (int64_t)(0 - u) : (int64_t)u;
    return true;
}

uint64_t mochi_big_hash(mref a)
{
    Num x = num_of(a);
    uint64_t h = 0x84222325cbf29ce4ULL ^ (uint64_t)x.neg;
    int64_t i;
    for (i = 0; i < x.n; i++)
        h = (h ^ x.d[i]) * 0x100000001b3ULL;
    return h;
}

/* a number of any kind as a (new) bigint, bigrat or double */
static mref val_big(int32_t line, MVal v)
{
    switch (v.k) {
    case V_INT: return mochi_big_from_i64(line, v.v.i);
    case V_BOOL: return mochi_big_from_i64(line, v.v.b);
    default: mochi_retain(v.v.r); return v.v.r;
    }
}

static mref val_rat(int32_t line, MVal v)
{
    switch (v.k) {
    case V_INT: return mochi_rat_from_i64(line, v.v.i);
    case V_BOOL: return mochi_rat_from_i64(line, v.v.b);
    case V_FLOAT: return mochi_rat_from_f64(line, v.v.f);
    case V_BIGINT: return mochi_rat_from_big(line, v.v.r);
    default: mochi_retain(v.v.r); return v.v.r;
    }
}

double mochi_val_to_f64(int32_t line, MVal v)
{
    switch (v.k) {
    case V_INT: return (double)v.v.i;
    case V_BOOL: return v.v.b;
    case V_FLOAT: return v.v.f;
    case V_BIGINT: return mochi_big_to_f64(line, v.v.r);
    default: return mochi_rat_to_f64(line, v.v.r);
    }
}

int mochi_num_cmp_big(int32_t line, MVal a, MVal b)
{
    mref x, y;
    int c;
    if (a.k == V_FLOAT || b.k == V_FLOAT) {
        double p = mochi_val_to_f64(line, a), q = mochi_val_to_f64(line, b);
        if (p != p || q != q)
            return 2;
        return (p > q) - (p < q);
    }
    if (a.k == V_BIGRAT || b.k == V_BIGRAT) {
        x = val_rat(line, a);
        y = val_rat(line, b);
        c = mochi_rat_cmp(line, x, y);
    } else {
        x = val_big(line, a);
        y = val_big(line, b);
        c = mochi_big_cmp(x, y);
    }
    mochi_release(x);
    mochi_release(y);
    return c;
}

/* a op b where either is a bigint or bigrat: a float if either is a float, a
 * bigrat if either is a bigrat, a bigint otherwise (Go's rules in the reference) */
mref mochi_big_binop(int32_t line, MVal a, MVal b, const char *op)
{
    mref x, y, r;
    char c = op[0];
    if (a.k == V_FLOAT || b.k == V_FLOAT) {
        double p = mochi_val_to_f64(line, a), q = mochi_val_to_f64(line, b), f;
        switch (c) {
        case '+': f = p + q; break;
        case '-': f = p - q; break;
        case '*': f = p * q; break;
        case '/': f = p / q; break;
        case 'p': f = pow(p, q); break;
        default: f = fmod(p, q); break;
        }
        return mochi_box_f64(line, f, &mochi_t_float);
    }
    if (a.k == V_BIGRAT || b.k == V_BIGRAT) {
        if (c == '%' || c == 'p')
            mochi_error(line, "cannot apply '%s' to %s and %s", op, mochi_val_type_name(a),
                        mochi_val_type_name(b));
        x = val_rat(line, a);
        y = val_rat(line, b);
        switch (c) {
        case '+': r = mochi_rat_add(line, x, y); break;
        case '-': r = mochi_rat_sub(line, x, y); break;
        case '*': r = mochi_rat_mul(line, x, y); break;
        default: r = mochi_rat_div(line, x, y); break;
        }
    } else {
        x = val_big(line, a);
        if (c == 'p') { /* pow */
            int64_t e = b.k == V_INT ? b.v.i : mochi_big_to_i64(line, b.v.r);
            r = mochi_big_pow(line, x, e);
            mochi_release(x);
            return r;
        }
        y = val_big(line, b);
        switch (c) {
        case '+': r = mochi_big_add(line, x, y); break;
        case '-': r = mochi_big_sub(line, x, y); break;
        case '*': r = mochi_big_mul(line, x, y); break;
        case '/': r = mochi_big_div(line, x, y); break;
        default: r = mochi_big_rem(line, x, y); break;
        }
    }
    mochi_release(x);
    mochi_release(y);
    return r;
}

void mochi_big_free(mref o)
{
    if (o->kind == MK_BIGRAT) {
        mochi_release(&((MRat *)o)->num->h);
        mochi_release(&((MRat *)o)->den->h);
    }
}
