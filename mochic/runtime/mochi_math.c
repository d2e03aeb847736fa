/* Math: the C library's functions, whose C99 Annex F results are Go's math
 * package's (signed zeros kept by floor/ceil/trunc, log(0) = -Inf, a negative
 * logarithm or square root NaN, overflow +-Inf), as the reference interpreter
 * (interp/runtime.py MATH1, MATH2) gives them too.
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

static const struct {
    const char *name;
    Fn1 fn;
} unary[] = {
    {"sqrt", m_sqrt}, {"sin", sin}, {"cos", cos}, {"tan", tan}, {"asin", asin},
    {"acos", acos}, {"atan", atan}, {"exp", exp}, {"log", log}, {"log2", log2},
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
