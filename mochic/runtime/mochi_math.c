/* Math: the C library's functions, whose C99 Annex F results are Go's math
 * package's (signed zeros kept by floor/ceil/trunc, log(0) = -Inf, a negative
 * logarithm or square root NaN, overflow +-Inf), as the reference interpreter
 * (interp/runtime.py MATH1, MATH2) gives them too.
 *
 * exp is the runtime's own, correctly rounded on every target (below); the
 * others are the target C library's.
 *
 * Functions are found by name (the IR's immediate); a small cache keyed by
 * the name's address makes repeated calls from one call site cheap. */
#include "mochi_internal.h"

#include <math.h>

typedef double (*Fn1)(double);
typedef double (*Fn2)(double, double);

double mochi_round(double x)
{
    if (x != x || x - x != 0.0)
        return x;
    return copysign(floor(fabs(x) + 0.5), x); /* half away from zero */
}

static double m_sqrt(double x) { return x < 0 ? NAN : sqrt(x); }

/* ------------------------------------------------------------------ exp
 * zig's C libraries for musl, mingw and WASI share one exp that is a unit in
 * the last place off for about a tenth of all arguments (exp(1.0) gives
 * 2.7182818284590455), where glibc's is correctly rounded but for about one
 * argument in a thousand.  So exp is computed here, correctly rounded and
 * the same on every target, in Ziv's way: a fast evaluation good to about
 * 2^-65 decides the rounding unless the value lies within 2^-61 of a
 * rounding boundary (about one argument in 250), and then a slow one in
 * double-double arithmetic (about 2^-100) decides it.  (The build's
 * -ffp-contract=off keeps the compiler from fusing the error-free
 * transformations below into different roundings.) */

typedef struct {
    double hi, lo; /* the value hi + lo, |lo| <= ulp(hi) / 2 */
} DD;

static DD dd_two_sum(double a, double b)
{
    double s = a + b, bb = s - a;
    DD r = {s, (a - (s - bb)) + (b - bb)};
    return r;
}

static DD dd_fast_two_sum(double a, double b) /* |a| >= |b| */
{
    double s = a + b;
    DD r = {s, b - (s - a)};
    return r;
}

static DD dd_two_prod(double a, double b) /* Dekker: exact without a fused multiply-add */
{
    const double split = 134217729.0; /* 2^27 + 1 */
    double p = a * b;
    double ta = split * a, ah = ta - (ta - a), al = a - ah;
    double tb = split * b, bh = tb - (tb - b), bl = b - bh;
    DD r = {p, ((ah * bh - p) + ah * bl + al * bh) + al * bl};
    return r;
}

static DD dd_add(DD a, DD b)
{
    DD s = dd_two_sum(a.hi, b.hi), t = dd_two_sum(a.lo, b.lo);
    s = dd_fast_two_sum(s.hi, s.lo + t.hi);
    return dd_fast_two_sum(s.hi, s.lo + t.lo);
}

static DD dd_mul(DD a, DD b)
{
    DD p = dd_two_prod(a.hi, b.hi);
    return dd_fast_two_sum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

static DD dd_div_small(DD a, double n) /* n a small integer */
{
    double q1 = a.hi / n;
    DD p = dd_two_prod(q1, n);
    return dd_fast_two_sum(q1, ((a.hi - p.hi) - p.lo + a.lo) / n);
}

/* 1 + e rounded to nearest once.  The low parts are added rounding to odd
 * (an inexact sum takes its odd neighbour), which keeps the information that
 * the exact sum is off a tie; exp of a tiny x, 1 + x + x^2/2, is always
 * just off one. */
static double dd_one_plus(DD e)
{
    DD s = dd_two_sum(1.0, e.hi), u = dd_two_sum(s.lo, e.lo);
    uint64_t bits;
    memcpy(&bits, &u.hi, sizeof bits);
    if (u.lo != 0.0 && (bits & 1) == 0) {
        bits += (u.lo > 0) == (u.hi > 0) ? 1 : (uint64_t)-1; /* one step toward u.lo */
        memcpy(&u.hi, &bits, sizeof bits);
    }
    return s.hi + u.hi;
}

/* 2^k for -1022 <= k <= 1023 */
static double pow2(int k)
{
    uint64_t bits = (uint64_t)(k + 1023) << 52;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* expm1(r) for |r| <= ln 2 / 2 to about 2^-100: the Taylor series of
 * expm1(r / 2^8), 11 terms, then squared 8 times in the form
 * expm1(2y) = expm1(y) (2 + expm1(y)), which keeps a small value's
 * relative precision */
static DD dd_expm1(DD r)
{
    const DD two = {2.0, 0.0};
    DD e, t;
    int i;
    r.hi *= 0x1p-8;
    r.lo *= 0x1p-8;
    e = t = r;
    for (i = 2; i <= 11; i++) {
        t = dd_div_small(dd_mul(t, r), i);
        e = dd_add(e, t);
    }
    for (i = 0; i < 8; i++)
        e = dd_mul(e, dd_add(two, e));
    return e;
}

/* ln 2 / 64 = LN2_64_1 + LN2_64_2 + LN2_64_3, the first two with 35
 * significant bits, so that k LN2_64_1 and k LN2_64_2 are exact for |k| < 2^17 */
static const double LN2_64_1 = 0x1.62e42fefc0000p-7, LN2_64_2 = -0x1.c610ca86c0000p-43,
                    LN2_64_3 = -0x1.c4c67fc0d0951p-82;

/* k ln 2 / 64 for an integer |k| < 2^17, to about 2^-115 */
static DD ln2_64_times(double k)
{
    DD r = dd_two_sum(k * LN2_64_1, k * LN2_64_2);
    return dd_fast_two_sum(r.hi, r.lo + k * LN2_64_3);
}

/* x = k ln 2 / 64 + r with |r| <= ln 2 / 128 (and a little): k returned, r set
 * (x - k LN2_64_1 is exact: the two are close) */
static double reduce(double x, DD *r)
{
    double k = floor(x * 0x1.71547652b82fep+6 + 0.5); /* 64 / ln 2 */
    *r = dd_two_sum(x - k * LN2_64_1, -k * LN2_64_2);
    *r = dd_fast_two_sum(r->hi, r->lo - k * LN2_64_3);
    return k;
}

static DD exp_table[64]; /* 2^(j/64) to about 2^-100, made on first use */
static bool exp_table_made;

static void make_exp_table(void)
{
    const DD one = {1.0, 0.0};
    int j;
    for (j = 0; j < 64; j++)
        exp_table[j] = dd_add(one, dd_expm1(ln2_64_times(j)));
    exp_table_made = true;
}

/* exp(x) = 2^(k/64) exp(r) to about 2^-100, then rounded, subnormals included */
static double exp_slow(double x)
{
    const DD one = {1.0, 0.0}, minus_one = {-1.0, 0.0};
    DD r, e;
    double k = reduce(x, &r), q_hi, q_lo, n, frac;
    int j = (int)(k - 64.0 * floor(k / 64.0)), m;
    k = (k - j) / 64.0;
    /* e = 2^(j/64) (1 + expm1(r)) - 1 = (2^(j/64) - 1) + 2^(j/64) expm1(r), kept
     * apart from the 1 so that 1 + e rounds once */
    e = dd_add(dd_add(exp_table[j], minus_one), dd_mul(exp_table[j], dd_expm1(r)));
    if (k > -1022) { /* normal: an exact scaling */
        double y = dd_one_plus(e);
        return k > 1023 ? y * 2.0 * pow2(1023) : y * pow2((int)k);
    }
    /* subnormal: round (1 + e) 2^(k + 1074) to an integer n, counting e's low
     * part (ties to even), and n 2^-1074 is exact */
    e = dd_add(one, e);
    m = (int)k + 1074;
    if (m < -1) /* (1 + e) 2^m < 0.36 */
        return 0.0;
    q_hi = e.hi * pow2(m);
    q_lo = e.lo * pow2(m);
    n = floor(q_hi);
    frac = (q_hi - n) + q_lo;
    if (frac > 0.5 || (frac == 0.5 && fmod(n, 2.0) != 0.0))
        n += 1.0;
    return n * 0x1p-1074;
}

double mochi_exp(double x)
{
    DD r, t, a;
    double k, p, hi, lo, half;
    int j;
    if (x != x)
        return x;
    if (x > 0x1.62e42fefa39efp+9) /* the largest x whose exp is finite */
        return HUGE_VAL;
    if (x < -746.0) /* exp(x) < 2^-1076: rounds to zero */
        return 0.0;
    if (fabs(x) < 0x1p-54) /* exp(x) = 1 + x + ... rounds to 1 */
        return 1.0;
    if (!exp_table_made)
        make_exp_table();
    k = reduce(x, &r);
    j = (int)(k - 64.0 * floor(k / 64.0));
    k = (k - j) / 64.0;
    if (k < -1021 || k > 1023) /* near underflow or overflow */
        return exp_slow(x);
    /* 2^(j/64) exp(r) = t (1 + r + p): p = expm1(r) - r by its Taylor
     * polynomial to r^7 in doubles (|r| < 2^-7.5: error about 2^-67) */
    p = r.hi * r.hi *
        (0.5 + r.hi * (1.0 / 6 + r.hi * (1.0 / 24 + r.hi * (1.0 / 120 + r.hi * (1.0 / 720 +
                                                                        r.hi / 5040)))));
    t = exp_table[j];
    a = dd_two_prod(t.hi, r.hi);
    lo = a.lo + t.hi * (r.lo + p) + t.lo * (1.0 + r.hi);
    a = dd_two_sum(t.hi, a.hi);
    a = dd_fast_two_sum(a.hi, a.lo + lo);
    hi = a.hi;
    lo = a.lo;
    /* hi is exp(x) 2^-k rounded unless lo is within the error of half a unit
     * in the last place of hi (a quarter below a power of two) */
    half = hi > 1.0 || (hi == 1.0 && lo > 0) ? 0x1p-53 : 0x1p-54;
    if (fabs(fabs(lo) - half) <= 0x1p-61)
        return exp_slow(x);
    return hi * pow2((int)k);
}

static const struct {
    const char *name;
    Fn1 fn;
} unary[] = {
    {"sqrt", m_sqrt}, {"sin", sin}, {"cos", cos}, {"tan", tan}, {"asin", asin},
    {"acos", acos}, {"atan", atan}, {"exp", mochi_exp}, {"log", log}, {"log2", log2},
    {"log10", log10}, {"floor", floor}, {"ceil", ceil}, {"fabs", fabs},
    {"trunc", trunc}, {"sinh", sinh}, {"cosh", cosh}, {"tanh", tanh},
    {"round", mochi_round},
};

static const struct {
    const char *name;
    Fn2 fn;
} binary[] = {
    {"pow", pow}, {"atan2", atan2}, {"fmod", fmod}, {"hypot", hypot},
};

/* direct-mapped cache of name address -> table index */
#define CACHE 16
static struct {
    const char *name;
    int index;
} cache1[CACHE], cache2[CACHE];

static unsigned slot_of(const char *name)
{
    return (unsigned)(((uintptr_t)name >> 3) % CACHE);
}

double mochi_math_f64(const char *name, double x)
{
    unsigned s = slot_of(name);
    size_t i;
    if (cache1[s].name == name)
        return unary[cache1[s].index].fn(x);
    for (i = 0; i < sizeof unary / sizeof unary[0]; i++)
        if (strcmp(unary[i].name, name) == 0) {
            cache1[s].name = name;
            cache1[s].index = (int)i;
            return unary[i].fn(x);
        }
    return NAN; /* not a math function */
}

double mochi_math2_f64(const char *name, double x, double y)
{
    unsigned s = slot_of(name);
    size_t i;
    if (cache2[s].name == name)
        return binary[cache2[s].index].fn(x, y);
    for (i = 0; i < sizeof binary / sizeof binary[0]; i++)
        if (strcmp(binary[i].name, name) == 0) {
            cache2[s].name = name;
            cache2[s].index = (int)i;
            return binary[i].fn(x, y);
        }
    return NAN;
}
