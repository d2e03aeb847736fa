/* Strings: immutable UTF-8 with a NUL after the last byte.  Lengths,
 * indexes and slices count code points, as Python's str does, so every
 * operation here matches the reference interpreter's string methods.
 *
 * Code points.  MStr.ncp caches the code-point count (computed on first
 * need).  A string whose count equals its byte count is ASCII and indexes
 * directly; otherwise an index is found by scanning, and the last position
 * found is remembered so that `for ch in s` (s[0], s[1], ...) stays linear.
 * The one-character ASCII strings are immortal and shared.
 *
 * Building.  `s = s + t` calls mochi_str_append: s's reference dies there,
 * so a string nobody else holds (rc == 1) is extended in place when its
 * allocation has room, and otherwise copied into a new one whose data area
 * is the next power of two (its log2 kept in MHeader.flags), so the room at
 * least doubles each time and building a string by appends is linear.  The
 * object never moves while the caller still holds it (a full one is copied,
 * never realloc'd), and its code-point count stays known: the two counts
 * are added.
 *
 * Comparison is byte-wise, which for UTF-8 is code-point order.  Case
 * mapping, white space and the like follow Python's Unicode tables
 * (mochi_unicode.c). */
#include "mochi_internal.h"

#include <inttypes.h>
#include <math.h>

#define S(r) ((MStr *)(r))

static MStr *check(int32_t line, mref r)
{
    if (r == NULL)
        mochi_nil(line);
    return (MStr *)r;
}

/* ------------------------------------------------------------------ construction */

MStr *mochi_str_alloc(int32_t line, int64_t nbytes)
{
    MStr *s;
    if (nbytes < 0 || (uint64_t)nbytes > SIZE_MAX - sizeof(MStr) - 1)
        mochi_error(line, "out of memory");
    s = mochi_alloc(line, sizeof(MStr) + (size_t)nbytes + 1);
    s->h.rc = 1;
    s->h.kind = MK_STR;
    s->h.flags = 0;
    s->nbytes = nbytes;
    s->ncp = -1;
    s->data[nbytes] = '\0';
    return s;
}

static mref immortal(const char *p, int64_t n)
{
    MStr *s = mochi_str_alloc(0, n);
    memcpy(s->data, p, (size_t)n);
    s->h.rc = -1;
    return &s->h;
}

mref mochi_str_const(const char *utf8, int64_t nbytes)
{
    /* kept reachable, so leak checkers do not report a constant whose
     * emitted static the C compiler optimised away */
    static mref *constants;
    static int64_t n, cap;
    if (n == cap) {
        cap = cap ? 2 * cap : 64;
        constants = mochi_grow(0, constants, cap, sizeof *constants);
    }
    return constants[n++] = immortal(utf8, nbytes);
}

mref mochi_str_empty(void)
{
    static mref empty;
    if (empty == NULL)
        empty = immortal("", 0);
    return empty;
}

static mref ascii_char(char c)
{
    static mref chars[128];
    unsigned char u = (unsigned char)c;
    if (chars[u] == NULL)
        chars[u] = immortal(&c, 1);
    return chars[u];
}

mref mochi_str_new(int32_t line, const char *p, int64_t n)
{
    MStr *s;
    if (n == 0)
        return mochi_str_empty();
    if (n == 1 && (unsigned char)p[0] < 128)
        return ascii_char(p[0]);
    s = mochi_str_alloc(line, n);
    memcpy(s->data, p, (size_t)n);
    return &s->h;
}

/* ------------------------------------------------------------------ UTF-8 */

int mochi_utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

uint32_t mochi_utf8_decode(const char *p, int64_t n, int *len)
{
    const unsigned char *u = (const unsigned char *)p;
    int need, i;
    uint32_t cp;
    if (u[0] < 0x80) {
        *len = 1;
        return u[0];
    }
    if (u[0] >= 0xF0) {
        need = 4;
        cp = u[0] & 0x07;
    } else if (u[0] >= 0xE0) {
        need = 3;
        cp = u[0] & 0x0F;
    } else {
        need = 2;
        cp = u[0] & 0x1F;
    }
    for (i = 1; i < need && i < n && (u[i] & 0xC0) == 0x80; i++)
        cp = (cp << 6) | (u[i] & 0x3F);
    *len = i;
    return cp;
}

static bool is_cont(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

int64_t mochi_str_ncp(MStr *s)
{
    if (s->ncp < 0) {
        int64_t i, n = 0;
        for (i = 0; i < s->nbytes; i++)
            n += !is_cont(s->data[i]);
        s->ncp = n;
    }
    return s->ncp;
}

/* the last code-point position looked up, to make sequential indexing linear */
static struct {
    const MStr *s;
    int64_t cp, off;
} pos;

void mochi_str_forget(MStr *s)
{
    if (pos.s == s)
        pos.s = NULL;
}

/* byte offset of code point cp (0 <= cp <= ncp, ncp already computed) */
static int64_t offset_of(MStr *s, int64_t cp)
{
    int64_t c = 0, off = 0;
    if (s->ncp == s->nbytes || cp == s->ncp)
        return cp == s->ncp ? s->nbytes : cp;
    if (pos.s == s && pos.cp <= cp) {
        c = pos.cp;
        off = pos.off;
    }
    while (c < cp) {
        off++;
        while (off < s->nbytes && is_cont(s->data[off]))
            off++;
        c++;
    }
    pos.s = s;
    pos.cp = cp;
    pos.off = off;
    return off;
}

static int64_t cp_count(const char *p, int64_t n)
{
    int64_t i, c = 0;
    for (i = 0; i < n; i++)
        c += !is_cont(p[i]);
    return c;
}

/* ------------------------------------------------------------------ comparison */

static int cmp(MStr *a, MStr *b)
{
    int64_t n = a->nbytes < b->nbytes ? a->nbytes : b->nbytes;
    int c = memcmp(a->data, b->data, (size_t)n);
    if (c != 0)
        return c;
    return (a->nbytes > b->nbytes) - (a->nbytes < b->nbytes);
}

bool mochi_eq_str(int32_t line, mref a, mref b)
{
    (void)line;
    if (a == b)
        return true;
    if (a == NULL || b == NULL)
        return false;
    return S(a)->nbytes == S(b)->nbytes &&
           memcmp(S(a)->data, S(b)->data, (size_t)S(a)->nbytes) == 0;
}

bool mochi_ne_str(int32_t line, mref a, mref b)
{
    return !mochi_eq_str(line, a, b);
}

bool mochi_lt_str(int32_t line, mref a, mref b)
{
    return cmp(check(line, a), check(line, b)) < 0;
}

bool mochi_le_str(int32_t line, mref a, mref b)
{
    return cmp(check(line, a), check(line, b)) <= 0;
}

bool mochi_gt_str(int32_t line, mref a, mref b)
{
    return cmp(check(line, a), check(line, b)) > 0;
}

bool mochi_ge_str(int32_t line, mref a, mref b)
{
    return cmp(check(line, a), check(line, b)) >= 0;
}

/* ------------------------------------------------------------------ basics */

mref mochi_str_concat(int32_t line, mref a, mref b)
{
    MStr *x = check(line, a), *y = check(line, b), *s;
    if (y->nbytes == 0 || x->nbytes == 0) {
        mref r = y->nbytes == 0 ? a : b;
        mochi_retain(r);
        return r;
    }
    if (x->nbytes > INT64_MAX - y->nbytes)
        mochi_error(line, "out of memory");
    s = mochi_str_alloc(line, x->nbytes + y->nbytes);
    memcpy(s->data, x->data, (size_t)x->nbytes);
    memcpy(s->data + x->nbytes, y->data, (size_t)y->nbytes);
    if (x->ncp >= 0 && y->ncp >= 0)
        s->ncp = x->ncp + y->ncp;
    return &s->h;
}

/* the bytes s's data area holds, its NUL included */
static int64_t room(const MStr *s)
{
    int k = s->h.flags >> MF_STR_ROOM_SHIFT;
    return k ? (int64_t)1 << k : s->nbytes + 1;
}

mref mochi_str_append(int32_t line, mref a, mref b)
{
    MStr *x = check(line, a), *y = check(line, b), *s;
    int64_t n = x->nbytes, m = y->nbytes, ncp;
    int k;
    if (m == 0 || n == 0)
        return mochi_str_concat(line, a, b);
    if (n > INT64_MAX / 2 - m)
        mochi_error(line, "out of memory");
    ncp = mochi_str_ncp(x) + mochi_str_ncp(y); /* y may be x: counted before it grows */
    if (x->h.rc == 1 && n + m + 1 <= room(x)) {
        memcpy(x->data + n, y->data, (size_t)m); /* y == x: the first n bytes, unchanged */
        x->nbytes = n + m;
        x->data[n + m] = '\0';
        x->ncp = ncp;
        mochi_retain(a);
        return a;
    }
    for (k = 5; ((int64_t)1 << k) < n + m + 1; k++) /* full again: twice the room */
        ;
    s = mochi_str_alloc(line, ((int64_t)1 << k) - 1);
    s->h.flags = (uint16_t)(k << MF_STR_ROOM_SHIFT);
    memcpy(s->data, x->data, (size_t)n);
    memcpy(s->data + n, y->data, (size_t)m);
    s->nbytes = n + m;
    s->data[n + m] = '\0';
    s->ncp = ncp;
    return &s->h;
}

int64_t mochi_str_len(int32_t line, mref s)
{
    return mochi_str_ncp(check(line, s));
}

mref mochi_str_index(int32_t line, mref r, int64_t i)
{
    MStr *s = check(line, r);
    int64_t n = mochi_str_ncp(s), off;
    int len;
    if (i < -n || i >= n)
        mochi_error(line, "index %" PRId64 " out of range for string of length %" PRId64, i, n);
    if (i < 0)
        i += n;
    off = offset_of(s, i);
    mochi_utf8_decode(s->data + off, s->nbytes - off, &len);
    return mochi_str_new(line, s->data + off, len);
}

/* Python's s[a:b] bounds: negatives count from the end, then clamp */
static void clamp(int64_t *a, int64_t *b, int64_t n)
{
    if (*a < 0)
        *a += n;
    if (*b < 0)
        *b += n;
    *a = *a < 0 ? 0 : *a > n ? n : *a;
    *b = *b < *a ? *a : *b > n ? n : *b;
}

mref mochi_str_slice(int32_t line, mref r, int64_t a, int64_t b)
{
    MStr *s = check(line, r);
    int64_t n = mochi_str_ncp(s), from, to;
    clamp(&a, &b, n);
    if (a == 0 && b == n) {
        mochi_retain(r);
        return r;
    }
    from = offset_of(s, a);
    to = offset_of(s, b);
    r = mochi_str_new(line, s->data + from, to - from);
    if (S(r)->h.rc > 0)
        S(r)->ncp = b - a;
    return r;
}

mref mochi_str_substring(int32_t line, mref s, int64_t a, int64_t b)
{
    return mochi_str_slice(line, s, a, b);
}

/* byte offset of the first occurrence of needle in hay at or after from, or -1 */
static int64_t find(MStr *hay, MStr *needle, int64_t from)
{
    int64_t i, last = hay->nbytes - needle->nbytes;
    if (needle->nbytes == 0)
        return from <= hay->nbytes ? from : -1;
    for (i = from; i <= last; i++) {
        const char *p = memchr(hay->data + i, needle->data[0], (size_t)(last - i + 1));
        if (p == NULL)
            return -1;
        i = p - hay->data;
        if (memcmp(p, needle->data, (size_t)needle->nbytes) == 0)
            return i;
    }
    return -1;
}

bool mochi_str_contains(int32_t line, mref s, mref sub)
{
    return find(check(line, s), check(line, sub), 0) >= 0;
}

int64_t mochi_str_index_of(int32_t line, mref s, mref sub)
{
    int64_t at = find(check(line, s), check(line, sub), 0);
    return at < 0 ? -1 : cp_count(S(s)->data, at);
}

bool mochi_str_starts_with(int32_t line, mref s, mref p)
{
    MStr *x = check(line, s), *y = check(line, p);
    return y->nbytes <= x->nbytes && memcmp(x->data, y->data, (size_t)y->nbytes) == 0;
}

bool mochi_str_ends_with(int32_t line, mref s, mref p)
{
    MStr *x = check(line, s), *y = check(line, p);
    return y->nbytes <= x->nbytes &&
           memcmp(x->data + x->nbytes - y->nbytes, y->data, (size_t)y->nbytes) == 0;
}

/* ------------------------------------------------------------------ conversions to strings */

/* a new string of ASCII text: its code-point count is its length */
static mref ascii_str(int32_t line, const char *p, int64_t n)
{
    mref s = mochi_str_new(line, p, n);
    S(s)->ncp = n;
    return s;
}

mref mochi_str_from_i64(int32_t line, int64_t v)
{
    char buf[MOCHI_INT_DIGITS];
    int n;
    const char *p = mochi_fmt_int(v, buf, &n);
    return ascii_str(line, p, n);
}

mref mochi_str_from_f64(int32_t line, double v)
{
    char buf[40];
    int n = mochi_format_float(v, buf, sizeof buf);
    return ascii_str(line, buf, n);
}

mref mochi_str_from_bool(int32_t line, bool v)
{
    return ascii_str(line, v ? "true" : "false", v ? 4 : 5);
}

mref mochi_str_from_any(int32_t line, mref v)
{
    MBuf b = {NULL, 0, 0};
    mref r;
    if (v != NULL && v->kind == MK_STR) {
        mochi_retain(v);
        return v;
    }
    mochi_fmt_str(&b, mochi_val_ref(v));
    r = mochi_str_new(line, b.p, (int64_t)b.n);
    mochi_buf_free(&b);
    return r;
}

/* ------------------------------------------------------------------ parsing numbers */

/* the bytes of s without Python's white space (str.strip) at either end */
static void stripped(MStr *s, const char **start, const char **end)
{
    const char *p = s->data, *e = s->data + s->nbytes;
    int len;
    while (p < e && mochi_uni_space(mochi_utf8_decode(p, e - p, &len)))
        p += len;
    while (e > p) {
        const char *q = e - 1;
        while (q > p && is_cont(*q))
            q--;
        if (!mochi_uni_space(mochi_utf8_decode(q, e - q, &len)))
            break;
        e = q;
    }
    *start = p;
    *end = e;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* Python's integer digits in base: digit (_? digit)*, or with a leading
 * underscore after a base prefix; *big is set when the value does not fit
 * in 64 bits (the digits are still checked) */
static bool parse_digits(const char *p, const char *e, int base, bool lead_us, uint64_t *out,
                         bool *big)
{
    uint64_t v = 0;
    bool need_digit = true;
    *big = false;
    if (lead_us && p < e && *p == '_')
        p++;
    for (; p < e; p++) {
        uint64_t d;
        if (*p == '_') {
            if (need_digit)
                return false;
            need_digit = true;
            continue;
        }
        if (digit_value(*p) >= base)
            return false;
        d = (uint64_t)digit_value(*p);
        if (v > (UINT64_MAX - d) / (uint64_t)base)
            *big = true;
        v = v * (uint64_t)base + d;
        need_digit = false;
    }
    *out = v;
    return !need_digit;
}

/* int(text, base) of Python: PARSED, NOT_A_NUMBER (a ValueError) or TOO_BIG
 * (a number no int64 holds) */
enum { PARSED, NOT_A_NUMBER, TOO_BIG };

static int parse_int(const char *p, const char *e, int64_t base, int64_t *out)
{
    bool neg = false, prefixed = false, big;
    uint64_t v;
    if (base != 0 && (base < 2 || base > 36))
        return NOT_A_NUMBER;
    if (p < e && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    if (e - p >= 2 && p[0] == '0') {
        char c = (char)(p[1] | 0x20);
        int b = c == 'x' ? 16 : c == 'o' ? 8 : c == 'b' ? 2 : 0;
        if (b != 0 && (base == 0 || base == b)) {
            base = b;
            prefixed = true;
            p += 2;
        }
    }
    if (base == 0) { /* decimal: no leading zero unless the number is zero */
        const char *q;
        base = 10;
        if (p < e && *p == '0')
            for (q = p; q < e; q++)
                if (*q != '0' && *q != '_')
                    return NOT_A_NUMBER;
    }
    if (!parse_digits(p, e, (int)base, prefixed, &v, &big))
        return NOT_A_NUMBER;
    if (big || v > (neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1))
        return TOO_BIG;
    *out = (int64_t)(neg ? 0 - v : v);
    return PARSED;
}

int64_t mochi_str_to_int(int32_t line, mref r)
{
    MStr *s = check(line, r);
    const char *p, *e;
    int64_t v = 0;
    stripped(s, &p, &e);
    switch (parse_int(p, e, 10, &v)) {
    case NOT_A_NUMBER: mochi_error(line, "cannot parse \"%s\" as int", s->data);
    case TOO_BIG: mochi_overflow(line);
    default: return v;
    }
}

int64_t mochi_str_parse_int(int32_t line, mref r, int64_t base)
{
    const char *p, *e;
    int64_t v = 0;
    stripped(check(line, r), &p, &e);
    switch (parse_int(p, e, base, &v)) {
    case NOT_A_NUMBER: return 0;
    case TOO_BIG: mochi_overflow(line);
    default: return v;
    }
}

static bool word_is(const char *p, const char *e, const char *w)
{
    size_t n = strlen(w), i;
    if ((size_t)(e - p) != n)
        return false;
    for (i = 0; i < n; i++)
        if ((p[i] | 0x20) != w[i])
            return false;
    return true;
}

/* digit (_? digit)*, copied to out without the underscores; the end, or NULL */
static const char *float_digits(const char *p, const char *e, MBuf *out)
{
    const char *start = p;
    while (p < e && ((*p >= '0' && *p <= '9') || *p == '_')) {
        if (*p == '_' && (p == start || p + 1 >= e || p[1] < '0' || p[1] > '9'))
            return NULL;
        if (*p != '_')
            mochi_buf_putc(out, *p);
        p++;
    }
    return p == start ? NULL : p;
}

/* Python's float(text): decimal literals with underscores, inf, infinity, nan */
static bool parse_float(const char *p, const char *e, double *out)
{
    MBuf b = {NULL, 0, 0};
    const char *q;
    bool ok = false;
    if (p < e && (*p == '+' || *p == '-'))
        mochi_buf_putc(&b, *p++);
    if (word_is(p, e, "inf") || word_is(p, e, "infinity") || word_is(p, e, "nan")) {
        double v = (p[0] | 0x20) == 'n' ? NAN : INFINITY;
        *out = b.n > 0 && b.p[0] == '-' ? -v : v;
        mochi_buf_free(&b);
        return true;
    }
    q = float_digits(p, e, &b);
    if (q != NULL)
        p = q;
    if (p < e && *p == '.') {
        mochi_buf_putc(&b, *p++);
        if (p < e && *p >= '0' && *p <= '9')
            p = float_digits(p, e, &b);
        else if (q == NULL)
            goto done;
    } else if (q == NULL) {
        goto done;
    }
    if (p != NULL && p < e && (*p | 0x20) == 'e') {
        mochi_buf_putc(&b, *p++);
        if (p < e && (*p == '+' || *p == '-'))
            mochi_buf_putc(&b, *p++);
        p = float_digits(p, e, &b);
    }
    if (p == e) {
        mochi_buf_putc(&b, '\0');
        *out = strtod(b.p, NULL);
        ok = true;
    }
done:
    mochi_buf_free(&b);
    return ok;
}

double mochi_str_to_float(int32_t line, mref r)
{
    MStr *s = check(line, r);
    const char *p, *e;
    double v;
    stripped(s, &p, &e);
    if (!parse_float(p, e, &v))
        mochi_error(line, "cannot parse \"%s\" as float", s->data);
    return v;
}

/* ------------------------------------------------------------------ case, trim, reverse */

static bool is_cased(uint32_t cp)
{
    const char *several;
    return mochi_uni_case(cp, false, &several) != cp || mochi_uni_case(cp, true, &several) != cp ||
           several != NULL;
}

/* Python's final-sigma rule, without its case-ignorable letters: a capital
 * sigma after a cased letter and not before one lowers to U+03C2 */
static bool final_sigma(MStr *s, int64_t at, int len)
{
    int64_t q = at - 1;
    int n;
    if (at == 0)
        return false;
    while (q > 0 && is_cont(s->data[q]))
        q--;
    if (!is_cased(mochi_utf8_decode(s->data + q, at - q, &n)))
        return false;
    at += len;
    return at >= s->nbytes || !is_cased(mochi_utf8_decode(s->data + at, s->nbytes - at, &n));
}

static mref change_case(int32_t line, mref r, bool upper)
{
    MStr *s = check(line, r);
    MBuf b = {NULL, 0, 0};
    int64_t i = 0;
    mref out;
    while (i < s->nbytes) {
        unsigned char c = (unsigned char)s->data[i];
        if (c < 0x80) {
            if (upper && c >= 'a' && c <= 'z')
                c = (unsigned char)(c - 32);
            else if (!upper && c >= 'A' && c <= 'Z')
                c = (unsigned char)(c + 32);
            mochi_buf_putc(&b, (char)c);
            i++;
        } else {
            int len;
            const char *several;
            char enc[4];
            uint32_t cp = mochi_utf8_decode(s->data + i, s->nbytes - i, &len);
            uint32_t m = mochi_uni_case(cp, upper, &several);
            if (several != NULL)
                mochi_buf_puts(&b, several);
            else {
                if (cp == 0x3A3 && !upper && final_sigma(s, i, len))
                    m = 0x3C2;
                mochi_buf_put(&b, enc, (size_t)mochi_utf8_encode(m, enc));
            }
            i += len;
        }
    }
    out = mochi_str_new(line, b.p, (int64_t)b.n);
    mochi_buf_free(&b);
    return out;
}

mref mochi_str_lower(int32_t line, mref s)
{
    return change_case(line, s, false);
}

mref mochi_str_upper(int32_t line, mref s)
{
    return change_case(line, s, true);
}

mref mochi_str_trim(int32_t line, mref r)
{
    MStr *s = check(line, r);
    const char *p, *e;
    stripped(s, &p, &e);
    if (p == s->data && e == s->data + s->nbytes) {
        mochi_retain(r);
        return r;
    }
    return mochi_str_new(line, p, e - p);
}

mref mochi_str_reverse(int32_t line, mref r)
{
    MStr *s = check(line, r), *out;
    int64_t i = 0;
    if (s->nbytes <= 1) {
        mochi_retain(r);
        return r;
    }
    out = mochi_str_alloc(line, s->nbytes);
    while (i < s->nbytes) {
        int64_t j = i + 1;
        while (j < s->nbytes && is_cont(s->data[j]))
            j++;
        memcpy(out->data + s->nbytes - j, s->data + i, (size_t)(j - i));
        i = j;
    }
    out->ncp = s->ncp;
    return &out->h;
}

/* ------------------------------------------------------------------ split, join, repeat, pad */

mref mochi_str_split(int32_t line, mref r, mref sepr)
{
    MStr *s = check(line, r), *sep = check(line, sepr);
    MList *l = mochi_list_alloc(line, &mochi_t_string, 0);
    int64_t i = 0, at;
    if (sep->nbytes == 0) { /* one string per code point */
        while (i < s->nbytes) {
            int64_t j = i + 1;
            while (j < s->nbytes && is_cont(s->data[j]))
                j++;
            mref c = mochi_str_new(line, s->data + i, j - i);
            mochi_list_put(line, l, mochi_val_ref(c));
            mochi_release(c);
            i = j;
        }
        return &l->h;
    }
    for (;;) {
        mref part;
        at = find(s, sep, i);
        part = mochi_str_new(line, s->data + i, (at < 0 ? s->nbytes : at) - i);
        mochi_list_put(line, l, mochi_val_ref(part));
        mochi_release(part);
        if (at < 0)
            return &l->h;
        i = at + sep->nbytes;
    }
}

mref mochi_str_join(int32_t line, mref list, mref sepr)
{
    MList *l;
    MStr *sep = check(line, sepr);
    MBuf b = {NULL, 0, 0};
    int64_t i;
    mref out;
    if (list == NULL)
        mochi_nil(line);
    l = (MList *)list;
    for (i = 0; i < l->len; i++) {
        MVal v = mochi_list_at(l, i);
        if (i > 0)
            mochi_buf_put(&b, sep->data, (size_t)sep->nbytes);
        if (v.k == V_STR)
            mochi_buf_put(&b, S(v.v.r)->data, (size_t)S(v.v.r)->nbytes);
        else
            mochi_fmt_str(&b, v);
    }
    out = mochi_str_new(line, b.p, (int64_t)b.n);
    mochi_buf_free(&b);
    return out;
}

mref mochi_str_repeat(int32_t line, mref r, int64_t n)
{
    MStr *s = check(line, r), *out;
    int64_t i;
    if (n <= 0 || s->nbytes == 0)
        return mochi_str_empty();
    if (n == 1) {
        mochi_retain(r);
        return r;
    }
    if (s->nbytes > INT64_MAX / n)
        mochi_error(line, "out of memory");
    out = mochi_str_alloc(line, s->nbytes * n);
    for (i = 0; i < n; i++)
        memcpy(out->data + i * s->nbytes, s->data, (size_t)s->nbytes);
    return &out->h;
}

mref mochi_str_pad_start(int32_t line, mref r, int64_t width, mref padr)
{
    MStr *s = check(line, r), *pad = check(line, padr), *out;
    int64_t n = mochi_str_ncp(s), plen = mochi_str_ncp(pad), need, whole, rest, i;
    if (plen == 0 || n >= width) {
        mochi_retain(r);
        return r;
    }
    need = width - n;
    whole = need / plen;
    rest = offset_of(pad, need % plen);
    if (whole > (INT64_MAX - rest - s->nbytes) / (pad->nbytes ? pad->nbytes : 1))
        mochi_error(line, "out of memory");
    out = mochi_str_alloc(line, whole * pad->nbytes + rest + s->nbytes);
    for (i = 0; i < whole; i++)
        memcpy(out->data + i * pad->nbytes, pad->data, (size_t)pad->nbytes);
    memcpy(out->data + whole * pad->nbytes, pad->data, (size_t)rest);
    memcpy(out->data + whole * pad->nbytes + rest, s->data, (size_t)s->nbytes);
    out->ncp = width;
    return &out->h;
}

/* ------------------------------------------------------------------ code points */

int64_t mochi_str_ord(int32_t line, mref r)
{
    MStr *s = check(line, r);
    int len;
    if (mochi_str_ncp(s) != 1)
        mochi_error(line, "ord expects a one-character string, got %" PRId64 " characters",
                    mochi_str_ncp(s));
    return mochi_utf8_decode(s->data, s->nbytes, &len);
}

mref mochi_str_chr(int32_t line, int64_t cp)
{
    char buf[4];
    if (cp < 0 || cp > 0x10FFFF)
        mochi_error(line, "%" PRId64 " is not a valid code point", cp);
    return mochi_str_new(line, buf, mochi_utf8_encode((uint32_t)cp, buf));
}
