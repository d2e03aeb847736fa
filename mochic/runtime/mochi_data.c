/* Datasets in and out: `load "path" as T with opts` and `save rows to "path"
 * with opts`, byte for byte as the interpreter's data.py (which documents
 * the rules: the reference's formats, and yaml.v3's and Go's encoders).
 *
 * Reading goes in two steps.  A format's reader turns the text into a tree
 * of plain values (DVal: null, bool, int, float, string, list, object), each
 * knowing the line it came from; CSV gives records of string cells.  The
 * tree lives in one arena, freed when the rows are built.  Then every row
 * is converted to the row type's descriptor (MType): a CSV cell is parsed
 * as its field's type, another value must fit it.  Any problem is a runtime
 * error naming the file, the line and the field.  An option type (`int?`)
 * has the descriptor of `any`, so it takes what the data holds.
 *
 * Writing walks the rows as dynamic values (MVal): a struct is a map of its
 * fields and "__name", keys are sorted (byte order; yaml.v3 has its own
 * order); JSON comes from mochi_format.c in its compact form, CSV and YAML
 * are written here. */
#include "mochi_internal.h"

#include <errno.h>
#include <math.h>

/* ------------------------------------------------------------------ errors */

typedef struct {
    int32_t line;     /* the Mochi line of the load or save */
    const char *file; /* as errors name the file: its path, or "stdin" */
} Ctx;

static _Noreturn void fail(const Ctx *c, int64_t at, const char *fmt, ...)
{
    MBuf b = {NULL, 0, 0};
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    mochi_buf_printf(&b, "%s:%lld: %s", c->file, (long long)at, text);
    mochi_buf_putc(&b, '\0');
    mochi_error(c->line, "%s", b.p);
}

/* ------------------------------------------------------------------ arena */

typedef struct Chunk {
    struct Chunk *next;
    size_t used, size;
    char data[];
} Chunk;

typedef struct {
    Chunk *head;
    int32_t line;
} Arena;

static void *arena_alloc(Arena *a, size_t n)
{
    Chunk *c = a->head;
    n = (n + 15) & ~(size_t)15;
    if (c == NULL || c->used + n > c->size) {
        size_t size = n > 65536 ? n : 65536;
        c = mochi_alloc(a->line, sizeof(Chunk) + size);
        c->next = a->head;
        c->used = 0;
        c->size = size;
        a->head = c;
    }
    c->used += n;
    return c->data + c->used - n;
}

static void arena_free(Arena *a)
{
    while (a->head != NULL) {
        Chunk *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

/* text being built: an MBuf whose contents are moved into the arena */
static char *arena_str(Arena *a, const char *p, size_t n)
{
    char *s = arena_alloc(a, n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* ------------------------------------------------------------------ plain values */

typedef enum { D_NULL, D_BOOL, D_INT, D_FLOAT, D_STR, D_LIST, D_OBJ } DKind;

typedef struct DVal DVal;
typedef struct DItem DItem;

struct DVal {
    DKind k;
    int64_t line;
    bool b;
    int64_t i;
    double f;
    const char *s; /* D_STR */
    size_t n;      /* D_STR: bytes; D_LIST, D_OBJ: items */
    DItem *items;
    size_t cap;
};

struct DItem {
    const char *key; /* D_OBJ */
    size_t klen;
    int64_t line;    /* of the value */
    DVal v;
};

static DVal dnull(int64_t line)
{
    DVal v;
    memset(&v, 0, sizeof v);
    v.k = D_NULL;
    v.line = line;
    return v;
}

static DVal dstr(const char *s, size_t n, int64_t line)
{
    DVal v = dnull(line);
    v.k = D_STR;
    v.s = s;
    v.n = n;
    return v;
}

static DItem *dpush(Arena *a, DVal *c)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        DItem *items = arena_alloc(a, cap * sizeof *items);
        if (c->n)
            memcpy(items, c->items, c->n * sizeof *items);
        c->items = items;
        c->cap = cap;
    }
    memset(&c->items[c->n], 0, sizeof c->items[0]);
    return &c->items[c->n++];
}

static DItem *dfind(const DVal *o, const char *key, size_t n)
{
    size_t i;
    for (i = 0; i < o->n; i++)
        if (o->items[i].klen == n && memcmp(o->items[i].key, key, n) == 0)
            return &o->items[i];
    return NULL;
}

/* a read value's type as errors name it */
static const char *dkind(const DVal *v)
{
    switch (v->k) {
    case D_NULL: return "null";
    case D_BOOL: return "bool";
    case D_INT: return "int";
    case D_FLOAT: return "float";
    case D_STR: return "string";
    case D_LIST: return "a list";
    default: return "an object";
    }
}

/* ------------------------------------------------------------------ Go's number syntax */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* strconv.Atoi: an optional sign and decimal digits that fit 64 bits */
static bool go_atoi(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    uint64_t v = 0, lim;
    if (n > 0 && (s[0] == '+' || s[0] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return false;
    lim = neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
    for (; i < n; i++) {
        if (!is_digit(s[i]) || v > (lim - (uint64_t)(s[i] - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* [+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)? , from s[0], whole */
static bool decimal_syntax(const char *s, size_t n)
{
    size_t i = 0, d = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && is_digit(s[i]))
        i++, d++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i]))
            i++, d++;
    }
    if (d == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < n && is_digit(s[i]))
            i++, e++;
        if (e == 0)
            return false;
    }
    return i == n;
}

static double parse_double(const char *s, size_t n)
{
    char small[64], *p = n < sizeof small ? small : mochi_alloc(0, n + 1);
    double f;
    memcpy(p, s, n);
    p[n] = '\0';
    f = strtod(p, NULL);
    if (p != small)
        free(p);
    return f;
}

static bool ieq(const char *s, size_t n, const char *word)
{
    size_t i;
    if (strlen(word) != n)
        return false;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return false;
    }
    return true;
}

/* strconv.ParseFloat of decimal text (and inf, infinity, nan) in range */
static bool go_parse_float(const char *s, size_t n, double *out)
{
    size_t k = n > 0 && (s[0] == '+' || s[0] == '-') ? 1 : 0;
    if (ieq(s + k, n - k, "inf") || ieq(s + k, n - k, "infinity")) {
        *out = s[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    if (ieq(s + k, n - k, "nan")) {
        *out = NAN;
        return true;
    }
    if (!decimal_syntax(s, n))
        return false;
    *out = parse_double(s, n);
    return isfinite(*out);
}

/* strconv.ParseInt(s, 0, 64): a sign, then 0x/0o/0b or a leading 0 (octal) */
static bool go_parse_int(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    unsigned base = 10;
    uint64_t v = 0, lim;
    if (n > 0 && (s[0] == '+' || s[0] == '-'))
        neg = s[i++] == '-';
    if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
        base = 16, i += 2;
    else if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'o' || s[i + 1] == 'O'))
        base = 8, i += 2;
    else if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B'))
        base = 2, i += 2;
    else if (n - i >= 2 && s[i] == '0')
        base = 8, i += 1;
    if (i == n)
        return false;
    lim = neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
    for (; i < n; i++) {
        char c = s[i];
        unsigned d = is_digit(c) ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ?
                     (unsigned)(c - 'a' + 10) : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 99;
        if (d >= base || v > (lim - d) / base)
            return false;
        v = v * base + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* ------------------------------------------------------------------ options */

typedef struct {
    const char *format; /* csv, json, jsonl or yaml */
    bool header;
    char delim;
} Opts;

static MVal opt(mref opts, const char *name)
{
    MVal v = mochi_val_ref(opts), none = mochi_val_ref(NULL);
    mref key;
    int64_t e;
    MMap *m;
    if (v.k != V_MAP)
        return none;
    m = (MMap *)v.v.r;
    key = mochi_str_new(0, name, (int64_t)strlen(name));
    e = mochi_map_find(m, mochi_val_ref(key));
    mochi_release(key);
    return e < 0 ? none : mochi_val(m->ent[e].val, mochi_rep(m->value));
}

static Opts options(int32_t line, mref opts, bool saving)
{
    Opts o = {"csv", !saving, ','};
    MVal f = opt(opts, "format"), h = opt(opts, "header"), d = opt(opts, "delimiter");
    static const char *const formats[] = {"csv", "tsv", "json", "jsonl", "yaml"};
    size_t i;
    if (f.k == V_STR)
        o.format = ((MStr *)f.v.r)->data;
    if (h.k == V_BOOL)
        o.header = h.v.b;
    if (d.k == V_STR && ((MStr *)d.v.r)->nbytes > 0)
        o.delim = ((MStr *)d.v.r)->data[0];
    for (i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(o.format, formats[i]) == 0)
            break;
    if (i == sizeof formats / sizeof formats[0])
        mochi_error(line, "unknown format \"%s\" (csv, tsv, json, jsonl or yaml)", o.format);
    if (strcmp(o.format, "tsv") == 0) {
        o.format = "csv";
        o.delim = '\t';
    }
    return o;
}

static const char *io_reason(int err, const char *otherwise)
{
    switch (err) {
    case ENOENT: return "no such file or directory";
    case EACCES: return "permission denied";
#ifdef EISDIR
    case EISDIR: return "is a directory";
#endif
    default: return otherwise;
    }
}

/* ------------------------------------------------------------------ CSV */

typedef struct {
    const char *p;
    size_t n, i;
    int64_t no; /* lines read */
} CsvLines;

/* Go's csv line reader: up to and with the next \n, \r\n read as \n, a \r just
 * before the end dropped.  The line is copied into buf. */
static bool csv_next(CsvLines *r, MBuf *buf)
{
    const char *nl;
    size_t len;
    if (r->i >= r->n)
        return false;
    nl = memchr(r->p + r->i, '\n', r->n - r->i);
    len = nl ? (size_t)(nl - (r->p + r->i)) + 1 : r->n - r->i;
    buf->n = 0;
    mochi_buf_put(buf, r->p + r->i, len);
    r->i += len;
    r->no++;
    if (nl == NULL && buf->n > 0 && buf->p[buf->n - 1] == '\r')
        buf->n--;
    if (buf->n >= 2 && buf->p[buf->n - 2] == '\r' && buf->p[buf->n - 1] == '\n') {
        buf->p[buf->n - 2] = '\n';
        buf->n--;
    }
    return true;
}

typedef struct {
    int64_t line;
    size_t n;
    DVal *cells; /* D_STR */
} Record;

typedef struct {
    Record *recs;
    size_t n, cap;
} Records;

static void csv_records(const Ctx *c, Arena *a, const char *text, size_t size, char delim,
                        Records *out)
{
    CsvLines src = {text, size, 0, 0};
    MBuf line = {NULL, 0, 0}, field = {NULL, 0, 0};
    DVal cells = dnull(0);
    const char *quote_err = "extraneous or missing \" in a quoted field";
    for (;;) {
        bool more;
        size_t pos = 0;
        int64_t start;
        while ((more = csv_next(&src, &line)) && (line.n == 0 || (line.n == 1 && line.p[0] == '\n')))
            ;
        if (!more)
            break;
        start = src.no;
        cells = dnull(start);
        for (;;) {
            if (pos >= line.n || line.p[pos] != '"') {
                const char *rest = line.p + pos, *d = memchr(rest, delim, line.n - pos);
                size_t len = d ? (size_t)(d - rest) : line.n - pos;
                if (d == NULL && len > 0 && rest[len - 1] == '\n')
                    len--;
                if (memchr(rest, '"', len) != NULL)
                    fail(c, start, "bare \" in a field that is not quoted");
                dpush(a, &cells)->v = dstr(arena_str(a, rest, len), len, start);
                if (d != NULL) {
                    pos += len + 1;
                    continue;
                }
                break;
            }
            pos++;
            field.n = 0;
            for (;;) {
                const char *rest = line.p + pos, *q = memchr(rest, '"', line.n - pos);
                if (q != NULL) {
                    mochi_buf_put(&field, rest, (size_t)(q - rest));
                    pos += (size_t)(q - rest) + 1;
                    if (pos < line.n && line.p[pos] == '"') {
                        mochi_buf_putc(&field, '"');
                        pos++;
                        continue;
                    }
                    if (pos < line.n && line.p[pos] == delim) {
                        pos++;
                        break;
                    }
                    if (pos == line.n || (pos + 1 == line.n && line.p[pos] == '\n')) {
                        pos = line.n + 1; /* the record ends */
                        break;
                    }
                    fail(c, start, "%s", quote_err);
                }
                if (pos < line.n) {
                    mochi_buf_put(&field, rest, line.n - pos);
                    pos = 0;
                    if (!csv_next(&src, &line))
                        line.n = 0;
                    continue;
                }
                fail(c, start, "%s", quote_err);
            }
            dpush(a, &cells)->v = dstr(arena_str(a, field.p ? field.p : "", field.n), field.n,
                                       start);
            if (pos > line.n)
                break;
        }
        if (out->n > 0 && cells.n != out->recs[0].n)
            fail(c, start, "wrong number of fields (%zu, not %zu)", cells.n, out->recs[0].n);
        if (out->n == out->cap) {
            out->cap = out->cap ? 2 * out->cap : 16;
            out->recs = mochi_grow(c->line, out->recs, (int64_t)out->cap, sizeof *out->recs);
        }
        out->recs[out->n].line = start;
        out->recs[out->n].n = cells.n;
        out->recs[out->n].cells = arena_alloc(a, (cells.n + 1) * sizeof(DVal));
        {
            size_t i;
            for (i = 0; i < cells.n; i++)
                out->recs[out->n].cells[i] = cells.items[i].v;
        }
        out->n++;
    }
    mochi_buf_free(&line);
    mochi_buf_free(&field);
}

/* ------------------------------------------------------------------ JSON */

typedef struct {
    const Ctx *c;
    Arena *a;
    const char *s;
    size_t n, i;
    int64_t line;
} Json;

/* a character as errors show it: 'c', or U+XXXX */
static void show_char(const char *s, size_t n, char *out, size_t size)
{
    int len;
    uint32_t cp = mochi_utf8_decode(s, (int64_t)n, &len);
    if (cp >= '!' && cp <= '~')
        snprintf(out, size, "'%c'", (char)cp);
    else
        snprintf(out, size, "U+%04X", (unsigned)cp);
}

static _Noreturn void json_fail(Json *j, const char *fmt, const char *arg)
{
    char text[256];
    snprintf(text, sizeof text, fmt, arg);
    fail(j->c, j->line, "invalid JSON: %s", text);
}

static _Noreturn void json_unexpected(Json *j, const char *after)
{
    char ch[16], text[64];
    show_char(j->s + j->i, j->n - j->i, ch, sizeof ch);
    snprintf(text, sizeof text, "unexpected %s%s", ch, after);
    json_fail(j, "%s", text);
}

static void json_ws(Json *j)
{
    while (j->i < j->n) {
        char c = j->s[j->i];
        if (c == '\n')
            j->line++;
        else if (c != ' ' && c != '\t' && c != '\r')
            break;
        j->i++;
    }
}

static bool json_at(Json *j, char c)
{
    return j->i < j->n && j->s[j->i] == c;
}

static int hex4(const char *p, size_t left)
{
    int v = 0, k;
    if (left < 4)
        return -1;
    for (k = 0; k < 4; k++) {
        char c = p[k];
        int d = is_digit(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
                c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static DVal json_string(Json *j)
{
    MBuf b = {NULL, 0, 0};
    DVal v;
    char enc[4];
    int64_t line = j->line;
    size_t i = j->i + 1;
    for (;;) {
        char c;
        if (i >= j->n) {
            mochi_buf_free(&b);
            json_fail(j, "%s", "unexpected end of input in a string");
        }
        c = j->s[i];
        if (c == '"')
            break;
        if ((unsigned char)c < 0x20) {
            j->i = i;
            mochi_buf_free(&b);
            json_unexpected(j, " in a string");
        }
        if (c != '\\') {
            mochi_buf_putc(&b, c);
            i++;
            continue;
        }
        c = i + 1 < j->n ? j->s[i + 1] : '\0';
        switch (c) {
        case '"': case '\\': case '/': mochi_buf_putc(&b, c); i += 2; continue;
        case 'b': mochi_buf_putc(&b, '\b'); i += 2; continue;
        case 'f': mochi_buf_putc(&b, '\f'); i += 2; continue;
        case 'n': mochi_buf_putc(&b, '\n'); i += 2; continue;
        case 'r': mochi_buf_putc(&b, '\r'); i += 2; continue;
        case 't': mochi_buf_putc(&b, '\t'); i += 2; continue;
        case 'u': {
            int cp = hex4(j->s + i + 2, j->n - i - 2), lo;
            if (cp < 0) {
                mochi_buf_free(&b);
                json_fail(j, "%s", "invalid \\u escape in a string");
            }
            i += 6;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < j->n && j->s[i] == '\\' &&
                j->s[i + 1] == 'u') {
                lo = hex4(j->s + i + 2, j->n - i - 2);
                if (lo < 0) {
                    mochi_buf_free(&b);
                    json_fail(j, "%s", "invalid \\u escape in a string");
                }
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            if (cp >= 0xD800 && cp < 0xE000)
                cp = 0xFFFD;
            mochi_buf_put(&b, enc, (size_t)mochi_utf8_encode((uint32_t)cp, enc));
            continue;
        }
        default:
            mochi_buf_free(&b);
            json_fail(j, "%s", "invalid escape in a string");
        }
    }
    j->i = i + 1;
    v = dstr(arena_str(j->a, b.p ? b.p : "", b.n), b.n, line);
    mochi_buf_free(&b);
    return v;
}

static DVal json_number(Json *j)
{
    size_t i = j->i, start = i;
    bool integral = true;
    DVal v = dnull(j->line);
    if (i < j->n && j->s[i] == '-')
        i++;
    if (i < j->n && j->s[i] == '0')
        i++;
    else if (i < j->n && j->s[i] >= '1' && j->s[i] <= '9')
        while (i < j->n && is_digit(j->s[i]))
            i++;
    else
        json_fail(j, "%s", "malformed number");
    if (i + 1 < j->n && j->s[i] == '.' && is_digit(j->s[i + 1])) {
        integral = false;
        i++;
        while (i < j->n && is_digit(j->s[i]))
            i++;
    }
    if (i < j->n && (j->s[i] == 'e' || j->s[i] == 'E')) {
        size_t k = i + 1;
        if (k < j->n && (j->s[k] == '+' || j->s[k] == '-'))
            k++;
        if (k < j->n && is_digit(j->s[k])) {
            integral = false;
            i = k;
            while (i < j->n && is_digit(j->s[i]))
                i++;
        }
    }
    j->i = i;
    if (integral && go_atoi(j->s + start, i - start, &v.i)) {
        v.k = D_INT;
        return v;
    }
    v.k = D_FLOAT;
    v.f = parse_double(j->s + start, i - start);
    if (!isfinite(v.f)) {
        char text[64];
        snprintf(text, sizeof text, "number %.*s is out of range", (int)(i - start < 40 ? i - start : 40),
                 j->s + start);
        json_fail(j, "%s", text);
    }
    return v;
}

static DVal json_value(Json *j);

/* After a member: past a ',' (false) or the CLOSE of its object or list (true);
   anything else is the error EXPECTED. */
static bool json_closed(Json *j, char close, const char *expected)
{
    json_ws(j);
    if (json_at(j, ',') || json_at(j, close)) {
        j->i++;
        return j->s[j->i - 1] == close;
    }
    json_fail(j, "%s", expected);
}

static DVal json_object(Json *j)
{
    DVal o = dnull(j->line);
    o.k = D_OBJ;
    j->i++;
    json_ws(j);
    if (json_at(j, '}')) {
        j->i++;
        return o;
    }
    for (;;) {
        DVal k;
        DItem *it;
        json_ws(j);
        if (!json_at(j, '"'))
            json_fail(j, "%s", j->i < j->n ? "expected a string key" : "unexpected end of input");
        k = json_string(j);
        json_ws(j);
        if (!json_at(j, ':'))
            json_fail(j, "%s", "expected ':' after an object key");
        j->i++;
        json_ws(j);
        it = dfind(&o, k.s, k.n);
        if (it == NULL) {
            it = dpush(j->a, &o);
            it->key = k.s;
            it->klen = k.n;
        }
        it->line = j->line;
        it->v = json_value(j);
        if (json_closed(j, '}', "expected ',' or '}' in an object"))
            return o;
    }
}

static DVal json_array(Json *j)
{
    DVal l = dnull(j->line);
    l.k = D_LIST;
    j->i++;
    json_ws(j);
    if (json_at(j, ']')) {
        j->i++;
        return l;
    }
    for (;;) {
        DItem *it;
        json_ws(j);
        it = dpush(j->a, &l);
        it->line = j->line;
        it->v = json_value(j);
        if (json_closed(j, ']', "expected ',' or ']' in a list"))
            return l;
    }
}

static bool json_word(Json *j, const char *w)
{
    size_t n = strlen(w);
    if (j->n - j->i >= n && memcmp(j->s + j->i, w, n) == 0) {
        j->i += n;
        return true;
    }
    return false;
}

static DVal json_value(Json *j)
{
    DVal v;
    char c;
    json_ws(j);
    if (j->i >= j->n)
        json_fail(j, "%s", "unexpected end of input");
    c = j->s[j->i];
    if (c == '{')
        return json_object(j);
    if (c == '[')
        return json_array(j);
    if (c == '"')
        return json_string(j);
    v = dnull(j->line);
    if (json_word(j, "true")) {
        v.k = D_BOOL;
        v.b = true;
        return v;
    }
    if (json_word(j, "false")) {
        v.k = D_BOOL;
        return v;
    }
    if (json_word(j, "null"))
        return v;
    if (c == '-' || is_digit(c))
        return json_number(j);
    json_unexpected(j, "");
}

static DVal json_document(const Ctx *c, Arena *a, const char *s, size_t n, int64_t line)
{
    Json j = {c, a, s, n, 0, line};
    DVal v;
    json_ws(&j);
    v = json_value(&j);
    json_ws(&j);
    if (j.i < j.n)
        json_unexpected(&j, " after the value");
    return v;
}

/* ------------------------------------------------------------------ YAML: scalars */

/* what a plain scalar means, as yaml.v3 resolves it; timestamps stay text */
typedef enum { R_STR, R_NULL, R_BOOL, R_INT, R_FLOAT, R_TIMESTAMP } RKind;

static bool eq_any(const char *s, size_t n, const char *const *words)
{
    for (; *words != NULL; words++)
        if (strlen(*words) == n && memcmp(s, *words, n) == 0)
            return true;
    return false;
}

static int digits_at(const char *s, size_t n, size_t *i, int lo, int hi, int *out)
{
    int k = 0, v = 0;
    while (*i < n && is_digit(s[*i]) && k < hi) {
        v = v * 10 + (s[*i] - '0');
        (*i)++, k++;
    }
    *out = v;
    return k >= lo;
}

/* yyyy-m-d, optionally with a time (Go's time.Parse of yaml.v3's layouts) */
static bool is_timestamp(const char *s, size_t n)
{
    size_t i = 0;
    int y, mo, d, h, mi, sec;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!digits_at(s, n, &i, 4, 4, &y) || i >= n || s[i++] != '-' ||
        !digits_at(s, n, &i, 1, 2, &mo) || i >= n || s[i++] != '-' ||
        !digits_at(s, n, &i, 1, 2, &d))
        return false;
    if (mo < 1 || mo > 12 || d < 1 ||
        d > days[mo - 1] + (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return false;
    if (i == n)
        return true;
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
        return false;
    {
        bool zoned = s[i] != ' ';
        i++;
        if (!digits_at(s, n, &i, 1, 2, &h) || i >= n || s[i++] != ':' ||
            !digits_at(s, n, &i, 1, 2, &mi) || i >= n || s[i++] != ':' ||
            !digits_at(s, n, &i, 1, 2, &sec) || h >= 24 || mi >= 60 || sec >= 60)
            return false;
        if (i < n && s[i] == '.') {
            size_t k = ++i;
            while (i < n && is_digit(s[i]))
                i++;
            if (i == k)
                return false;
        }
        if (!zoned)
            return i == n;
        if (i < n && s[i] == 'Z')
            return i + 1 == n;
        return n - i == 6 && (s[i] == '+' || s[i] == '-') && is_digit(s[i + 1]) &&
               is_digit(s[i + 2]) && s[i + 3] == ':' && is_digit(s[i + 4]) && is_digit(s[i + 5]);
    }
}

static RKind yaml_resolve(const char *s, size_t n, DVal *out)
{
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
    static const char *const infs[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
    static const char *const ninfs[] = {"-.inf", "-.Inf", "-.INF", NULL};
    char h = n ? s[0] : '\0';
    if (n && !strchr("+-0123456789yYnNtTfFoO~.", h))
        return R_STR;
    if (eq_any(s, n, trues) || eq_any(s, n, falses)) {
        out->k = D_BOOL;
        out->b = eq_any(s, n, trues);
        return R_BOOL;
    }
    if (eq_any(s, n, nulls)) {
        out->k = D_NULL;
        return R_NULL;
    }
    if (eq_any(s, n, nans) || eq_any(s, n, infs) || eq_any(s, n, ninfs)) {
        out->k = D_FLOAT;
        out->f = eq_any(s, n, nans) ? NAN : eq_any(s, n, infs) ? INFINITY : -INFINITY;
        return R_FLOAT;
    }
    if (h == '.') {
        if (n >= 2 && is_digit(s[1]) && decimal_syntax(s, n)) {
            out->k = D_FLOAT;
            out->f = parse_double(s, n);
            return R_FLOAT;
        }
    } else if (h == '+' || h == '-' || is_digit(h)) {
        char small[64], *plain;
        size_t k, m = 0;
        RKind r = R_STR;
        if (is_timestamp(s, n))
            return R_TIMESTAMP;
        plain = n < sizeof small ? small : mochi_alloc(0, n + 1);
        for (k = 0; k < n; k++)
            if (s[k] != '_')
                plain[m++] = s[k];
        if (go_parse_int(plain, m, &out->i)) {
            out->k = D_INT;
            r = R_INT;
        } else if (decimal_syntax(plain, m)) {
            double f = parse_double(plain, m);
            if (isfinite(f)) {
                out->k = D_FLOAT;
                out->f = f;
                r = R_FLOAT;
            }
        }
        if (plain != small)
            free(plain);
        return r;
    }
    return R_STR;
}

/* ------------------------------------------------------------------ YAML: reading */

typedef struct {
    int64_t no;
    size_t indent;
    const char *text;
    size_t n;
} YLine;

typedef struct {
    const Ctx *c;
    Arena *a;
    const char **raw; /* the raw lines, without their \n (a \r stays) */
    size_t *rawlen;
    size_t nraw;
    YLine *lines;     /* non-empty lines, comments dropped */
    size_t nlines, k;
} Yaml;

static _Noreturn void yaml_fail(Yaml *y, int64_t line, const char *msg)
{
    fail(y->c, line, "invalid YAML: %s", msg);
}

static bool sp(char c)
{
    return c == ' ' || c == '\t';
}

/* the index just past the quoted scalar starting at s[i], or -1 */
static long quoted_end(const char *s, size_t n, size_t i)
{
    char q = s[i];
    size_t j = i + 1;
    while (j < n) {
        char c = s[j];
        if (q == '\'' && c == '\'') {
            if (j + 1 < n && s[j + 1] == '\'') {
                j += 2;
                continue;
            }
            return (long)j + 1;
        }
        if (q == '"') {
            if (c == '\\') {
                j += 2;
                continue;
            }
            if (c == '"')
                return (long)j + 1;
        }
        j++;
    }
    return -1;
}

/* the length of text without a trailing `# comment` and white space */
static size_t strip_comment(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if ((c == '"' || c == '\'') && (i == 0 || strchr(" \t[{,:-?", s[i - 1]) != NULL)) {
            long end = quoted_end(s, n, i);
            if (end < 0)
                break;
            i = (size_t)end;
            continue;
        }
        if (c == '#' && (i == 0 || sp(s[i - 1]))) {
            n = i;
            break;
        }
        i++;
    }
    while (n > 0 && sp(s[n - 1]))
        n--;
    return n;
}

static void yaml_init(Yaml *y, const char *text, size_t size)
{
    size_t i = 0, cap = 16, lcap = 16;
    memset(&y->raw, 0, sizeof *y - offsetof(Yaml, raw));
    y->raw = arena_alloc(y->a, cap * sizeof *y->raw);
    y->rawlen = arena_alloc(y->a, cap * sizeof *y->rawlen);
    while (i < size) {
        const char *nl = memchr(text + i, '\n', size - i);
        size_t len = nl ? (size_t)(nl - (text + i)) : size - i;
        if (y->nraw == cap) {
            const char **r = arena_alloc(y->a, 2 * cap * sizeof *r);
            size_t *rl = arena_alloc(y->a, 2 * cap * sizeof *rl);
            memcpy(r, y->raw, cap * sizeof *r);
            memcpy(rl, y->rawlen, cap * sizeof *rl);
            y->raw = r;
            y->rawlen = rl;
            cap *= 2;
        }
        y->raw[y->nraw] = text + i;
        y->rawlen[y->nraw++] = len;
        i += len + (nl != NULL);
    }
    y->lines = arena_alloc(y->a, lcap * sizeof *y->lines);
    for (i = 0; i < y->nraw; i++) {
        const char *raw = y->raw[i];
        size_t len = y->rawlen[i], lead = 0, tn;
        if (len > 0 && raw[len - 1] == '\r')
            len--;
        while (lead < len && raw[lead] == ' ')
            lead++;
        tn = strip_comment(raw + lead, len - lead);
        if (tn == 0)
            continue;
        if ((len == 3 && memcmp(raw, "---", 3) == 0) || (len > 3 && memcmp(raw, "--- ", 4) == 0) ||
            (len == 3 && memcmp(raw, "...", 3) == 0)) {
            size_t r = 3, rn;
            if (y->nlines > 0 || raw[0] == '.')
                break;
            while (r < len && sp(raw[r]))
                r++;
            rn = len - r;
            while (rn > 0 && sp(raw[r + rn - 1]))
                rn--;
            if (rn == 0)
                continue;
            lead = 4;
            raw = raw + r - lead;
            tn = strip_comment(raw + lead, rn);
        }
        if (y->nlines == lcap) {
            YLine *l = arena_alloc(y->a, 2 * lcap * sizeof *l);
            memcpy(l, y->lines, lcap * sizeof *l);
            y->lines = l;
            lcap *= 2;
        }
        y->lines[y->nlines].no = (int64_t)i + 1;
        y->lines[y->nlines].indent = lead;
        y->lines[y->nlines].text = raw + lead;
        y->lines[y->nlines].n = tn;
        y->nlines++;
    }
}

/* the line to parse next (a tab may not indent it; in a block scalar, which is
 * read from the raw lines, it may) */
static YLine *ycur(Yaml *y)
{
    YLine *ln;
    if (y->k >= y->nlines)
        return NULL;
    ln = &y->lines[y->k];
    if (ln->text[0] == '\t')
        yaml_fail(y, ln->no, "a tab in the indentation");
    return ln;
}

/* does the line start with indicator `-`, `?` or `:` (alone or before a space)? */
static bool explicit_ind(const YLine *ln, char ind)
{
    return ln->text[0] == ind && (ln->n == 1 || ln->text[1] == ' ');
}

static int64_t hexn(const char *p, size_t left, int width)
{
    int64_t v = 0;
    int k;
    if (left < (size_t)width)
        return -1;
    for (k = 0; k < width; k++) {
        char c = p[k];
        int d = is_digit(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
                c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static bool is_ls(const char *p, size_t left)
{
    return left >= 3 && (unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 &&
           ((unsigned char)p[2] == 0xA8 || (unsigned char)p[2] == 0xA9);
}

/* the code point of YAML escape `\c` (other than \x, \u, \U), or -1 */
static int64_t yaml_escape(char c)
{
    switch (c) {
    case '0': return 0;
    case 'a': return 7;
    case 'b': return 8;
    case 't': case '\t': return 9;
    case 'n': return 10;
    case 'v': return 11;
    case 'f': return 12;
    case 'r': return 13;
    case 'e': return 0x1B;
    case ' ': case '"': case '/': case '\\': return c;
    case 'N': return 0x85;
    case '_': return 0xA0;
    case 'L': return 0x2028;
    case 'P': return 0x2029;
    default: return -1;
    }
}

/* a quoted scalar's text; a line or paragraph separator in it is a line break to
 * libyaml: the white space around it goes */
static DVal unquote(Yaml *y, const char *tok, size_t n, int64_t line)
{
    MBuf b = {NULL, 0, 0};
    const char *body = tok + 1;
    size_t bn = n - 2, i = 0;
    DVal v;
    char enc[4];
    while (i < bn) {
        char c = body[i];
        if (sp(c) || is_ls(body + i, bn - i)) { /* blanks, and separators with their blanks */
            size_t j = i;
            bool ls = false;
            while (j < bn && (sp(body[j]) || is_ls(body + j, bn - j))) {
                if (is_ls(body + j, bn - j)) {
                    ls = true;
                    j += 3;
                } else {
                    j++;
                }
            }
            for (; i < j; i++) {
                if (is_ls(body + i, bn - i)) {
                    mochi_buf_put(&b, body + i, 3);
                    i += 2;
                } else if (!ls) {
                    mochi_buf_putc(&b, body[i]);
                }
            }
            continue;
        }
        if (tok[0] == '\'') {
            mochi_buf_putc(&b, c);
            i += c == '\'' ? 2 : 1;
            continue;
        }
        if (c != '\\') {
            mochi_buf_putc(&b, c);
            i++;
            continue;
        }
        c = i + 1 < bn ? body[i + 1] : '\0';
        {
            int width = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
            int64_t cp = yaml_escape(c);
            if (width)
                cp = hexn(body + i + 2, bn - i - 2, width);
            if (cp < 0) {
                mochi_buf_free(&b);
                yaml_fail(y, line, "invalid escape in a quoted string");
            }
            if (cp >= 0x110000 || (cp >= 0xD800 && cp < 0xE000))
                cp = 0xFFFD;
            mochi_buf_put(&b, enc, (size_t)mochi_utf8_encode((uint32_t)cp, enc));
            i += 2 + (size_t)width;
        }
    }
    v = dstr(arena_str(y->a, b.p ? b.p : "", b.n), b.n, line);
    mochi_buf_free(&b);
    return v;
}

/* (key, the text after `key:`) if the line is a mapping entry */
static bool mapping_key(Yaml *y, const char *t, size_t n, int64_t no, DVal *key,
                        const char **after, size_t *an)
{
    size_t i;
    if (t[0] == '"' || t[0] == '\'') {
        long end = quoted_end(t, n, 0);
        size_t r;
        if (end < 0)
            return false;
        r = (size_t)end;
        while (r < n && t[r] == ' ')
            r++;
        if (r >= n || t[r] != ':' || !(r + 1 == n || t[r + 1] == ' '))
            return false;
        *key = unquote(y, t, (size_t)end, no);
        r++;
        while (r < n && sp(t[r]))
            r++;
        *after = t + r;
        *an = n - r;
        return true;
    }
    if (strchr("[{&*!|>%@`#,", t[0]) != NULL) {
        if (strchr("&*!", t[0]) != NULL)
            yaml_fail(y, no, "anchors, aliases and tags are not supported");
        return false;
    }
    for (i = 0; i < n; i++) {
        if (t[i] == ':' && (i + 1 == n || t[i + 1] == ' ')) {
            size_t kn = i, r = i + 1;
            while (kn > 0 && sp(t[kn - 1]))
                kn--;
            if (kn == 0)
                return false;
            *key = dstr(arena_str(y->a, t, kn), kn, no);
            while (r < n && sp(t[r]))
                r++;
            *after = t + r;
            *an = n - r;
            return true;
        }
    }
    return false;
}

static bool is_entry(Yaml *y, const YLine *ln)
{
    DVal k;
    const char *a;
    size_t an;
    return mapping_key(y, ln->text, ln->n, ln->no, &k, &a, &an);
}

static DVal yaml_node(Yaml *y, long parent);
static DVal yaml_inline(Yaml *y, const char *t, size_t n, const YLine *ln, long parent);

/* the node after a `-`, `?` or `:` indicator at the current line, in a collection
 * indented `indent` */
static DVal indicated(Yaml *y, size_t indent)
{
    YLine *ln = ycur(y);
    size_t r = 1;
    while (r < ln->n && ln->text[r] == ' ')
        r++;
    if (r == ln->n) {
        YLine *nxt;
        y->k++;
        nxt = ycur(y);
        return nxt != NULL && nxt->indent > indent ? yaml_node(y, (long)indent) : dnull(ln->no);
    }
    ln->indent += r;
    ln->text += r;
    ln->n -= r;
    return yaml_node(y, (long)indent);
}

static DVal yaml_sequence(Yaml *y, size_t indent)
{
    DVal out = dnull(ycur(y)->no);
    YLine *ln;
    out.k = D_LIST;
    while ((ln = ycur(y)) != NULL && ln->indent == indent && explicit_ind(ln, '-')) {
        DItem *it = dpush(y->a, &out);
        it->line = ln->no;
        it->v = indicated(y, indent);
    }
    return out;
}

/* a map key's text: a scalar is itself, anything else its string form */
static DVal key_text(Yaml *y, DVal k)
{
    char buf[64];
    int len;
    switch (k.k) {
    case D_STR: return k;
    case D_NULL: return dstr("nil", 3, k.line);
    case D_BOOL: return k.b ? dstr("true", 4, k.line) : dstr("false", 5, k.line);
    case D_INT:
        len = snprintf(buf, sizeof buf, "%lld", (long long)k.i);
        return dstr(arena_str(y->a, buf, (size_t)len), (size_t)len, k.line);
    case D_FLOAT:
        len = mochi_format_float_container(k.f, buf, sizeof buf);
        return dstr(arena_str(y->a, buf, (size_t)len), (size_t)len, k.line);
    default:
        yaml_fail(y, k.line, "a key must be a scalar");
    }
}

static void add_entry(Yaml *y, DVal *o, DVal key, int64_t line, DVal v)
{
    DItem *it;
    key = key_text(y, key);
    if (dfind(o, key.s, key.n) != NULL) {
        char msg[160];
        snprintf(msg, sizeof msg, "the key \"%.*s\" is given twice", (int)(key.n < 100 ? key.n : 100),
                 key.s);
        yaml_fail(y, line, msg);
    }
    it = dpush(y->a, o);
    it->key = key.s;
    it->klen = key.n;
    it->line = line;
    it->v = v;
}

static DVal yaml_mapping(Yaml *y, size_t indent)
{
    DVal out = dnull(ycur(y)->no);
    YLine *ln;
    out.k = D_OBJ;
    while ((ln = ycur(y)) != NULL && ln->indent == indent) {
        DVal key, v;
        const char *after;
        size_t an;
        int64_t no = ln->no;
        if (explicit_ind(ln, '?')) {
            YLine *vl;
            key = indicated(y, indent);
            vl = ycur(y);
            v = vl != NULL && vl->indent == indent && explicit_ind(vl, ':') ? indicated(y, indent)
                                                                            : dnull(no);
            add_entry(y, &out, key, no, v);
            continue;
        }
        if (!mapping_key(y, ln->text, ln->n, no, &key, &after, &an))
            yaml_fail(y, no, "expected a 'key: value' entry");
        if (dfind(&out, key.s, key.n) != NULL)
            add_entry(y, &out, key, no, dnull(no)); /* reports the repeated key */
        y->k++;
        if (an == 0) {
            YLine *nxt = ycur(y);
            if (nxt != NULL && (nxt->indent > indent || (nxt->indent == indent &&
                                                         explicit_ind(nxt, '-'))))
                v = yaml_node(y, (long)indent);
            else
                v = dnull(no);
        } else {
            v = yaml_inline(y, after, an, ln, (long)indent);
        }
        add_entry(y, &out, key, no, v);
    }
    return out;
}

static DVal yaml_node(Yaml *y, long parent)
{
    YLine *ln = ycur(y);
    if (explicit_ind(ln, '-'))
        return yaml_sequence(y, ln->indent);
    if (explicit_ind(ln, '?') || is_entry(y, ln))
        return yaml_mapping(y, ln->indent);
    y->k++;
    return yaml_inline(y, ln->text, ln->n, ln, parent);
}

/* a folded (`>`) block's lines: the line break between two text lines becomes a
 * space, one followed by empty lines their line breaks; around more-indented
 * lines the breaks stay */
static void fold(MBuf *b, const char **lines, const size_t *lens, size_t n)
{
    size_t i = 0, j, k;
    mochi_buf_put(b, lines[0], lens[0]);
    for (;;) {
        size_t empties;
        for (j = i + 1; j < n && lens[j] == 0; j++)
            ;
        if (j >= n)
            return;
        empties = j - i - 1;
        if ((lens[i] > 0 && lines[i][0] == ' ') || lines[j][0] == ' ' || lens[i] == 0) {
            for (k = 0; k <= empties; k++)
                mochi_buf_putc(b, '\n');
        } else if (empties) {
            for (k = 0; k < empties; k++)
                mochi_buf_putc(b, '\n');
        } else {
            mochi_buf_putc(b, ' ');
        }
        mochi_buf_put(b, lines[j], lens[j]);
        i = j;
    }
}

/* a `|` (literal) or `>` (folded) scalar: the lines after the header indented more
 * than `parent` (blank ones included), chomped as the header says */
static DVal block_scalar(Yaml *y, const char *h, size_t hn, const YLine *ln, long parent)
{
    char style = h[0], chomp = 0;
    int explicit_indent = 0;
    size_t i = 1, r = (size_t)ln->no, nb = 0, trail = 0, k;
    long ind;
    const char **lines;
    size_t *lens;
    MBuf b = {NULL, 0, 0};
    DVal v;
    if (i < hn && h[i] >= '1' && h[i] <= '9')
        explicit_indent = h[i++] - '0';
    if (i < hn && (h[i] == '+' || h[i] == '-'))
        chomp = h[i++];
    if (!explicit_indent && i < hn && h[i] >= '1' && h[i] <= '9')
        explicit_indent = h[i++] - '0';
    if (i != hn) {
        char msg[96];
        snprintf(msg, sizeof msg, "malformed block scalar header '%.*s'", (int)(hn < 40 ? hn : 40), h);
        yaml_fail(y, ln->no, msg);
    }
    ind = explicit_indent ? (parent > 0 ? parent : 0) + explicit_indent : -1;
    lines = arena_alloc(y->a, (y->nraw + 1) * sizeof *lines);
    lens = arena_alloc(y->a, (y->nraw + 1) * sizeof *lens);
    for (; r < y->nraw; r++) {
        const char *raw = y->raw[r];
        size_t len = y->rawlen[r], lead = 0;
        if (len > 0 && raw[len - 1] == '\r')
            len--;
        while (lead < len && raw[lead] == ' ')
            lead++;
        if (lead < len) {
            if (ind < 0) {
                if ((long)lead <= parent)
                    break;
                ind = (long)lead;
            }
            if ((long)lead < ind)
                break;
        }
        lines[nb] = (long)len > ind && ind >= 0 ? raw + ind : raw;
        lens[nb] = (long)len > ind && ind >= 0 ? len - (size_t)ind : 0;
        nb++;
    }
    while (y->k < y->nlines && y->lines[y->k].no <= (int64_t)r)
        y->k++;
    while (nb > 0 && lens[nb - 1] == 0) {
        nb--;
        trail++;
    }
    if (nb == 0) {
        for (k = 0; chomp == '+' && k < trail; k++)
            mochi_buf_putc(&b, '\n');
    } else {
        if (style == '|') {
            for (k = 0; k < nb; k++) {
                if (k > 0)
                    mochi_buf_putc(&b, '\n');
                mochi_buf_put(&b, lines[k], lens[k]);
            }
        } else {
            fold(&b, lines, lens, nb);
        }
        if (chomp != '-')
            for (k = 0; k < (chomp == '+' ? trail + 1 : 1); k++)
                mochi_buf_putc(&b, '\n');
    }
    v = dstr(arena_str(y->a, b.p ? b.p : "", b.n), b.n, ln->no);
    mochi_buf_free(&b);
    return v;
}

/* ---- flow collections: `[a, b]`, `{k: v}`, nested, on one (joined) line */

typedef struct {
    Yaml *y;
    const char *s;
    size_t n, i;
    int64_t line;
    bool open; /* the text ended inside the collection */
} Flow;

static void flow_skip(Flow *f)
{
    while (f->i < f->n && f->s[f->i] == ' ')
        f->i++;
}

static bool flow_end(Flow *f)
{
    if (f->i >= f->n)
        f->open = true;
    return f->open;
}

static DVal flow_value(Flow *f)
{
    char c;
    DVal v = dnull(f->line);
    flow_skip(f);
    if (flow_end(f))
        return v;
    c = f->s[f->i];
    if (c == '[' || c == '{') {
        bool list = c == '[';
        char close = list ? ']' : '}';
        v.k = list ? D_LIST : D_OBJ;
        f->i++;
        for (;;) {
            flow_skip(f);
            if (flow_end(f))
                return v;
            if (f->s[f->i] == close) {
                f->i++;
                return v;
            }
            if (list) {
                DItem *it = dpush(f->y->a, &v);
                it->line = f->line;
                it->v = flow_value(f);
            } else {
                DVal k = flow_value(f), x = dnull(f->line);
                if (f->open)
                    return v;
                flow_skip(f);
                if (f->i < f->n && f->s[f->i] == ':') {
                    f->i++;
                    x = flow_value(f);
                }
                if (f->open)
                    return v;
                k = key_text(f->y, k);
                {
                    DItem *it = dfind(&v, k.s, k.n);
                    if (it == NULL) {
                        it = dpush(f->y->a, &v);
                        it->key = k.s;
                        it->klen = k.n;
                    }
                    it->line = f->line;
                    it->v = x;
                }
            }
            flow_skip(f);
            if (flow_end(f))
                return v;
            if (f->s[f->i] == ',')
                f->i++;
            else if (f->s[f->i] != close)
                yaml_fail(f->y, f->line, list ? "expected ',' or ']' in a flow sequence"
                                               : "expected ',' or '}' in a flow mapping");
        }
    }
    if (c == '"' || c == '\'') {
        long end = quoted_end(f->s, f->n, f->i);
        if (end < 0) {
            f->open = true;
            return v;
        }
        v = unquote(f->y, f->s + f->i, (size_t)end - f->i, f->line);
        f->i = (size_t)end;
        return v;
    }
    if (strchr("&*!", c) != NULL)
        yaml_fail(f->y, f->line, "anchors, aliases and tags are not supported");
    {
        size_t j = f->i, a, b;
        while (j < f->n && strchr(",[]{}", f->s[j]) == NULL &&
               !(f->s[j] == ':' && (j + 1 == f->n || strchr(" ,]}", f->s[j + 1]) != NULL)))
            j++;
        a = f->i;
        b = j;
        while (a < b && sp(f->s[a]))
            a++;
        while (b > a && sp(f->s[b - 1]))
            b--;
        f->i = j;
        v = dstr(arena_str(f->y->a, f->s + a, b - a), b - a, f->line);
        yaml_resolve(v.s, v.n, &v);
        return v;
    }
}

/* the value written after `key:` or `- ` (and on the lines it continues on) */
static DVal yaml_inline(Yaml *y, const char *t, size_t n, const YLine *ln, long parent)
{
    char c = t[0];
    if (c == '|' || c == '>')
        return block_scalar(y, t, n, ln, parent);
    if (c == '[' || c == '{') {
        MBuf joined = {NULL, 0, 0};
        mochi_buf_put(&joined, t, n);
        for (;;) {
            Flow f = {y, joined.p, joined.n, 0, ln->no, false};
            DVal v = flow_value(&f);
            YLine *nxt;
            if (!f.open) {
                flow_skip(&f);
                if (f.i < f.n) {
                    mochi_buf_free(&joined);
                    yaml_fail(y, ln->no, "unexpected text after a flow collection");
                }
                /* the values point into `joined`'s copies in the arena, not into it */
                mochi_buf_free(&joined);
                return v;
            }
            nxt = ycur(y);
            if (nxt == NULL) {
                char msg[48];
                mochi_buf_free(&joined);
                snprintf(msg, sizeof msg, "'%c' is not closed", c);
                yaml_fail(y, ln->no, msg);
            }
            mochi_buf_putc(&joined, ' ');
            mochi_buf_put(&joined, nxt->text, nxt->n);
            y->k++;
        }
    }
    if (c == '"' || c == '\'') {
        long end = quoted_end(t, n, 0);
        size_t r;
        if (end < 0)
            yaml_fail(y, ln->no, "a quoted string is not closed on its line");
        for (r = (size_t)end; r < n; r++)
            if (!sp(t[r]))
                yaml_fail(y, ln->no, "unexpected text after a quoted string");
        return unquote(y, t, (size_t)end, ln->no);
    }
    if (c == '&' || c == '*' || c == '!')
        yaml_fail(y, ln->no, "anchors, aliases and tags are not supported");
    if (c == '%' || c == '@' || c == '`') {
        char msg[48];
        snprintf(msg, sizeof msg, "a plain value cannot start with '%c'", c);
        yaml_fail(y, ln->no, msg);
    }
    {
        MBuf b = {NULL, 0, 0};
        YLine *nxt;
        DVal v;
        mochi_buf_put(&b, t, n);
        while ((nxt = ycur(y)) != NULL && (long)nxt->indent > parent &&
               !explicit_ind(nxt, '-') && !explicit_ind(nxt, '?') && !explicit_ind(nxt, ':') &&
               !is_entry(y, nxt)) {
            mochi_buf_putc(&b, ' '); /* a plain scalar continued on the next lines */
            mochi_buf_put(&b, nxt->text, nxt->n);
            y->k++;
        }
        v = dstr(arena_str(y->a, b.p, b.n), b.n, ln->no);
        mochi_buf_free(&b);
        yaml_resolve(v.s, v.n, &v);
        return v;
    }
}

static bool yaml_document(const Ctx *c, Arena *a, const char *text, size_t size, DVal *out)
{
    Yaml y;
    y.c = c;
    y.a = a;
    yaml_init(&y, text, size);
    if (y.nlines == 0)
        return false;
    *out = yaml_node(&y, -1);
    if (y.k < y.nlines)
        yaml_fail(&y, y.lines[y.k].no, "unexpected indentation");
    return true;
}

/* ------------------------------------------------------------------ conversion */

static void type_name(MBuf *b, const MType *t)
{
    switch (t->kind) {
    case MT_INT: mochi_buf_puts(b, "int"); break;
    case MT_FLOAT: mochi_buf_puts(b, "float"); break;
    case MT_BOOL: mochi_buf_puts(b, "bool"); break;
    case MT_STRING: mochi_buf_puts(b, "string"); break;
    default: mochi_type_str(b, t); break;
    }
}

/* `field "age": msg`, or msg alone for a whole row */
static _Noreturn void field_fail(const Ctx *c, int64_t at, const char *name, const char *msg)
{
    if (name != NULL)
        fail(c, at, "field \"%s\": %s", name, msg);
    fail(c, at, "%s", msg);
}

static _Noreturn void expected(const Ctx *c, int64_t at, const char *name, const MType *t,
                               const DVal *v)
{
    MBuf b = {NULL, 0, 0};
    mochi_buf_puts(&b, "expected ");
    type_name(&b, t);
    mochi_buf_printf(&b, ", not %s", dkind(v));
    mochi_buf_putc(&b, '\0');
    field_fail(c, at, name, b.p);
}

static _Noreturn void unparsable(const Ctx *c, int64_t at, const char *name, const DVal *v,
                                 const MType *t)
{
    MBuf b = {NULL, 0, 0};
    mochi_buf_puts(&b, "cannot parse \"");
    mochi_buf_put(&b, v->s, v->n);
    mochi_buf_puts(&b, "\" as ");
    type_name(&b, t);
    mochi_buf_putc(&b, '\0');
    field_fail(c, at, name, b.p);
}

static const MType list_of_any = {MT_LIST, &mochi_t_any, NULL, NULL, NULL, NULL};

/* a read value as a Mochi `any` value (a new reference): objects are maps */
static mref plain(const Ctx *c, const DVal *v)
{
    size_t i;
    switch (v->k) {
    case D_NULL: return NULL;
    case D_BOOL: return mochi_box_bool(c->line, v->b, &mochi_t_bool);
    case D_INT: return mochi_box_i64(c->line, v->i, &mochi_t_int);
    case D_FLOAT: return mochi_box_f64(c->line, v->f, &mochi_t_float);
    case D_STR: return mochi_str_new(c->line, v->s, (int64_t)v->n);
    case D_LIST: {
        MList *l = mochi_list_alloc(c->line, &list_of_any, (int64_t)v->n);
        for (i = 0; i < v->n; i++) {
            mref x = plain(c, &v->items[i].v);
            mochi_list_put(c->line, l, mochi_val_ref(x));
            mochi_release(x);
        }
        return &l->h;
    }
    default: {
        MMap *m = (MMap *)mochi_map_new(c->line, &mochi_t_string, &mochi_t_any);
        for (i = 0; i < v->n; i++) {
            mref k = mochi_str_new(c->line, v->items[i].key, (int64_t)v->items[i].klen);
            mref x = plain(c, &v->items[i].v);
            mochi_map_store(c->line, m, mochi_map_entry(c->line, m, mochi_val_ref(k)),
                            mochi_val_ref(x));
            mochi_release(k);
            mochi_release(x);
        }
        return &m->h;
    }
    }
}

static MSlot convert(const Ctx *c, const DVal *v, const MType *t, int64_t at, const char *name);

static MSlot convert_scalar(const Ctx *c, const DVal *v, const MType *t, int64_t at,
                            const char *name)
{
    MSlot s;
    s.i = 0;
    switch (t->kind) {
    case MT_INT:
        if (v->k == D_INT) {
            s.i = v->i;
            return s;
        }
        if (v->k == D_FLOAT && isfinite(v->f) && v->f >= -9223372036854775808.0 &&
            v->f < 9223372036854775808.0) {
            s.i = (int64_t)v->f;
            return s;
        }
        if (v->k == D_NULL)
            return s;
        if (v->k == D_STR) {
            if (go_atoi(v->s, v->n, &s.i))
                return s;
            unparsable(c, at, name, v, t);
        }
        break;
    case MT_FLOAT:
        if (v->k == D_FLOAT || v->k == D_INT) {
            s.f = v->k == D_FLOAT ? v->f : (double)v->i;
            return s;
        }
        if (v->k == D_NULL) {
            s.f = 0.0;
            return s;
        }
        break;
    case MT_STRING:
        if (v->k == D_STR) {
            s.r = mochi_str_new(c->line, v->s, (int64_t)v->n);
            return s;
        }
        break;
    case MT_BOOL:
        if (v->k == D_BOOL) {
            s.b = v->b;
            return s;
        }
        break;
    default:
        break;
    }
    expected(c, at, name, t, v);
}

/* a read value as a value of Mochi type t, in t's representation (a ref is new) */
static MSlot convert(const Ctx *c, const DVal *v, const MType *t, int64_t at, const char *name)
{
    MSlot s;
    size_t i;
    int32_t k;
    s.i = 0;
    switch (t->kind) {
    case MT_ANY: case MT_NONE:
        s.r = plain(c, v);
        return s;
    case MT_STRUCT: {
        const MStructDesc *d = t->sd;
        MStruct *o;
        if (v->k != D_OBJ)
            expected(c, at, name, t, v);
        o = (MStruct *)mochi_struct_new(c->line, d);
        for (k = 0; k < d->nfields; k++) {
            const char *f = d->field_names[k];
            const DItem *it = dfind(v, f, strlen(f));
            if (it != NULL) {
                o->f[k] = convert(c, &it->v, d->field_types[k], it->line, f);
            } else if (d->field_types[k]->kind != MT_ANY) {
                MBuf b = {NULL, 0, 0};
                type_name(&b, t);
                mochi_buf_putc(&b, '\0');
                fail(c, v->line, "missing field \"%s\" for %s", f, b.p);
            }
        }
        s.r = &o->h;
        return s;
    }
    case MT_LIST: {
        MList *l;
        if (v->k != D_LIST)
            expected(c, at, name, t, v);
        l = mochi_list_alloc(c->line, t->elem, (int64_t)v->n);
        for (i = 0; i < v->n; i++) {
            MSlot x = convert(c, &v->items[i].v, t->elem, v->items[i].line, name);
            mochi_list_put(c->line, l, mochi_val(x, mochi_rep(t->elem)));
            mochi_release_slot(x, t->elem);
        }
        s.r = &l->h;
        return s;
    }
    case MT_MAP: {
        MMap *m;
        if (v->k != D_OBJ)
            expected(c, at, name, t, v);
        m = (MMap *)mochi_map_new(c->line, t->key, t->value);
        for (i = 0; i < v->n; i++) {
            const DItem *it = &v->items[i];
            DVal kd = dstr(it->key, it->klen, it->line);
            MSlot key, x;
            const MType *kt = t->key->kind == MT_STRING || t->key->kind == MT_ANY ?
                              &mochi_t_string : t->key;
            key = convert_scalar(c, &kd, kt, it->line, name);
            x = convert(c, &it->v, t->value, it->line, name);
            mochi_map_store(c->line, m,
                            mochi_map_entry(c->line, m, mochi_val(key, mochi_rep(kt))),
                            mochi_val(x, mochi_rep(t->value)));
            mochi_release_slot(key, kt);
            mochi_release_slot(x, t->value);
        }
        s.r = &m->h;
        return s;
    }
    default:
        return convert_scalar(c, v, t, at, name);
    }
}

static bool go_bool(const char *s, size_t n, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True", NULL};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False", NULL};
    *out = eq_any(s, n, yes);
    return *out || eq_any(s, n, no);
}

/* a CSV cell as a value of the field's type t */
static MSlot cell(const Ctx *c, const DVal *v, const MType *t, int64_t at, const char *name)
{
    MSlot s;
    double f;
    s.i = 0;
    switch (t->kind) {
    case MT_STRING: s.r = mochi_str_new(c->line, v->s, (int64_t)v->n); return s;
    case MT_ANY: case MT_NONE:
        if (go_atoi(v->s, v->n, &s.i))
            s.r = mochi_box_i64(c->line, s.i, &mochi_t_int);
        else if (go_parse_float(v->s, v->n, &f))
            s.r = mochi_box_f64(c->line, f, &mochi_t_float);
        else
            s.r = mochi_str_new(c->line, v->s, (int64_t)v->n);
        return s;
    case MT_INT:
        if (go_atoi(v->s, v->n, &s.i))
            return s;
        break;
    case MT_FLOAT:
        if (go_parse_float(v->s, v->n, &s.f))
            return s;
        break;
    case MT_BOOL:
        if (go_bool(v->s, v->n, &s.b))
            return s;
        break;
    default:
        break;
    }
    unparsable(c, at, name, v, t);
}

static mref csv_rows(const Ctx *c, Arena *a, const char *text, size_t size, const Opts *o,
                     const MType *row)
{
    Records rs = {NULL, 0, 0};
    MList *out;
    const Record *head;
    size_t first = 0, r, i;
    int64_t head_line = 1;
    char **cols;
    csv_records(c, a, text, size, o->delim, &rs);
    out = mochi_list_alloc(c->line, row, (int64_t)rs.n);
    if (rs.n == 0) {
        free(rs.recs);
        return &out->h;
    }
    head = &rs.recs[0];
    cols = arena_alloc(a, (head->n + 1) * sizeof *cols);
    for (i = 0; i < head->n; i++) {
        if (o->header) {
            cols[i] = (char *)head->cells[i].s;
        } else {
            char buf[32];
            snprintf(buf, sizeof buf, "c%zu", i);
            cols[i] = arena_str(a, buf, strlen(buf));
        }
    }
    if (o->header)
        first = 1;
    else
        head_line = head->line;
    if (row->kind == MT_STRUCT) {
        const MStructDesc *d = row->sd;
        int32_t k;
        long *index = arena_alloc(a, ((size_t)d->nfields + 1) * sizeof *index);
        for (k = 0; k < d->nfields; k++) {
            index[k] = -1;
            for (i = 0; i < head->n && index[k] < 0; i++)
                if (strcmp(cols[i], d->field_names[k]) == 0)
                    index[k] = (long)i;
            if (index[k] < 0 && d->field_types[k]->kind != MT_ANY) {
                MBuf b = {NULL, 0, 0};
                type_name(&b, row);
                mochi_buf_putc(&b, '\0');
                fail(c, head_line, "missing field \"%s\" for %s", d->field_names[k], b.p);
            }
        }
        for (r = first; r < rs.n; r++) {
            MStruct *s = (MStruct *)mochi_struct_new(c->line, d);
            for (k = 0; k < d->nfields; k++)
                if (index[k] >= 0)
                    s->f[k] = cell(c, &rs.recs[r].cells[index[k]], d->field_types[k],
                                   rs.recs[r].line, d->field_names[k]);
            mochi_list_put(c->line, out, mochi_val_ref(&s->h));
            mochi_release(&s->h);
        }
    } else {
        const MType *vt = row->kind == MT_MAP ? row->value : &mochi_t_any;
        for (r = first; r < rs.n; r++) {
            MMap *m = (MMap *)mochi_map_new(c->line, &mochi_t_string, vt);
            for (i = 0; i < head->n; i++) {
                mref k = mochi_str_new(c->line, cols[i], (int64_t)strlen(cols[i]));
                MSlot x = cell(c, &rs.recs[r].cells[i], vt, rs.recs[r].line, cols[i]);
                mochi_map_store(c->line, m, mochi_map_entry(c->line, m, mochi_val_ref(k)),
                                mochi_val(x, mochi_rep(vt)));
                mochi_release(k);
                mochi_release_slot(x, vt);
            }
            mochi_list_put(c->line, out, mochi_val_ref(&m->h));
            mochi_release(&m->h);
        }
    }
    free(rs.recs);
    return &out->h;
}

/* ------------------------------------------------------------------ load */

static void read_all(const Ctx *c, const char *path, MBuf *b)
{
    FILE *f = stdin;
    char chunk[65536];
    size_t n;
    if (strcmp(path, "-") != 0 && path[0] != '\0') {
        f = fopen(path, "rb");
        if (f == NULL)
            mochi_error(c->line, "cannot open %s: %s", path, io_reason(errno, "cannot read it"));
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        mochi_buf_put(b, chunk, n);
    if (f != stdin)
        fclose(f);
}

/* the rows of a JSON or YAML document: an object, or a list of objects */
static void check_rows(const Ctx *c, const DVal *top)
{
    size_t i;
    if (top->k == D_OBJ)
        return;
    if (top->k != D_LIST)
        fail(c, top->line, "expected an object or a list of objects, not %s", dkind(top));
    for (i = 0; i < top->n; i++)
        if (top->items[i].v.k != D_OBJ)
            fail(c, top->items[i].line, "a row must be an object, not %s",
                 dkind(&top->items[i].v));
}

mref mochi_load(int32_t line, mref path, mref opts, const MType *row)
{
    const char *p = path != NULL && path->kind == MK_STR ? ((MStr *)path)->data : "-";
    Ctx c = {line, strcmp(p, "-") == 0 || p[0] == '\0' ? "stdin" : p};
    Opts o = options(line, opts, false);
    Arena a = {NULL, line};
    MBuf text = {NULL, 0, 0};
    MList *out;
    size_t i;
    read_all(&c, p, &text);
    if (text.p == NULL)
        mochi_buf_put(&text, "", 0);
    if (strcmp(o.format, "csv") == 0) {
        mref rows = csv_rows(&c, &a, text.p ? text.p : "", text.n, &o, row);
        arena_free(&a);
        mochi_buf_free(&text);
        return rows;
    }
    out = mochi_list_alloc(line, row, 0);
    if (strcmp(o.format, "jsonl") == 0) {
        size_t at = 0;
        int64_t no = 0;
        while (at < text.n) {
            const char *nl = memchr(text.p + at, '\n', text.n - at);
            size_t len = nl ? (size_t)(nl - (text.p + at)) : text.n - at;
            size_t ln = len > 0 && text.p[at + len - 1] == '\r' ? len - 1 : len;
            no++;
            if (ln > 0) {
                DVal v = json_document(&c, &a, text.p + at, ln, no);
                MSlot s;
                if (v.k != D_OBJ)
                    fail(&c, no, "a row must be an object, not %s", dkind(&v));
                s = convert(&c, &v, row, v.line, NULL);
                mochi_list_put(line, out, mochi_val(s, mochi_rep(row)));
                mochi_release_slot(s, row);
            }
            at += len + (nl != NULL);
        }
    } else {
        DVal top;
        bool any = true;
        if (strcmp(o.format, "json") == 0)
            top = json_document(&c, &a, text.p, text.n, 1);
        else
            any = yaml_document(&c, &a, text.p, text.n, &top);
        if (any) {
            size_t n = top.k == D_OBJ ? 1 : top.n;
            check_rows(&c, &top);
            for (i = 0; i < n; i++) {
                const DVal *r = top.k == D_OBJ ? &top : &top.items[i].v;
                MSlot s = convert(&c, r, row, r->line, NULL);
                mochi_list_put(line, out, mochi_val(s, mochi_rep(row)));
                mochi_release_slot(s, row);
            }
        }
    }
    arena_free(&a);
    mochi_buf_free(&text);
    return &out->h;
}

/* ------------------------------------------------------------------ save: rows */

typedef struct {
    const char *key;
    size_t klen;
    MVal v;
} Entry;

/* the entries of a row (a map, or a struct with its "__name"), unsorted; the key
 * texts live in `keys` (offsets until it stops growing) */
static size_t row_entries(MVal v, Entry **out, MBuf *keys, mref *name)
{
    size_t n, i;
    if (v.k == V_STRUCT) {
        MStruct *s = (MStruct *)v.v.r;
        const MStructDesc *d = s->desc;
        n = (size_t)d->nfields + 1;
        *out = mochi_grow(0, NULL, (int64_t)n, sizeof **out);
        for (i = 0; i < (size_t)d->nfields; i++) {
            (*out)[i].key = d->field_names[i];
            (*out)[i].klen = strlen(d->field_names[i]);
            (*out)[i].v = mochi_val(s->f[i], mochi_rep(d->field_types[i]));
        }
        *name = mochi_str_new(0, d->name, (int64_t)strlen(d->name));
        (*out)[i].key = "__name";
        (*out)[i].klen = 6;
        (*out)[i].v = mochi_val_ref(*name);
        return n;
    }
    {
        MMap *m = (MMap *)v.v.r;
        const int64_t *order = mochi_map_order(m);
        size_t *at;
        n = (size_t)m->len;
        *out = mochi_grow(0, NULL, (int64_t)n + 1, sizeof **out);
        at = mochi_grow(0, NULL, (int64_t)n + 1, sizeof *at);
        keys->n = 0;
        for (i = 0; i < n; i++) {
            MEntry *e = &m->ent[order[i]];
            at[i] = keys->n;
            mochi_fmt_key(keys, mochi_val(e->key, mochi_rep(m->key)));
            (*out)[i].klen = keys->n - at[i];
            (*out)[i].v = mochi_val(e->val, mochi_rep(m->value));
        }
        for (i = 0; i < n; i++)
            (*out)[i].key = keys->p + at[i];
        free(at);
        *name = NULL;
        return n;
    }
}

static int entry_cmp(const void *a, const void *b)
{
    const Entry *x = a, *y = b;
    int c = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);
    return c != 0 ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* ------------------------------------------------------------------ save: CSV */

static bool go_space(uint32_t cp)
{
    return cp == '\t' || cp == '\n' || cp == '\v' || cp == '\f' || cp == '\r' || cp == ' ' ||
           cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* a field as Go's csv.Writer writes it: quoted when it holds the delimiter, a quote
 * or a line break, is `\.`, or starts with white space */
static void csv_field(MBuf *b, const char *s, size_t n, char delim)
{
    size_t i;
    bool quote = false;
    int len;
    if (n == 0)
        return;
    if (n == 2 && s[0] == '\\' && s[1] == '.')
        quote = true;
    for (i = 0; i < n && !quote; i++)
        if (s[i] == delim || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            quote = true;
    if (!quote && go_space(mochi_utf8_decode(s, (int64_t)n, &len)))
        quote = true;
    if (!quote) {
        mochi_buf_put(b, s, n);
        return;
    }
    mochi_buf_putc(b, '"');
    for (i = 0; i < n; i++) {
        if (s[i] == '"')
            mochi_buf_putc(b, '"');
        mochi_buf_putc(b, s[i]);
    }
    mochi_buf_putc(b, '"');
}

static void csv_cell(const Ctx *c, MBuf *b, MVal v, char delim)
{
    MBuf t = {NULL, 0, 0};
    switch (v.k) {
    case V_NONE: break;
    case V_STR: mochi_buf_put(&t, ((MStr *)v.v.r)->data, (size_t)((MStr *)v.v.r)->nbytes); break;
    case V_BOOL: mochi_buf_puts(&t, v.v.b ? "true" : "false"); break;
    case V_INT: mochi_buf_printf(&t, "%lld", (long long)v.v.i); break;
    case V_FLOAT: mochi_fmt_float_plain(&t, v.v.f); break;
    default:
        if (!mochi_fmt_json_compact(&t, v))
            mochi_error(c->line, "cannot save a value JSON cannot hold (NaN, an infinity, a "
                                 "function or a cycle)");
    }
    csv_field(b, t.p ? t.p : "", t.n, delim);
    mochi_buf_free(&t);
}

static void csv_text(const Ctx *c, MBuf *b, MList *rows, bool header, char delim)
{
    Entry *cols = NULL;
    MBuf keys = {NULL, 0, 0};
    mref name = NULL;
    size_t ncols, i, k;
    int64_t r;
    if (rows->len == 0) {
        if (header)
            mochi_buf_putc(b, '\n');
        return;
    }
    ncols = row_entries(mochi_list_at(rows, 0), &cols, &keys, &name);
    qsort(cols, ncols, sizeof *cols, entry_cmp);
    if (header) {
        for (i = 0; i < ncols; i++) {
            if (i > 0)
                mochi_buf_putc(b, delim);
            csv_field(b, cols[i].key, cols[i].klen, delim);
        }
        mochi_buf_putc(b, '\n');
    }
    for (r = 0; r < rows->len; r++) {
        Entry *es = NULL;
        MBuf rk = {NULL, 0, 0};
        mref rn = NULL;
        size_t ne = row_entries(mochi_list_at(rows, r), &es, &rk, &rn);
        for (i = 0; i < ncols; i++) {
            MVal v = mochi_val_ref(NULL);
            for (k = 0; k < ne; k++)
                if (es[k].klen == cols[i].klen && memcmp(es[k].key, cols[i].key, es[k].klen) == 0)
                    v = es[k].v;
            if (i > 0)
                mochi_buf_putc(b, delim);
            csv_cell(c, b, v, delim);
        }
        mochi_buf_putc(b, '\n');
        free(es);
        mochi_buf_free(&rk);
        mochi_release(rn);
    }
    free(cols);
    mochi_buf_free(&keys);
    mochi_release(name);
}

/* ------------------------------------------------------------------ save: YAML */

static uint32_t cp_at(const char *s, size_t n, size_t i, int *w)
{
    return mochi_utf8_decode(s + i, (int64_t)(n - i), w);
}

static bool y_break(uint32_t cp)
{
    return cp == '\r' || cp == '\n' || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

/* libyaml's printable characters */
static bool y_printable(uint32_t cp)
{
    return cp == 0x0A || (cp >= 0x20 && cp <= 0x7E) || (cp >= 0xA0 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD && cp != 0xFEFF);
}

typedef struct {
    bool multiline, block_plain, single_ok, block_ok;
} Analysis;

/* what libyaml's analyzer finds out about a scalar */
static Analysis analyze(const char *s, size_t n)
{
    Analysis a = {false, true, true, true};
    bool block_ind, lead_space = false, lead_break = false, trail_space = false,
         trail_break = false, break_space = false, space_break = false, tabs = false,
         special = false, breaks = false, prev_space = false, prev_break = false,
         preceded_ws = true;
    size_t i;
    int w;
    if (n == 0)
        return a;
    block_ind = n >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0);
    for (i = 0; i < n; i += (size_t)w) {
        uint32_t cp = cp_at(s, n, i, &w);
        bool followed_ws = i + (size_t)w >= n || sp(s[i + (size_t)w]);
        bool last = i + (size_t)w >= n;
        if (i == 0) {
            if (cp < 0x80 && strchr("#,[]{}&*!|>'\"%@`", (int)cp) != NULL)
                block_ind = true;
            else if ((cp == '?' || cp == ':' || cp == '-') && followed_ws)
                block_ind = true;
        } else if ((cp == ':' && followed_ws) || (cp == '#' && preceded_ws)) {
            block_ind = true;
        }
        if (cp == '\t')
            tabs = true;
        else if (!y_printable(cp))
            special = true;
        if (cp == ' ') {
            lead_space |= i == 0;
            trail_space |= last;
            break_space |= prev_break;
            prev_space = true;
            prev_break = false;
        } else if (y_break(cp)) {
            breaks = true;
            lead_break |= i == 0;
            trail_break |= last;
            space_break |= prev_space;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = prev_break = false;
        }
        preceded_ws = cp == ' ' || cp == '\t' || y_break(cp);
    }
    a.multiline = breaks;
    if (lead_space || lead_break || trail_space || trail_break)
        a.block_plain = false;
    if (trail_space)
        a.block_ok = false;
    if (break_space || space_break || tabs || special)
        a.block_plain = a.single_ok = false;
    if (space_break || special)
        a.block_ok = false;
    if (breaks || block_ind)
        a.block_plain = false;
    return a;
}

enum { S_PLAIN, S_SINGLE, S_DOUBLE, S_LITERAL };

static bool base60(const char *s, size_t n)
{
    size_t i = 0, groups = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i >= n || !is_digit(s[i]))
        return false;
    while (i < n && (is_digit(s[i]) || s[i] == '_'))
        i++;
    while (i < n && s[i] == ':') {
        size_t d = 0;
        i++;
        if (i < n && s[i] >= '0' && s[i] <= '5' && i + 1 < n && is_digit(s[i + 1]))
            i += 2, d = 2;
        else if (i < n && is_digit(s[i]))
            i++, d = 1;
        if (d == 0)
            return false;
        groups++;
    }
    if (groups == 0)
        return false;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && (is_digit(s[i]) || s[i] == '_'))
            i++;
    }
    return i == n;
}

/* the style yaml.v3 asks for a string: literal when it has a line break, plain
 * when it would read back as the same string, else double quotes */
static int string_style(const char *s, size_t n)
{
    static const char *const old_bools[] = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
                                            "n", "N", "no", "No", "NO", "off", "Off", "OFF",
                                            NULL};
    DVal ignored;
    if (memchr(s, '\n', n) != NULL)
        return S_LITERAL;
    if (yaml_resolve(s, n, &ignored) == R_STR && !base60(s, n) && !eq_any(s, n, old_bools))
        return S_PLAIN;
    return S_DOUBLE;
}

typedef struct {
    const Ctx *c;
    MBuf *b;
    long column, indent;
    long *indents;
    size_t nind, capind;
    bool whitespace, indention;
} YOut;

enum { C_ROOT, C_ITEM, C_KEY, C_COMPLEX_KEY, C_VALUE };

static void y_put(YOut *o, const char *s, size_t n, long width)
{
    mochi_buf_put(o->b, s, n);
    o->column += width;
}

static void y_break_line(YOut *o)
{
    mochi_buf_putc(o->b, '\n');
    o->column = 0;
    o->indention = true;
}

static void y_write_indent(YOut *o)
{
    long indent = o->indent < 0 ? 0 : o->indent;
    if (!o->indention || o->column > indent || (o->column == indent && !o->whitespace))
        y_break_line(o);
    while (o->column < indent)
        y_put(o, " ", 1, 1);
    o->whitespace = true;
}

static void y_indicator(YOut *o, const char *text, bool need_ws, bool is_ws, bool is_indention)
{
    if (need_ws && !o->whitespace)
        y_put(o, " ", 1, 1);
    y_put(o, text, strlen(text), (long)strlen(text));
    o->whitespace = is_ws;
    o->indention = o->indention && is_indention;
}

static void y_increase(YOut *o, bool flow, bool in_item)
{
    if (o->nind == o->capind) {
        o->capind = o->capind ? 2 * o->capind : 16;
        o->indents = mochi_grow(o->c->line, o->indents, (int64_t)o->capind, sizeof *o->indents);
    }
    o->indents[o->nind++] = o->indent;
    if (o->indent < 0)
        o->indent = flow ? 4 : 0;
    else if (in_item)
        o->indent += 2; /* the first indentation in a sequence skips the "- " */
    else
        o->indent = 4 * ((o->indent + 4) / 4);
}

static void y_decrease(YOut *o)
{
    o->indent = o->indents[--o->nind];
}

/* one character of text (UTF-8 at s[i], w bytes), counted as one column */
static void y_char(YOut *o, const char *s, int w)
{
    y_put(o, s, (size_t)w, 1);
}

static void y_double(YOut *o, const char *s, size_t n)
{
    size_t i;
    int w;
    bool all = n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0; /* libyaml then escapes all */
    y_indicator(o, "\"", true, false, false);
    for (i = 0; i < n; i += (size_t)w) {
        uint32_t cp = cp_at(s, n, i, &w);
        const char *named = NULL;
        char esc[16];
        if (y_printable(cp) && !all && !y_break(cp) && cp != '"' && cp != '\\') {
            y_char(o, s + i, w);
            continue;
        }
        switch (cp) {
        case 0x00: named = "\\0"; break;
        case 0x07: named = "\\a"; break;
        case 0x08: named = "\\b"; break;
        case 0x09: named = "\\t"; break;
        case 0x0A: named = "\\n"; break;
        case 0x0B: named = "\\v"; break;
        case 0x0C: named = "\\f"; break;
        case 0x0D: named = "\\r"; break;
        case 0x1B: named = "\\e"; break;
        case 0x22: named = "\\\""; break;
        case 0x5C: named = "\\\\"; break;
        case 0x85: named = "\\N"; break;
        case 0xA0: named = "\\_"; break;
        case 0x2028: named = "\\L"; break;
        case 0x2029: named = "\\P"; break;
        default:
            snprintf(esc, sizeof esc, cp <= 0xFF ? "\\x%02X" : cp <= 0xFFFF ? "\\u%04X" : "\\U%08X",
                     (unsigned)cp);
            named = esc;
        }
        y_put(o, named, strlen(named), (long)strlen(named));
    }
    y_indicator(o, "\"", false, false, false);
    o->whitespace = o->indention = false;
}

static void y_single(YOut *o, const char *s, size_t n)
{
    size_t i;
    int w;
    bool breaks = false;
    y_indicator(o, "'", true, false, false);
    for (i = 0; i < n; i += (size_t)w) {
        uint32_t cp = cp_at(s, n, i, &w);
        if (cp == ' ') {
            y_char(o, s + i, w);
        } else if (y_break(cp)) {
            mochi_buf_put(o->b, s + i, (size_t)w);
            o->column = 0;
            o->indention = true;
            breaks = true;
        } else {
            if (breaks)
                y_write_indent(o);
            if (cp == '\'')
                y_put(o, "'", 1, 1);
            y_char(o, s + i, w);
            o->indention = false;
            breaks = false;
        }
    }
    y_indicator(o, "'", false, false, false);
    o->whitespace = o->indention = false;
}

static void y_literal(YOut *o, const char *s, size_t n)
{
    size_t i, last = n;
    int w;
    bool breaks = true;
    uint32_t first;
    y_indicator(o, "|", true, false, false);
    first = cp_at(s, n, 0, &w);
    if (first == ' ' || y_break(first))
        y_indicator(o, "4", false, false, false);
    while (last > 0 && ((unsigned char)s[last - 1] & 0xC0) == 0x80)
        last--;
    last--; /* the start of the last character */
    if (!y_break(cp_at(s, n, last, &w))) {
        y_indicator(o, "-", false, false, false);
    } else {
        size_t prev = last;
        if (last == 0) {
            y_indicator(o, "+", false, false, false);
        } else {
            prev--;
            while (prev > 0 && ((unsigned char)s[prev] & 0xC0) == 0x80)
                prev--;
            if (y_break(cp_at(s, n, prev, &w)))
                y_indicator(o, "+", false, false, false);
        }
    }
    o->whitespace = true;
    for (i = 0; i < n; i += (size_t)w) {
        uint32_t cp = cp_at(s, n, i, &w);
        if (y_break(cp)) {
            if (cp == '\n') {
                y_break_line(o);
            } else {
                mochi_buf_put(o->b, s + i, (size_t)w);
                o->column = 0;
                o->indention = true;
            }
            breaks = true;
        } else {
            if (breaks)
                y_write_indent(o);
            y_char(o, s + i, w);
            o->indention = false;
            breaks = false;
        }
    }
}

static void y_scalar(YOut *o, const char *s, size_t n, int style, int ctx)
{
    Analysis a = analyze(s, n);
    bool simple_key = ctx == C_KEY;
    if (simple_key && a.multiline)
        style = S_DOUBLE;
    if (style == S_PLAIN && (!a.block_plain || (n == 0 && simple_key)))
        style = S_SINGLE;
    if (style == S_SINGLE && !a.single_ok)
        style = S_DOUBLE;
    if (style == S_LITERAL && (!a.block_ok || simple_key))
        style = S_DOUBLE;
    y_increase(o, true, ctx == C_ITEM);
    switch (style) {
    case S_PLAIN: {
        size_t i;
        int w;
        if (n > 0 && !o->whitespace)
            y_put(o, " ", 1, 1);
        for (i = 0; i < n; i += (size_t)w) {
            cp_at(s, n, i, &w);
            y_char(o, s + i, w);
        }
        if (n > 0)
            o->whitespace = false;
        o->indention = false;
        break;
    }
    case S_SINGLE: y_single(o, s, n); break;
    case S_DOUBLE: y_double(o, s, n); break;
    default: y_literal(o, s, n); break;
    }
    y_decrease(o);
}

static bool uni_digit(uint32_t cp)
{
    return mochi_uni_digit(cp);
}

/* v accumulated over the run of decimal digits at s[*i] (each digit counted as its
 * code point minus '0', in Go's int64), *count its length in characters */
static int64_t digit_run(const char *s, size_t n, size_t *i, int64_t v, size_t *count)
{
    int w;
    uint32_t cp;
    while (*i < n && uni_digit(cp = cp_at(s, n, *i, &w))) {
        v = (int64_t)((uint64_t)v * 10 + (uint64_t)((int64_t)cp - '0'));
        *i += (size_t)w;
        (*count)++;
    }
    return v;
}

/* yaml.v3's order of map keys: letters by code point and before other characters
 * (after them following a digit), runs of digits by their value */
static int yaml_key_cmp(const void *pa, const void *pb)
{
    const Entry *x = pa, *y = pb;
    const char *a = x->key, *b = y->key;
    size_t an = x->klen, bn = y->klen, i = 0, j = 0, na = 0, nb = 0;
    bool digits = false;
    while (i < an && j < bn) {
        int wa, wb;
        uint32_t ca = cp_at(a, an, i, &wa), cb = cp_at(b, bn, j, &wb);
        bool al, bl;
        int64_t va = 0, vb = 0;
        size_t ai, bi, ra = 0, rb = 0;
        if (ca == cb) {
            digits = uni_digit(ca);
            i += (size_t)wa;
            j += (size_t)wb;
            na++, nb++;
            continue;
        }
        al = mochi_uni_letter(ca);
        bl = mochi_uni_letter(cb);
        if (al && bl)
            return ca < cb ? -1 : 1;
        if (al || bl)
            return (digits ? al : bl) ? -1 : 1;
        if (ca == '0' || cb == '0') {
            /* a run of digits before this point that is not all zeros */
            size_t k = i;
            while (k > 0) {
                size_t p = k - 1;
                int pw;
                uint32_t pc;
                while (p > 0 && ((unsigned char)a[p] & 0xC0) == 0x80)
                    p--;
                pc = cp_at(a, an, p, &pw);
                if (!uni_digit(pc))
                    break;
                if (pc != '0') {
                    va = vb = 1;
                    break;
                }
                k = p;
            }
        }
        ai = i;
        bi = j;
        va = digit_run(a, an, &ai, va, &ra);
        vb = digit_run(b, bn, &bi, vb, &rb);
        if (va != vb)
            return va < vb ? -1 : 1;
        if (ra != rb) /* the longer run of digits (in characters) after */
            return ra < rb ? -1 : 1;
        return ca < cb ? -1 : 1;
    }
    {
        size_t ra = 0, rb = 0;
        int w;
        for (; i < an; i += (size_t)w, ra++)
            cp_at(a, an, i, &w);
        for (; j < bn; j += (size_t)w, rb++)
            cp_at(b, bn, j, &w);
        return na + ra < nb + rb ? -1 : na + ra > nb + rb ? 1 : 0;
    }
}

static void y_node(YOut *o, MVal v, int ctx);

static void y_entries(YOut *o, MVal v, int ctx)
{
    Entry *es = NULL;
    MBuf keys = {NULL, 0, 0};
    mref name = NULL;
    size_t n = row_entries(v, &es, &keys, &name), i;
    if (n == 0) {
        y_indicator(o, "{", true, true, false);
        y_indicator(o, "}", false, false, false);
    } else {
        qsort(es, n, sizeof *es, yaml_key_cmp);
        y_increase(o, false, ctx == C_ITEM);
        for (i = 0; i < n; i++) {
            bool simple = es[i].klen <= 128;
            size_t k;
            int w;
            for (k = 0; k < es[i].klen && simple; k += (size_t)w)
                if (y_break(cp_at(es[i].key, es[i].klen, k, &w)))
                    simple = false;
            y_write_indent(o);
            if (simple) {
                y_scalar(o, es[i].key, es[i].klen, string_style(es[i].key, es[i].klen), C_KEY);
                y_indicator(o, ":", false, false, false);
            } else {
                y_indicator(o, "?", true, false, true);
                y_scalar(o, es[i].key, es[i].klen, string_style(es[i].key, es[i].klen),
                         C_COMPLEX_KEY);
                y_write_indent(o);
                y_indicator(o, ":", true, false, true);
            }
            y_node(o, es[i].v, C_VALUE);
        }
        y_decrease(o);
    }
    free(es);
    mochi_buf_free(&keys);
    mochi_release(name);
}

static void y_container(YOut *o, MVal v, int ctx);

static void y_node(YOut *o, MVal v, int ctx)
{
    char buf[64];
    int len;
    switch (v.k) {
    case V_LIST: case V_MAP: case V_STRUCT:
        if (v.v.r->flags & MF_VISITING)
            mochi_error(o->c->line, "cannot save a value that contains itself");
        v.v.r->flags |= MF_VISITING;
        y_container(o, v, ctx);
        v.v.r->flags &= (uint16_t)~MF_VISITING;
        return;
    case V_STR: {
        MStr *s = (MStr *)v.v.r;
        y_scalar(o, s->data, (size_t)s->nbytes, string_style(s->data, (size_t)s->nbytes), ctx);
        return;
    }
    case V_NONE: y_scalar(o, "null", 4, S_PLAIN, ctx); return;
    case V_BOOL: y_scalar(o, v.v.b ? "true" : "false", v.v.b ? 4 : 5, S_PLAIN, ctx); return;
    case V_INT:
        len = snprintf(buf, sizeof buf, "%lld", (long long)v.v.i);
        y_scalar(o, buf, (size_t)len, S_PLAIN, ctx);
        return;
    case V_FLOAT: {
        const char *t = buf;
        if (v.v.f != v.v.f)
            t = ".nan";
        else if (isinf(v.v.f))
            t = v.v.f > 0 ? ".inf" : "-.inf";
        else
            mochi_format_float(v.v.f, buf, sizeof buf);
        y_scalar(o, t, strlen(t), S_PLAIN, ctx);
        return;
    }
    default:
        mochi_error(o->c->line, "yaml: cannot save a function");
    }
}

static void y_container(YOut *o, MVal v, int ctx)
{
    MList *l = (MList *)v.v.r;
    int64_t i;
    if (v.k != V_LIST) {
        y_entries(o, v, ctx);
        return;
    }
    if (l->len == 0) {
        y_indicator(o, "[", true, true, false);
        y_indicator(o, "]", false, false, false);
        return;
    }
    y_increase(o, false, ctx == C_ITEM);
    for (i = 0; i < l->len; i++) {
        y_write_indent(o);
        y_indicator(o, "-", true, false, true);
        y_node(o, mochi_list_at(l, i), C_ITEM);
    }
    y_decrease(o);
}

/* ------------------------------------------------------------------ save */

void mochi_save(int32_t line, mref rows, mref path, mref opts)
{
    const char *p = path != NULL && path->kind == MK_STR ? ((MStr *)path)->data : "-";
    Ctx c = {line, p};
    Opts o = options(line, opts, true);
    MVal v = mochi_val_ref(rows);
    MList *l;
    MBuf b = {NULL, 0, 0};
    int64_t i;
    if (v.k != V_LIST)
        mochi_error(line, "save needs a list of rows, not %s", mochi_val_type_name(v));
    l = (MList *)v.v.r;
    for (i = 0; i < l->len; i++) {
        MVal r = mochi_list_at(l, i);
        if (r.k != V_STRUCT && r.k != V_MAP)
            mochi_error(line, "save needs rows that are structs or maps, not %s",
                        mochi_val_type_name(r));
    }
    if (strcmp(o.format, "csv") == 0) {
        csv_text(&c, &b, l, o.header, o.delim);
    } else if (strcmp(o.format, "yaml") == 0) {
        YOut y = {&c, &b, 0, -1, NULL, 0, 0, true, true};
        y_node(&y, l->len == 1 ? mochi_list_at(l, 0) : v, C_ROOT);
        y_write_indent(&y);
        free(y.indents);
    } else {
        bool lines = strcmp(o.format, "jsonl") == 0, ok = true;
        if (lines) {
            for (i = 0; i < l->len && ok; i++) {
                ok = mochi_fmt_json_compact(&b, mochi_list_at(l, i));
                mochi_buf_putc(&b, '\n');
            }
        } else {
            ok = mochi_fmt_json_compact(&b, l->len == 1 ? mochi_list_at(l, 0) : v);
            mochi_buf_putc(&b, '\n');
        }
        if (!ok)
            mochi_error(line, "cannot save a value JSON cannot hold (NaN, an infinity, a "
                              "function or a cycle)");
    }
    if (strcmp(p, "-") == 0 || p[0] == '\0') {
        fwrite(b.p, 1, b.n, stdout);
    } else {
        FILE *f = fopen(p, "wb");
        if (f == NULL)
            mochi_error(line, "cannot create %s: %s", p, io_reason(errno, "cannot write it"));
        fwrite(b.p, 1, b.n, f);
        fclose(f);
    }
    mochi_buf_free(&b);
}
