/* The core of the runtime: start-up and exit, runtime errors, memory
 * (allocation and reference counting), the built-in type descriptors, boxing
 * and unboxing of `any` values, structs, closures, cells and integer division.
 *
 * Reference counting.  mochi_release frees an object whose count drops to
 * zero; freeing releases what the object holds, which may free more.  To
 * keep a long chain (a million-node linked list) from recursing a million
 * frames deep, dying objects go on an explicit stack that the outermost
 * release drains.
 *
 * Boxes.  A ref needs no box: every heap object says what it is, so boxing a
 * ref as `any` returns the ref itself.  Scalars are boxed in an MBox; the
 * boxes of true, false and the small ints are immortal and shared. */
#include "mochi_internal.h"

const char *mochi_source_file = "?";

/* ------------------------------------------------------------------ type descriptors */

const MType mochi_t_int = {MT_INT, NULL, NULL, NULL, NULL, "int"};
const MType mochi_t_float = {MT_FLOAT, NULL, NULL, NULL, NULL, "float"};
const MType mochi_t_bool = {MT_BOOL, NULL, NULL, NULL, NULL, "bool"};
const MType mochi_t_string = {MT_STRING, NULL, NULL, NULL, NULL, "string"};
const MType mochi_t_none = {MT_NONE, NULL, NULL, NULL, NULL, "none"};
const MType mochi_t_any = {MT_ANY, NULL, NULL, NULL, NULL, "any"};
const MType mochi_t_bigint = {MT_BIGINT, NULL, NULL, NULL, NULL, "bigint"};
const MType mochi_t_bigrat = {MT_BIGRAT, NULL, NULL, NULL, NULL, "bigrat"};

/* ------------------------------------------------------------------ lifecycle, errors */

void mochi_init(const char *file, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (file != NULL)
        mochi_source_file = file;
    mochi_io_init();
}

void mochi_exit(int status)
{
    mochi_flush_output();
    exit(status);
}

/* A runtime error's message goes out through this buffer, in as few writes as it
 * fits in, and is formatted here rather than by printf: the messages use only %s and
 * %" PRId64 ", and a program that formats no float then links no printf. */
typedef struct ErrorText {
    char buf[512];
    size_t n;
} ErrorText;

static void error_put(ErrorText *e, const char *s, size_t n)
{
    while (n > 0) {
        size_t k = sizeof e->buf - e->n < n ? sizeof e->buf - e->n : n;
        memcpy(e->buf + e->n, s, k);
        e->n += k;
        s += k;
        n -= k;
        if (e->n == sizeof e->buf) {
            fwrite(e->buf, 1, e->n, stderr);
            e->n = 0;
        }
    }
}

static void error_int(ErrorText *e, int64_t v)
{
    char tmp[MOCHI_INT_DIGITS];
    int n;
    const char *p = mochi_fmt_int(v, tmp, &n);
    error_put(e, p, (size_t)n);
}

static void error_format(ErrorText *e, const char *fmt, va_list ap)
{
    const char *p = fmt, *q;
    for (;;) {
        for (q = p; *q != '\0' && *q != '%'; q++)
            ;
        error_put(e, p, (size_t)(q - p));
        if (*q == '\0')
            return;
        for (p = q + 1; *p == 'l'; p++) /* PRId64: ld or lld */
            ;
        if (*p == 's') {
            const char *s = va_arg(ap, const char *);
            error_put(e, s, strlen(s));
        } else if (*p == 'd') {
            error_int(e, va_arg(ap, int64_t));
        } else if (*p == '%') {
            error_put(e, "%", 1);
        } else {
            error_put(e, q, (size_t)(p - q)); /* not a conversion: as it is */
            continue;
        }
        p++;
    }
}

_Noreturn void mochi_error(int32_t line, const char *fmt, ...)
{
    va_list ap;
    ErrorText e;
    e.n = 0;
    mochi_flush_output();
    error_put(&e, mochi_source_file, strlen(mochi_source_file));
    error_put(&e, ":", 1);
    error_int(&e, line);
    error_put(&e, ": runtime error: ", 17);
    va_start(ap, fmt);
    error_format(&e, fmt, ap);
    va_end(ap);
    error_put(&e, "\n", 1);
    fwrite(e.buf, 1, e.n, stderr);
    fflush(stderr);
    exit(1);
}

_Noreturn void mochi_nil(int32_t line)
{
    mochi_error(line, "nil dereference");
}

/* ------------------------------------------------------------------ memory */

void *mochi_alloc(int32_t line, size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        mochi_error(line, "out of memory");
    return p;
}

void *mochi_grow(int32_t line, void *p, int64_t n, size_t elem)
{
    void *q;
    if (n < 0 || (uint64_t)n > SIZE_MAX / elem)
        mochi_error(line, "out of memory");
    q = realloc(p, n ? (size_t)n * elem : 1);
    if (q == NULL)
        mochi_error(line, "out of memory");
    return q;
}

/* Small objects.  Those of up to POOL_CLASSES * POOL_GRAIN bytes (structs,
 * boxes, cells, closures, list and map headers) are recycled through free
 * lists, one per 16 bytes of size: a program that builds and drops many
 * small objects (binary-trees) mostly skips malloc and free.  Freed objects
 * stay with the process for the next allocation of their class.  Sanitizer
 * builds call malloc and free directly, so that ASan sees every object's
 * life.  The runtime runs Mochi code on one thread (the `dying` stack of
 * mochi_release is as shared). */
#if defined(__SANITIZE_ADDRESS__)
#define MOCHI_NO_POOL 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MOCHI_NO_POOL 1
#endif
#endif

enum { POOL_GRAIN = 16, POOL_CLASSES = 8 };
#ifndef MOCHI_NO_POOL
static void *pool[POOL_CLASSES];

/* the kinds whose flags are free for MF_POOLED (strings' and big numbers' are theirs) */
static bool poolable(unsigned kind)
{
    return kind != MK_STR && kind != MK_BIGINT && kind != MK_BIGRAT;
}
#endif

void *mochi_new(int32_t line, size_t size, MKind kind)
{
    MHeader *h;
#ifndef MOCHI_NO_POOL
    if (size <= POOL_GRAIN * POOL_CLASSES && poolable(kind)) {
        size_t c = (size - 1) / POOL_GRAIN;
        h = pool[c];
        if (h != NULL) {
            pool[c] = *(void **)h;
            memset(h, 0, (c + 1) * POOL_GRAIN);
        } else if ((h = calloc(1, (c + 1) * POOL_GRAIN)) == NULL) {
            mochi_error(line, "out of memory");
        }
        h->flags = (uint16_t)(MF_POOLED | c << MF_POOL_SHIFT);
        h->rc = 1;
        h->kind = (uint16_t)kind;
        return h;
    }
#endif
    h = calloc(1, size);
    if (h == NULL)
        mochi_error(line, "out of memory");
    h->rc = 1;
    h->kind = (uint16_t)kind;
    return h;
}

void mochi_retain(mref o)
{
    if (o != NULL && o->rc >= 0)
        o->rc++;
}

void mochi_release_slot(MSlot s, const MType *t)
{
    if (mochi_rep(t) == REP_REF)
        mochi_release(s.r);
}

static void free_object(mref o)
{
    int64_t i;
    switch (o->kind) {
    case MK_STR:
        mochi_str_forget((MStr *)o);
        break;
    case MK_LIST: {
        MList *l = (MList *)o;
        if (mochi_rep(l->elem) == REP_REF)
            for (i = 0; i < l->len; i++)
                mochi_release(l->items[i].r);
        free(l->items);
        break;
    }
    case MK_MAP:
        mochi_map_free((MMap *)o);
        break;
    case MK_STRUCT: {
        MStruct *s = (MStruct *)o;
        for (i = 0; i < s->desc->nfields; i++)
            mochi_release_slot(s->f[i], s->desc->field_types[i]);
        break;
    }
    case MK_CLOSURE: {
        MClosure *c = (MClosure *)o;
        if (c->cap_types != NULL)
            for (i = 0; i < c->ncaps; i++)
                mochi_release_slot(c->caps[i], c->cap_types[i]);
        break;
    }
    case MK_CELL:
        mochi_release_slot(((MCell *)o)->v, ((MCell *)o)->t);
        break;
    case MK_GROUP:
        mochi_release(((MGroup *)o)->key);
        mochi_release(&((MGroup *)o)->items->h);
        break;
    case MK_BIGINT:
    case MK_BIGRAT:
        mochi_big_free(o);
        break;
    default:
        break;
    }
#ifndef MOCHI_NO_POOL
    if (poolable(o->kind) && (o->flags & MF_POOLED)) {
        size_t c = (size_t)(o->flags >> MF_POOL_SHIFT);
        *(void **)o = pool[c];
        pool[c] = o;
        return;
    }
#endif
    free(o);
}

static mref *dying;
static int64_t ndying, capdying;
static bool draining;

void mochi_release(mref o)
{
    if (o == NULL || o->rc <= 0 || --o->rc > 0)
        return;
    if (ndying == capdying) {
        capdying = capdying ? 2 * capdying : 64;
        dying = mochi_grow(0, dying, capdying, sizeof *dying);
    }
    dying[ndying++] = o;
    if (draining)
        return;
    draining = true;
    while (ndying > 0)
        free_object(dying[--ndying]);
    draining = false;
}

/* ------------------------------------------------------------------ ints */

_Noreturn void mochi_overflow(int32_t line)
{
    mochi_error(line, "integer overflow");
}

int64_t mochi_mul_i64_call(int32_t line, int64_t a, int64_t b)
{
    return mochi_mul_i64(line, a, b);
}

int64_t mochi_div_i64(int32_t line, int64_t a, int64_t b)
{
    if (b == 0)
        mochi_error(line, "division by zero");
    if (b == -1)
        return mochi_neg_i64(line, a); /* INT64_MIN / -1 does not fit */
    return a / b;
}

int64_t mochi_rem_i64(int32_t line, int64_t a, int64_t b)
{
    if (b == 0)
        mochi_error(line, "division by zero");
    if (b == -1)
        return 0;
    return a % b;
}

int64_t mochi_f2i(int32_t line, double f)
{
    if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0))
        mochi_overflow(line); /* NaN, infinities, out of range: no int holds it */
    return (int64_t)f;
}

int64_t mochi_pow_i64(int32_t line, int64_t a, int64_t b)
{
    int64_t r = 1;
    if (b <= 0)
        return 1;
    if (a == 0 || a == 1)
        return a;
    if (a == -1)
        return b % 2 == 0 ? 1 : -1;
    for (;;) { /* |a| >= 2: at most 63 squarings before the result overflows */
        if (b & 1)
            r = mochi_mul_i64(line, r, a);
        b >>= 1;
        if (b == 0)
            return r;
        a = mochi_mul_i64(line, a, a);
    }
}

/* ------------------------------------------------------------------ dynamic values */

MVal mochi_val_ref_any(mref r)
{
    MVal v;
    v.v.r = r;
    v.box = NULL;
    if (r == NULL) {
        v.k = V_NONE;
        return v;
    }
    switch (r->kind) {
    case MK_BOX: {
        MBox *b = (MBox *)r;
        MRep rep = mochi_rep(b->t);
        if (rep == REP_REF)
            return mochi_val_ref(b->v.r);
        v = mochi_val(b->v, rep);
        v.box = r;
        return v;
    }
    case MK_STR: v.k = V_STR; break;
    case MK_LIST: v.k = V_LIST; break;
    case MK_MAP: v.k = V_MAP; break;
    case MK_STRUCT: v.k = V_STRUCT; break;
    case MK_CLOSURE: v.k = V_FUN; break;
    case MK_CELL: v.k = V_CELL; break;
    case MK_BIGINT: v.k = V_BIGINT; break;
    case MK_BIGRAT: v.k = V_BIGRAT; break;
    default: v.k = V_GROUP; break;
    }
    return v;
}

mref mochi_val_to_ref(int32_t line, MVal v)
{
    if (v.box != NULL) {
        mochi_retain(v.box);
        return v.box;
    }
    switch (v.k) {
    case V_INT: return mochi_box_i64(line, v.v.i, &mochi_t_int);
    case V_FLOAT: return mochi_box_f64(line, v.v.f, &mochi_t_float);
    case V_BOOL: return mochi_box_bool(line, v.v.b, &mochi_t_bool);
    case V_NONE: return NULL;
    default:
        mochi_retain(v.v.r);
        return v.v.r;
    }
}

bool mochi_val_store(int32_t line, MVal v, MRep rep, MSlot *out)
{
    switch (rep) {
    case REP_I64:
        if (v.k != V_INT)
            return false;
        break;
    case REP_F64:
        if (v.k != V_FLOAT)
            return false;
        break;
    case REP_BOOL:
        if (v.k != V_BOOL)
            return false;
        break;
    default:
        out->r = mochi_val_to_ref(line, v);
        return true;
    }
    *out = v.v;
    return true;
}

static _Noreturn void cast_error(int32_t line, MVal v, const MType *t)
{
    MBuf b = {NULL, 0, 0};
    mochi_type_str(&b, t);
    mochi_error(line, "cannot cast %s to %s", mochi_val_type_name(v), b.p);
}

MSlot mochi_val_as(int32_t line, MVal v, MRep rep)
{
    MSlot s;
    s.i = 0;
    switch (rep) {
    case REP_I64:
        if (v.k == V_INT)
            return v.v;
        if (v.k == V_BIGINT) /* the reference lets a bigint stand for an int */
            s.i = mochi_big_to_i64(line, v.v.r);
        else if (v.k != V_NONE)
            cast_error(line, v, &mochi_t_int);
        return s;
    case REP_F64:
        if (v.k == V_FLOAT)
            return v.v;
        if (v.k == V_INT || v.k == V_BIGINT || v.k == V_BIGRAT)
            s.f = mochi_val_to_f64(line, v);
        else if (v.k == V_NONE)
            s.f = 0.0;
        else
            cast_error(line, v, &mochi_t_float);
        return s;
    case REP_BOOL:
        if (v.k == V_BOOL)
            return v.v;
        if (v.k != V_NONE)
            cast_error(line, v, &mochi_t_bool);
        s.b = false;
        return s;
    default:
        s.r = mochi_val_to_ref(line, v);
        return s;
    }
}

/* ------------------------------------------------------------------ boxing */

enum { SMALL_MIN = -128, SMALL_MAX = 1023 };
static MBox small_ints[SMALL_MAX - SMALL_MIN + 1];
static MBox box_true = {{-1, MK_BOX, 0}, &mochi_t_bool, {.b = true}};
static MBox box_false = {{-1, MK_BOX, 0}, &mochi_t_bool, {.b = false}};

mref mochi_box_i64(int32_t line, int64_t v, const MType *t)
{
    MBox *b;
    if (v >= SMALL_MIN && v <= SMALL_MAX) {
        b = &small_ints[v - SMALL_MIN];
        if (b->h.rc == 0) { /* first use */
            b->h.rc = -1;
            b->h.kind = MK_BOX;
            b->t = &mochi_t_int;
            b->v.i = v;
        }
        return &b->h;
    }
    b = mochi_new(line, sizeof *b, MK_BOX);
    b->t = t != NULL ? t : &mochi_t_int;
    b->v.i = v;
    return &b->h;
}

mref mochi_box_f64(int32_t line, double v, const MType *t)
{
    MBox *b = mochi_new(line, sizeof *b, MK_BOX);
    b->t = t != NULL ? t : &mochi_t_float;
    b->v.f = v;
    return &b->h;
}

mref mochi_box_bool(int32_t line, bool v, const MType *t)
{
    (void)line;
    (void)t;
    return v ? &box_true.h : &box_false.h;
}

mref mochi_box_ref(int32_t line, mref v, const MType *t)
{
    (void)line;
    (void)t;
    mochi_retain(v);
    return v;
}

int64_t mochi_unbox_i64(int32_t line, mref v, const MType *t)
{
    (void)t;
    return mochi_val_as(line, mochi_val_ref(v), REP_I64).i;
}

double mochi_unbox_f64(int32_t line, mref v, const MType *t)
{
    (void)t;
    return mochi_val_as(line, mochi_val_ref(v), REP_F64).f;
}

bool mochi_unbox_bool(int32_t line, mref v, const MType *t)
{
    (void)t;
    return mochi_val_as(line, mochi_val_ref(v), REP_BOOL).b;
}

static bool same_struct(const MStructDesc *a, const MStructDesc *b)
{
    return a == b || (a != NULL && b != NULL && a->name[0] == b->name[0] &&
                      strcmp(a->name, b->name) == 0);
}

/* A variant's descriptor may name its sum type in parent_sum_tag; without
 * it any struct passes as a sum-type value. */
static bool is_variant_of(const MStructDesc *d, const MType *sum)
{
    return d->parent_sum_tag == NULL || sum->name == NULL ||
           strcmp(d->parent_sum_tag->name, sum->name) == 0;
}

/* `m as Node` of a map (the reference VM's structs are maps): a struct of
 * the map's entries named like the fields; a missing field is its zero */
static mref struct_from_map(int32_t line, MMap *m, const MStructDesc *d)
{
    MStruct *s = (MStruct *)mochi_struct_new(line, d);
    int32_t i;
    for (i = 0; i < d->nfields; i++) {
        const MType *ft = d->field_types[i];
        mref name = mochi_str_new(line, d->field_names[i], (int64_t)strlen(d->field_names[i]));
        int64_t e = mochi_map_find(m, mochi_val_ref(name));
        MVal v = e >= 0 ? mochi_val(m->ent[e].val, mochi_rep(m->value)) : mochi_val_ref(NULL);
        mochi_release(name);
        if (mochi_rep(ft) == REP_REF) {
            mref r = mochi_val_to_ref(line, v);
            s->f[i].r = mochi_unbox_ref(line, r, ft);
            mochi_release(r);
        } else {
            s->f[i] = mochi_val_as(line, v, mochi_rep(ft));
        }
    }
    return &s->h;
}

mref mochi_unbox_ref(int32_t line, mref v, const MType *t)
{
    MVal x = mochi_val_ref(v);
    bool ok;
    switch (t->kind) {
    case MT_STRING:
        if (x.k == V_NONE)
            return mochi_str_empty();
        ok = x.k == V_STR;
        break;
    case MT_LIST: ok = x.k == V_LIST || x.k == V_NONE; break;
    case MT_MAP: ok = x.k == V_MAP || x.k == V_NONE; break;
    case MT_STRUCT:
        if (x.k == V_MAP && t->sd != NULL)
            return struct_from_map(line, (MMap *)v, t->sd);
        ok = x.k == V_NONE ||
             (x.k == V_STRUCT && same_struct(((MStruct *)v)->desc, t->sd));
        break;
    case MT_SUM:
        ok = x.k == V_NONE || (x.k == V_STRUCT && is_variant_of(((MStruct *)v)->desc, t));
        break;
    case MT_FUN: ok = x.k == V_FUN || x.k == V_NONE; break;
    case MT_BIGINT: /* an int becomes a bigint */
        if (x.k == V_INT)
            return mochi_big_from_i64(line, x.v.i);
        ok = x.k == V_BIGINT || x.k == V_NONE;
        break;
    case MT_BIGRAT: /* an int, float or bigint becomes a bigrat */
        switch (x.k) {
        case V_INT: return mochi_rat_from_i64(line, x.v.i);
        case V_FLOAT: return mochi_rat_from_f64(line, x.v.f);
        case V_BIGINT: return mochi_rat_from_big(line, x.v.r);
        default: break;
        }
        ok = x.k == V_BIGRAT || x.k == V_NONE;
        break;
    default: ok = true; break; /* any, options, groups */
    }
    if (!ok)
        cast_error(line, x, t);
    mochi_retain(v);
    return v;
}

mref mochi_conv(int32_t line, mref v, const MType *from, const MType *to)
{
    /* containers keep their identity: the accessors convert each element */
    (void)line;
    (void)from;
    (void)to;
    mochi_retain(v);
    return v;
}

/* ------------------------------------------------------------------ structs, closures, cells */

mref mochi_struct_new(int32_t line, const MStructDesc *d)
{
    MStruct *s = mochi_new(line, sizeof(MStruct) + (size_t)d->nfields * sizeof(MSlot),
                           MK_STRUCT);
    s->desc = d;
    return &s->h;
}

bool mochi_struct_is(int32_t line, mref o, const MStructDesc *d)
{
    (void)line;
    return o != NULL && o->kind == MK_STRUCT && same_struct(((MStruct *)o)->desc, d);
}

_Noreturn void mochi_nil_field(int32_t line, const char *field)
{
    (void)field;
    mochi_nil(line);
}

mref mochi_closure_new(int32_t line, void *fn, int32_t ncaps, const MType *const *cap_types)
{
    MClosure *c = mochi_new(line, sizeof(MClosure) + (size_t)ncaps * sizeof(MSlot),
                            MK_CLOSURE);
    c->fn = fn;
    c->ncaps = ncaps;
    c->cap_types = cap_types;
    return &c->h;
}

mref mochi_cell_new(int32_t line, const MType *t)
{
    MCell *c = mochi_new(line, sizeof *c, MK_CELL);
    c->t = t;
    return &c->h;
}

_Noreturn void mochi_not_callable(int32_t line, mref v)
{
    mochi_error(line, "cannot call %s", mochi_val_type_name(mochi_val_ref(v)));
}
