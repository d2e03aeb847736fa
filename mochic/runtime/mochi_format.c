/* Formatting: str(), print, json and map keys' string forms, byte for byte
 * as the reference interpreter's format.py (which follows the reference Go
 * VM; see LANGUAGE.md "Printing").
 *
 * Floats.  All three float styles start from the shortest decimal digits
 * that read back to the same double.  They are found portably with the C
 * library: the fewest significant digits p (1..17) for which printf's
 * correctly rounded "%.{p-1}e" reads back through strtod; reading back only
 * gets easier as p grows, so p is found by bisection.  At a power of two the
 * doubles below are closer than those above, and a p-digit decimal other
 * than the rounded one (its neighbour in the last digit) can be the only one
 * that reads back, so there p grows one at a time and both neighbours are
 * tried.  The digits are then laid out as Go does:
 *   str:       'g': exponent form (1e+06) iff the decimal exponent is < -4
 *              or >= 6, no forced ".0";
 *   container: never an exponent, ".0" appended to integral values;
 *   json:      exponent form (1e-07 as "1e-7") iff |f| < 1e-6 or >= 1e21;
 *   plain:     never an exponent, no ".0" (Go's 'f' format: CSV cells).
 *
 * Containers.  Lists, maps and structs are formatted recursively; a map
 * iterates in key-string order (mochi_map_order), a struct as a map of its
 * fields plus "__name".  A container met again inside itself is written
 * "[...]" / "map[...]" / "{...}" (json fails): the MF_VISITING flag marks
 * the containers on the current path. */
#include "mochi_internal.h"

#include <inttypes.h>
#include <math.h>

/* ------------------------------------------------------------------ text buffers */

static void reserve(MBuf *b, size_t extra)
{
    if (b->n + extra + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + extra + 1)
            cap *= 2;
        b->p = mochi_grow(0, b->p, (int64_t)cap, 1);
        b->cap = cap;
    }
}

void mochi_buf_put(MBuf *b, const char *s, size_t n)
{
    reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void mochi_buf_puts(MBuf *b, const char *s)
{
    mochi_buf_put(b, s, strlen(s));
}

void mochi_buf_putc(MBuf *b, char c)
{
    mochi_buf_put(b, &c, 1);
}

void mochi_buf_printf(MBuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

const char *mochi_fmt_int(int64_t v, char buf[MOCHI_INT_DIGITS], int *len)
{
    int i = MOCHI_INT_DIGITS;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        buf[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        buf[--i] = '-';
    *len = MOCHI_INT_DIGITS - i;
    return buf + i;
}

void mochi_buf_int(MBuf *b, int64_t v)
{
    char tmp[MOCHI_INT_DIGITS];
    int n;
    const char *p = mochi_fmt_int(v, tmp, &n);
    mochi_buf_put(b, p, (size_t)n);
}

void mochi_buf_free(MBuf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* ------------------------------------------------------------------ shortest digits */

/* f == 0.DIGITS * 10^dp, with no trailing zero digits */
typedef struct {
    char d[24];
    int nd, dp;
} Digits;

static bool reads_back(const char *text, double f)
{
    return strtod(text, NULL) == f;
}

/* the digits of printf's "%.{p-1}e" of f (p of them) */
static void e_digits(double f, int p, char *text, size_t size, Digits *out)
{
    const char *s;
    snprintf(text, size, "%.*e", p - 1, f);
    out->nd = 0;
    for (s = text; *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            out->d[out->nd++] = *s;
    out->dp = atoi(s + 1) + 1;
}

/* does m * 10^scale read back as f?  If so it becomes *out */
static bool try_scaled(uint64_t m, int scale, double f, Digits *out)
{
    char text[48];
    snprintf(text, sizeof text, "%" PRIu64 "e%d", m, scale);
    if (m == 0 || !reads_back(text, f))
        return false;
    out->nd = snprintf(out->d, sizeof out->d, "%" PRIu64, m);
    out->dp = out->nd + scale;
    return true;
}

static void shortest(double f, Digits *out)
{
    char text[48];
    int e2, p;
    if (f < 9007199254740992.0 && f == floor(f)) { /* an integer below 2^53: exact */
        out->nd = snprintf(out->d, sizeof out->d, "%" PRIu64, (uint64_t)f);
        out->dp = out->nd;
    } else if (frexp(f, &e2) != 0.5) {
        int lo = 1, hi = 17;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            snprintf(text, sizeof text, "%.*e", mid - 1, f);
            if (reads_back(text, f))
                hi = mid;
            else
                lo = mid + 1;
        }
        e_digits(f, lo, text, sizeof text, out);
    } else {
        for (p = 1; p < 17; p++) {
            uint64_t m = 0;
            int i;
            e_digits(f, p, text, sizeof text, out);
            if (reads_back(text, f))
                break;
            for (i = 0; i < out->nd; i++)
                m = m * 10 + (uint64_t)(out->d[i] - '0');
            if (try_scaled(m + 1, out->dp - p, f, out) || try_scaled(m - 1, out->dp - p, f, out))
                break;
        }
        if (p == 17)
            e_digits(f, 17, text, sizeof text, out);
    }
    while (out->nd > 1 && out->d[out->nd - 1] == '0')
        out->nd--;
}

/* ------------------------------------------------------------------ float layouts */

/* Go's %f layout of the digits (no forced ".0") */
static void layout_f(MBuf *b, const Digits *g)
{
    int i;
    if (g->dp <= 0) {
        mochi_buf_put(b, "0.", 2);
        for (i = 0; i < -g->dp; i++)
            mochi_buf_putc(b, '0');
        mochi_buf_put(b, g->d, (size_t)g->nd);
    } else if (g->dp >= g->nd) {
        mochi_buf_put(b, g->d, (size_t)g->nd);
        for (i = g->nd; i < g->dp; i++)
            mochi_buf_putc(b, '0');
    } else {
        mochi_buf_put(b, g->d, (size_t)g->dp);
        mochi_buf_putc(b, '.');
        mochi_buf_put(b, g->d + g->dp, (size_t)(g->nd - g->dp));
    }
}

/* d.ddde±XX with at least `width` exponent digits */
static void layout_e(MBuf *b, const Digits *g, int width)
{
    int exp = g->dp - 1;
    mochi_buf_putc(b, g->d[0]);
    if (g->nd > 1) {
        mochi_buf_putc(b, '.');
        mochi_buf_put(b, g->d + 1, (size_t)(g->nd - 1));
    }
    mochi_buf_printf(b, "e%c%0*d", exp < 0 ? '-' : '+', width, exp < 0 ? -exp : exp);
}

static const char *nonfinite(double f)
{
    return f != f ? "NaN" : f > 0 ? "+Inf" : "-Inf";
}

enum { STYLE_STR, STYLE_CONTAINER, STYLE_JSON, STYLE_PLAIN };

/* false only for NaN and infinities in json, which Go's encoder rejects */
static bool put_float(MBuf *b, double f, int style)
{
    Digits g;
    size_t start = b->n;
    if (f != f || f - f != 0.0) {
        if (style == STYLE_JSON)
            return false;
        mochi_buf_puts(b, nonfinite(f)); /* never ".0", in a container too */
        return true;
    }
    if (signbit(f))
        mochi_buf_putc(b, '-');
    if (f == 0.0) {
        mochi_buf_puts(b, style == STYLE_CONTAINER ? "0.0" : "0");
        return true;
    }
    shortest(fabs(f), &g);
    if (style == STYLE_STR && (g.dp - 1 < -4 || g.dp - 1 >= 6))
        layout_e(b, &g, 2);
    else if (style == STYLE_JSON && (fabs(f) < 1e-6 || fabs(f) >= 1e21))
        layout_e(b, &g, 1);
    else
        layout_f(b, &g);
    if (style == STYLE_CONTAINER && memchr(b->p + start, '.', b->n - start) == NULL)
        mochi_buf_put(b, ".0", 2);
    return true;
}

static int to_caller(MBuf *b, char *buf, size_t size)
{
    int n = (int)b->n;
    if (size > 0) {
        size_t k = b->n < size - 1 ? b->n : size - 1;
        memcpy(buf, b->p, k);
        buf[k] = '\0';
    }
    mochi_buf_free(b);
    return n;
}

int mochi_format_float(double f, char *buf, size_t size)
{
    MBuf b = {NULL, 0, 0};
    put_float(&b, f, STYLE_STR);
    return to_caller(&b, buf, size);
}

int mochi_format_float_container(double f, char *buf, size_t size)
{
    MBuf b = {NULL, 0, 0};
    put_float(&b, f, STYLE_CONTAINER);
    return to_caller(&b, buf, size);
}

/* ------------------------------------------------------------------ string quoting */

static bool is_surrogate(uint32_t cp)
{
    return cp >= 0xD800 && cp <= 0xDFFF;
}

/* Go's strconv.Quote */
static void go_quote(MBuf *b, const char *s, int64_t n)
{
    int64_t i = 0;
    mochi_buf_putc(b, '"');
    while (i < n) {
        int len;
        uint32_t cp = mochi_utf8_decode(s + i, n - i, &len);
        const char *esc = NULL;
        switch (cp) {
        case '\a': esc = "\\a"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\v': esc = "\\v"; break;
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        default: break;
        }
        if (esc != NULL)
            mochi_buf_puts(b, esc);
        else if (cp < 0x20 || cp == 0x7F)
            mochi_buf_printf(b, "\\x%02x", (unsigned)cp);
        else if (is_surrogate(cp)) { /* not UTF-8 to Go: each byte escaped */
            int k;
            for (k = 0; k < len; k++)
                mochi_buf_printf(b, "\\x%02x", (unsigned)(unsigned char)s[i + k]);
        } else if (mochi_uni_printable(cp))
            mochi_buf_put(b, s + i, (size_t)len);
        else if (cp < 0x10000)
            mochi_buf_printf(b, "\\u%04x", (unsigned)cp);
        else
            mochi_buf_printf(b, "\\U%08x", (unsigned)cp);
        i += len;
    }
    mochi_buf_putc(b, '"');
}

/* Go's encoding/json string, HTML-safe */
static void json_quote(MBuf *b, const char *s, int64_t n)
{
    int64_t i = 0;
    mochi_buf_putc(b, '"');
    while (i < n) {
        int len;
        uint32_t cp = mochi_utf8_decode(s + i, n - i, &len);
        switch (cp) {
        case '\b': mochi_buf_puts(b, "\\b"); break;
        case '\f': mochi_buf_puts(b, "\\f"); break;
        case '\n': mochi_buf_puts(b, "\\n"); break;
        case '\r': mochi_buf_puts(b, "\\r"); break;
        case '\t': mochi_buf_puts(b, "\\t"); break;
        case '"': mochi_buf_puts(b, "\\\""); break;
        case '\\': mochi_buf_puts(b, "\\\\"); break;
        default:
            if (cp < 0x20 || cp == '<' || cp == '>' || cp == '&' || cp == 0x2028 ||
                cp == 0x2029)
                mochi_buf_printf(b, "\\u%04x", (unsigned)cp);
            else if (is_surrogate(cp))
                mochi_buf_puts(b, "\\ufffd\\ufffd\\ufffd");
            else
                mochi_buf_put(b, s + i, (size_t)len);
        }
        i += len;
    }
    mochi_buf_putc(b, '"');
}

/* ------------------------------------------------------------------ struct layout */

/* The entries of a struct in output order: field indexes, -1 for "__name".
 * The caller frees the array. */
static int *struct_order(const MStructDesc *d)
{
    int n = d->nfields + 1, i, j;
    int *order = mochi_grow(0, NULL, n, sizeof *order);
    for (i = 0; i < n; i++) { /* insertion sort by name: structs are small */
        int k = i < d->nfields ? i : -1;
        const char *name = k >= 0 ? d->field_names[k] : "__name";
        for (j = i; j > 0; j--) {
            int prev = order[j - 1];
            if (strcmp(prev >= 0 ? d->field_names[prev] : "__name", name) <= 0)
                break;
            order[j] = prev;
        }
        order[j] = k;
    }
    return order;
}

static MVal field(MStruct *s, int i)
{
    return mochi_val(s->f[i], mochi_rep(s->desc->field_types[i]));
}

/* ------------------------------------------------------------------ str: fmt.Sprint */

static void put_str(MBuf *b, MStr *s)
{
    mochi_buf_put(b, s->data, (size_t)s->nbytes);
}

static void container_style(MBuf *b, MVal v);

void mochi_fmt_key(MBuf *b, MVal v)
{
    if (v.k == V_STR)
        put_str(b, (MStr *)v.v.r);
    else if (v.k == V_INT)
        mochi_buf_int(b, v.v.i);
    else
        container_style(b, v);
}

static bool enter(MVal v)
{
    if (v.v.r->flags & MF_VISITING)
        return false;
    v.v.r->flags |= MF_VISITING;
    return true;
}

static void leave(MVal v)
{
    v.v.r->flags &= (uint16_t)~MF_VISITING;
}

void mochi_fmt_str(MBuf *b, MVal v)
{
    int64_t i;
    switch (v.k) {
    case V_NONE: mochi_buf_puts(b, "<nil>"); return;
    case V_INT: mochi_buf_int(b, v.v.i); return;
    case V_FLOAT: put_float(b, v.v.f, STYLE_STR); return;
    case V_BOOL: mochi_buf_puts(b, v.v.b ? "true" : "false"); return;
    case V_STR: put_str(b, (MStr *)v.v.r); return;
    case V_BIGINT: mochi_big_format(b, v.v.r); return;
    case V_BIGRAT: mochi_rat_format(b, v.v.r); return;
    case V_LIST: case V_MAP: case V_STRUCT: case V_GROUP: break;
    default: mochi_buf_puts(b, "<fun>"); return;
    }
    if (!enter(v)) {
        mochi_buf_puts(b, v.k == V_LIST ? "[...]" : "map[...]");
        return;
    }
    if (v.k == V_LIST) {
        MList *l = (MList *)v.v.r;
        mochi_buf_putc(b, '[');
        for (i = 0; i < l->len; i++) {
            if (i > 0)
                mochi_buf_putc(b, ' ');
            mochi_fmt_str(b, mochi_list_at(l, i));
        }
        mochi_buf_putc(b, ']');
    } else if (v.k == V_MAP) {
        MMap *m = (MMap *)v.v.r;
        const int64_t *order = mochi_map_order(m);
        mochi_buf_puts(b, "map[");
        for (i = 0; i < m->len; i++) {
            MEntry *e = &m->ent[order[i]];
            if (i > 0)
                mochi_buf_putc(b, ' ');
            mochi_fmt_key(b, mochi_val(e->key, mochi_rep(m->key)));
            mochi_buf_putc(b, ':');
            mochi_fmt_str(b, mochi_val(e->val, mochi_rep(m->value)));
        }
        mochi_buf_putc(b, ']');
    } else if (v.k == V_STRUCT) {
        MStruct *s = (MStruct *)v.v.r;
        int *order = struct_order(s->desc);
        mochi_buf_puts(b, "map[");
        for (i = 0; i <= s->desc->nfields; i++) {
            if (i > 0)
                mochi_buf_putc(b, ' ');
            if (order[i] < 0) {
                mochi_buf_puts(b, "__name:");
                mochi_buf_puts(b, s->desc->name);
            } else {
                mochi_buf_puts(b, s->desc->field_names[order[i]]);
                mochi_buf_putc(b, ':');
                mochi_fmt_str(b, field(s, order[i]));
            }
        }
        free(order);
        mochi_buf_putc(b, ']');
    } else { /* a group: as a map of its items and key */
        MGroup *g = (MGroup *)v.v.r;
        MVal items = mochi_val_ref(&g->items->h);
        mochi_buf_puts(b, "map[items:");
        mochi_fmt_str(b, items);
        mochi_buf_puts(b, " key:");
        mochi_fmt_str(b, mochi_val_ref(g->key));
        mochi_buf_putc(b, ']');
    }
    leave(v);
}

/* ------------------------------------------------------------------ print: container style */

static void container_style(MBuf *b, MVal v)
{
    int64_t i;
    switch (v.k) {
    case V_NONE: mochi_buf_puts(b, "nil"); return;
    case V_INT: mochi_buf_int(b, v.v.i); return;
    case V_FLOAT: put_float(b, v.v.f, STYLE_CONTAINER); return;
    case V_BOOL: mochi_buf_puts(b, v.v.b ? "true" : "false"); return;
    case V_STR: go_quote(b, ((MStr *)v.v.r)->data, ((MStr *)v.v.r)->nbytes); return;
    case V_BIGINT: mochi_big_format(b, v.v.r); return;
    case V_BIGRAT: mochi_rat_format(b, v.v.r); return;
    case V_LIST: case V_MAP: case V_STRUCT: case V_GROUP: break;
    default: mochi_buf_puts(b, "nil"); return; /* the reference VM writes functions so */
    }
    if (!enter(v)) {
        mochi_buf_puts(b, v.k == V_LIST ? "[...]" : "{...}");
        return;
    }
    if (v.k == V_LIST) {
        MList *l = (MList *)v.v.r;
        mochi_buf_putc(b, '[');
        for (i = 0; i < l->len; i++) {
            if (i > 0)
                mochi_buf_put(b, ", ", 2);
            container_style(b, mochi_list_at(l, i));
        }
        mochi_buf_putc(b, ']');
    } else if (v.k == V_MAP) {
        MMap *m = (MMap *)v.v.r;
        const int64_t *order = mochi_map_order(m);
        MBuf key = {NULL, 0, 0};
        mochi_buf_putc(b, '{');
        for (i = 0; i < m->len; i++) {
            MEntry *e = &m->ent[order[i]];
            MVal k = mochi_val(e->key, mochi_rep(m->key));
            if (i > 0)
                mochi_buf_put(b, ", ", 2);
            if (k.k == V_STR) {
                go_quote(b, ((MStr *)k.v.r)->data, ((MStr *)k.v.r)->nbytes);
            } else {
                key.n = 0;
                mochi_fmt_key(&key, k);
                go_quote(b, key.p, (int64_t)key.n);
            }
            mochi_buf_put(b, ": ", 2);
            container_style(b, mochi_val(e->val, mochi_rep(m->value)));
        }
        mochi_buf_free(&key);
        mochi_buf_putc(b, '}');
    } else if (v.k == V_STRUCT) {
        MStruct *s = (MStruct *)v.v.r;
        int *order = struct_order(s->desc);
        const char *name;
        mochi_buf_putc(b, '{');
        for (i = 0; i <= s->desc->nfields; i++) {
            if (i > 0)
                mochi_buf_put(b, ", ", 2);
            name = order[i] < 0 ? "__name" : s->desc->field_names[order[i]];
            go_quote(b, name, (int64_t)strlen(name));
            mochi_buf_put(b, ": ", 2);
            if (order[i] < 0)
                go_quote(b, s->desc->name, (int64_t)strlen(s->desc->name));
            else
                container_style(b, field(s, order[i]));
        }
        free(order);
        mochi_buf_putc(b, '}');
    } else {
        MGroup *g = (MGroup *)v.v.r;
        mochi_buf_puts(b, "{\"items\": ");
        container_style(b, mochi_val_ref(&g->items->h));
        mochi_buf_puts(b, ", \"key\": ");
        container_style(b, mochi_val_ref(g->key));
        mochi_buf_putc(b, '}');
    }
    leave(v);
}

void mochi_fmt_print(MBuf *b, MVal v)
{
    switch (v.k) {
    case V_NONE: mochi_buf_puts(b, "nil"); break;
    case V_LIST: case V_MAP: case V_STRUCT: container_style(b, v); break;
    default: mochi_fmt_str(b, v); break;
    }
}

/* ------------------------------------------------------------------ json
 * Go's json.MarshalIndent(v, "", "  ") (pretty, for json()) or json.Marshal
 * (compact, for save). */

static void indent(MBuf *b, int depth, bool pretty)
{
    int i;
    if (!pretty)
        return;
    mochi_buf_putc(b, '\n');
    for (i = 0; i < depth; i++)
        mochi_buf_put(b, "  ", 2);
}

static bool json_value(MBuf *b, MVal v, int depth, bool pretty);

/* one "key": value member of an object, after its separator */
static bool json_member(MBuf *b, const char *key, int64_t n, MVal v, int depth, bool first,
                        bool pretty)
{
    if (!first)
        mochi_buf_putc(b, ',');
    indent(b, depth, pretty);
    json_quote(b, key, n);
    mochi_buf_put(b, ": ", pretty ? 2 : 1);
    return json_value(b, v, depth, pretty);
}

static bool json_container(MBuf *b, MVal v, int depth, bool pretty)
{
    bool ok = true;
    int64_t i, n;
    if (v.k == V_LIST) {
        MList *l = (MList *)v.v.r;
        if (l->len == 0) {
            mochi_buf_put(b, "[]", 2);
            return true;
        }
        mochi_buf_putc(b, '[');
        for (i = 0; i < l->len && ok; i++) {
            if (i > 0)
                mochi_buf_putc(b, ',');
            indent(b, depth + 1, pretty);
            ok = json_value(b, mochi_list_at(l, i), depth + 1, pretty);
        }
        indent(b, depth, pretty);
        mochi_buf_putc(b, ']');
        return ok;
    }
    n = v.k == V_MAP ? ((MMap *)v.v.r)->len : v.k == V_STRUCT ?
        ((MStruct *)v.v.r)->desc->nfields + 1 : 2;
    if (n == 0) {
        mochi_buf_put(b, "{}", 2);
        return true;
    }
    mochi_buf_putc(b, '{');
    if (v.k == V_MAP) {
        MMap *m = (MMap *)v.v.r;
        const int64_t *order = mochi_map_order(m);
        MBuf key = {NULL, 0, 0};
        for (i = 0; i < n && ok; i++) {
            MEntry *e = &m->ent[order[i]];
            key.n = 0;
            mochi_fmt_key(&key, mochi_val(e->key, mochi_rep(m->key)));
            ok = json_member(b, key.p, (int64_t)key.n, mochi_val(e->val, mochi_rep(m->value)),
                             depth + 1, i == 0, pretty);
        }
        mochi_buf_free(&key);
    } else if (v.k == V_STRUCT) {
        MStruct *s = (MStruct *)v.v.r;
        int *order = struct_order(s->desc);
        for (i = 0; i < n && ok; i++) {
            if (order[i] < 0) {
                mref name = mochi_str_new(0, s->desc->name, (int64_t)strlen(s->desc->name));
                ok = json_member(b, "__name", 6, mochi_val_ref(name), depth + 1, i == 0, pretty);
                mochi_release(name);
            } else {
                const char *f = s->desc->field_names[order[i]];
                ok = json_member(b, f, (int64_t)strlen(f), field(s, order[i]), depth + 1,
                                 i == 0, pretty);
            }
        }
        free(order);
    } else {
        MGroup *g = (MGroup *)v.v.r;
        ok = json_member(b, "items", 5, mochi_val_ref(&g->items->h), depth + 1, true, pretty) &&
             json_member(b, "key", 3, mochi_val_ref(g->key), depth + 1, false, pretty);
    }
    indent(b, depth, pretty);
    mochi_buf_putc(b, '}');
    return ok;
}

static bool json_value(MBuf *b, MVal v, int depth, bool pretty)
{
    bool ok;
    switch (v.k) {
    case V_NONE: mochi_buf_puts(b, "null"); return true;
    case V_INT: mochi_buf_int(b, v.v.i); return true;
    case V_FLOAT: return put_float(b, v.v.f, STYLE_JSON);
    case V_BOOL: mochi_buf_puts(b, v.v.b ? "true" : "false"); return true;
    case V_STR: json_quote(b, ((MStr *)v.v.r)->data, ((MStr *)v.v.r)->nbytes); return true;
    case V_BIGINT: mochi_big_format(b, v.v.r); return true; /* a JSON number, as Go's */
    case V_BIGRAT: /* Go's encoder writes a *big.Rat as its text */
        mochi_buf_putc(b, '"');
        mochi_rat_format(b, v.v.r);
        mochi_buf_putc(b, '"');
        return true;
    case V_LIST: case V_MAP: case V_STRUCT: case V_GROUP: break;
    default: return false; /* functions */
    }
    if (!enter(v))
        return false; /* Go: "encountered a cycle" */
    ok = json_container(b, v, depth, pretty);
    leave(v);
    return ok;
}

bool mochi_fmt_json(MBuf *b, MVal v)
{
    return json_value(b, v, 0, true);
}

bool mochi_fmt_json_compact(MBuf *b, MVal v)
{
    return json_value(b, v, 0, false);
}

void mochi_fmt_float_plain(MBuf *b, double f)
{
    put_float(b, f, STYLE_PLAIN);
}

/* ------------------------------------------------------------------ type names */

void mochi_type_str(MBuf *b, const MType *t)
{
    if (t->name != NULL) {
        mochi_buf_puts(b, t->name);
        return;
    }
    switch (t->kind) {
    case MT_LIST:
        mochi_buf_puts(b, "list<");
        mochi_type_str(b, t->elem);
        mochi_buf_putc(b, '>');
        break;
    case MT_MAP:
    case MT_GROUP:
        mochi_buf_puts(b, t->kind == MT_MAP ? "map<" : "group<");
        mochi_type_str(b, t->key);
        mochi_buf_put(b, ", ", 2);
        mochi_type_str(b, t->kind == MT_MAP ? t->value : t->elem);
        mochi_buf_putc(b, '>');
        break;
    case MT_FUN: mochi_buf_puts(b, "fun"); break;
    default: mochi_buf_puts(b, "any"); break;
    }
}
