/* Math: the C library's functions with the reference interpreter's results
 * where Python's math module differs from C (interp/runtime.py MATH1,
 * MATH2): Python raises where C returns a value, and the interpreter turns
 * a domain error into NaN and an overflow into +Inf.  So log2(0) and
 * log10(0) are NaN, floor/ceil/trunc of an infinity are +Inf and never -0,
 * a finite sinh or cosh that overflows is +Inf.  pow, atan2, fmod and hypot
 * agree with C99's Annex F already.
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
static double m_log2(double x) { return x == 0 ? NAN : log2(x); }
static double m_log10(double x) { return x == 0 ? NAN : log10(x); }

/* Python's floor, ceil and trunc go through an int: no -0, +Inf on overflow */
static double integral(double r, double x)
{
    if (x != x)
        return x;
    if (x - x != 0.0)
        return INFINITY;
    return r == 0 ? 0.0 : r;
}

static double m_floor(double x) { return integral(floor(x), x); }
static double m_ceil(double x) { return integral(ceil(x), x); }
static double m_trunc(double x) { return integral(trunc(x), x); }

static double overflow_up(double r, double x)
{
    return x - x == 0.0 && r - r != 0.0 && r == r ? INFINITY : r;
}

static double m_sinh(double x) { return overflow_up(sinh(x), x); }
static double m_cosh(double x) { return overflow_up(cosh(x), x); }

static const struct {
    const char *name;
    Fn1 fn;
} unary[] = {
    {"sqrt", m_sqrt}, {"sin", sin}, {"cos", cos}, {"tan", tan}, {"asin", asin},
    {"acos", acos}, {"atan", atan}, {"exp", exp}, {"log", log}, {"log2", m_log2},
    {"log10", m_log10}, {"floor", m_floor}, {"ceil", m_ceil}, {"fabs", fabs},
    {"trunc", m_trunc}, {"sinh", m_sinh}, {"cosh", m_cosh}, {"tanh", tanh},
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
