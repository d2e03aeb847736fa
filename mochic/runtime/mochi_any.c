/* Dynamic operations: what the reference interpreter does with Python
 * values when the checker could not know a type, on MVals (a value's kind
 * and slot, boxes unwrapped).
 *
 * - Equality is Python's ==: ints, floats and bools compare as numbers
 *   (1 == 1.0, exactly, even beyond 2^53), containers element-wise, structs
 *   by type and fields, functions by identity.  Mochi's == and `in` tell a
 *   bool from a number at the top level only (EQ_TOP), as the interpreter's
 *   `equal` does; group keys at every level (EQ_STRICT).
 * - Hashing agrees with the loosest equality: a float with an integral value
 *   hashes as that int, a bool as 0 or 1.
 * - Ordering (sort by, min, max, <) puts none first, numbers by value,
 *   strings by code point, lists element-wise then by length, maps by their
 *   str() form, structs by their fields; anything else is 'cannot compare'. */
#include "mochi_internal.h"

#include <math.h>

/* ------------------------------------------------------------------ type names */

const char *mochi_val_type_name(MVal v)
{
    switch (v.k) {
    case V_NONE: return "nil";
    case V_BOOL: return "bool";
    case V_INT: return "int";
    case V_FLOAT: return "float";
    case V_STR: return "string";
    case V_LIST: return "list";
    case V_MAP: return "map";
    case V_STRUCT: return ((MStruct *)v.v.r)->desc->name;
    case V_FUN: return "func";
    case V_BIGINT: return "bigint";
    case V_BIGRAT: return "bigrat";
    default: return "value";
    }
}

/* ------------------------------------------------------------------ numbers */

static bool is_num(MVKind k)
{
    return k == V_INT || k == V_FLOAT || k == V_BOOL || k == V_BIGINT || k == V_BIGRAT;
}

static bool is_big(MVKind k)
{
    return k == V_BIGINT || k == V_BIGRAT;
}

static int64_t int_of(MVal v)
{
    return v.k == V_BOOL ? (int64_t)v.v.b : v.v.i;
}

/* i compared exactly with d: -1, 0, 1, or 2 when d is NaN */
static int cmp_int_float(int64_t i, double d)
{
    int64_t t;
    double frac;
    if (d != d)
        return 2;
    if (d >= 9223372036854775808.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    t = (int64_t)d;
    if (i != t)
        return i < t ? -1 : 1;
    frac = d - (double)t;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

/* -1, 0, 1, or 2 when unordered (NaN) */
static int num_cmp(MVal a, MVal b)
{
    if (is_big(a.k) || is_big(b.k))
        return mochi_num_cmp_big(0, a, b);
    if (a.k != V_FLOAT && b.k != V_FLOAT) {
        int64_t x = int_of(a), y = int_of(b);
        return (x > y) - (x < y);
    }
    if (a.k == V_FLOAT && b.k == V_FLOAT) {
        if (a.v.f != a.v.f || b.v.f != b.v.f)
            return 2;
        return (a.v.f > b.v.f) - (a.v.f < b.v.f);
    }
    if (a.k == V_FLOAT) {
        int c = cmp_int_float(int_of(b), a.v.f);
        return c == 2 ? 2 : -c;
    }
    return cmp_int_float(int_of(a), b.v.f);
}

/* ------------------------------------------------------------------ equality */

static bool str_eq(MStr *a, MStr *b)
{
    return a->nbytes == b->nbytes && memcmp(a->data, b->data, (size_t)a->nbytes) == 0;
}

static bool map_eq(MMap *a, MMap *b, int mode)
{
    int64_t i;
    if (a->len != b->len)
        return false;
    for (i = 0; i < a->nent; i++) {
        MEntry *e = &a->ent[i];
        int64_t j;
        if (!e->live)
            continue;
        j = mochi_map_find(b, mochi_val(e->key, mochi_rep(a->key)));
        if (j < 0 || !mochi_val_eq(mochi_val(e->val, mochi_rep(a->value)),
                                   mochi_val(b->ent[j].val, mochi_rep(b->value)), mode))
            return false;
    }
    return true;
}

bool mochi_val_eq(MVal a, MVal b, int mode)
{
    int inner = mode == EQ_STRICT ? EQ_STRICT : EQ_PY;
    int64_t i;
    if (mode != EQ_PY && (a.k == V_BOOL) != (b.k == V_BOOL))
        return false;
    if (is_num(a.k) && is_num(b.k))
        return num_cmp(a, b) == 0;
    if (a.k != b.k)
        return false;
    if (a.k == V_NONE || a.v.r == b.v.r)
        return true;
    switch (a.k) {
    case V_STR:
        return str_eq((MStr *)a.v.r, (MStr *)b.v.r);
    case V_LIST: {
        MList *x = (MList *)a.v.r, *y = (MList *)b.v.r;
        if (x->len != y->len)
            return false;
        for (i = 0; i < x->len; i++)
            if (!mochi_val_eq(mochi_list_at(x, i), mochi_list_at(y, i), inner))
                return false;
        return true;
    }
    case V_MAP:
        return map_eq((MMap *)a.v.r, (MMap *)b.v.r, inner);
    case V_STRUCT: {
        MStruct *x = (MStruct *)a.v.r, *y = (MStruct *)b.v.r;
        const MStructDesc *d = x->desc;
        if (d != y->desc && strcmp(d->name, y->desc->name) != 0)
            return false;
        for (i = 0; i < d->nfields; i++) {
            MRep rep = mochi_rep(d->field_types[i]);
            if (!mochi_val_eq(mochi_val(x->f[i], rep), mochi_val(y->f[i], rep), inner))
                return false;
        }
        return true;
    }
    default:
        return false; /* functions and groups: by identity, checked above */
    }
}

bool mochi_eq_ref(int32_t line, mref a, mref b)
{
    (void)line;
    return mochi_val_eq(mochi_val_ref(a), mochi_val_ref(b), EQ_TOP);
}

bool mochi_ne_ref(int32_t line, mref a, mref b)
{
    return !mochi_eq_ref(line, a, b);
}

bool mochi_eq_any(int32_t line, mref a, mref b)
{
    return mochi_eq_ref(line, a, b);
}

bool mochi_ne_any(int32_t line, mref a, mref b)
{
    return !mochi_eq_ref(line, a, b);
}

/* ------------------------------------------------------------------ hashing */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* eight bytes at a time (read in little-endian order, so every target hashes
 * alike), each word multiplied in; the tail and the length last */
static uint64_t hash_bytes(const char *p, int64_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL, w;
    int64_t i = 0, j;
    for (; i + 8 <= n; i += 8) {
        for (w = 0, j = 7; j >= 0; j--)
            w = w << 8 | (unsigned char)p[i + j];
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 32;
    }
    for (w = 0, j = n - 1; j >= i; j--)
        w = w << 8 | (unsigned char)p[j];
    return mix(h ^ w ^ (uint64_t)n << 56);
}

uint64_t mochi_val_hash(MVal v)
{
    uint64_t h;
    int64_t i;
    switch (v.k) {
    case V_NONE: return 0x5bd1e995;
    case V_BOOL: return mix((uint64_t)v.v.b);
    case V_INT: return mix((uint64_t)v.v.i);
    case V_BIGINT: { /* as the int it equals, when it fits */
        int64_t i;
        if (mochi_big_fits_i64(v.v.r, &i))
            return mix((uint64_t)i);
        return mix(mochi_big_hash(v.v.r));
    }
    case V_BIGRAT: {
        MRat *r = (MRat *)v.v.r;
        MVal n = {V_BIGINT, {.r = &r->num->h}, NULL};
        if (r->den->n == 1 && r->den->d[0] == 1)
            return mochi_val_hash(n);
        return mix(mochi_big_hash(&r->num->h) * 31 + mochi_big_hash(&r->den->h));
    }
    case V_FLOAT: {
        double f = v.v.f;
        if (f == floor(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0)
            return mix((uint64_t)(int64_t)f);
        memcpy(&h, &f, sizeof h);
        return mix(h ^ 0x7ff0);
    }
    case V_STR:
        return hash_bytes(((MStr *)v.v.r)->data, ((MStr *)v.v.r)->nbytes);
    case V_LIST: {
        MList *l = (MList *)v.v.r;
        h = 0x2545f491;
        for (i = 0; i < l->len; i++)
            h = mix(h * 31 + mochi_val_hash(mochi_list_at(l, i)));
        return h;
    }
    case V_MAP: {
        MMap *m = (MMap *)v.v.r;
        h = 0x9e3779b9;
        for (i = 0; i < m->nent; i++)
            if (m->ent[i].live) /* order-independent */
                h += mix(m->ent[i].hash ^
                         mochi_val_hash(mochi_val(m->ent[i].val, mochi_rep(m->value))));
        return h;
    }
    case V_STRUCT: {
        MStruct *s = (MStruct *)v.v.r;
        h = hash_bytes(s->desc->name, (int64_t)strlen(s->desc->name));
        for (i = 0; i < s->desc->nfields; i++)
            h = mix(h * 31 + mochi_val_hash(mochi_val(s->f[i],
                                                      mochi_rep(s->desc->field_types[i]))));
        return h;
    }
    default:
        return mix((uint64_t)(uintptr_t)v.v.r);
    }
}

/* ------------------------------------------------------------------ ordering */

static int bytes_cmp(const char *a, size_t na, const char *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    if (c != 0)
        return c < 0 ? -1 : 1;
    return (na > nb) - (na < nb);
}

int mochi_val_cmp(int32_t line, MVal a, MVal b)
{
    int64_t i, n;
    if (a.k == V_NONE || b.k == V_NONE)
        return (a.k != V_NONE) - (b.k != V_NONE);
    if (is_num(a.k) && is_num(b.k)) {
        int c = num_cmp(a, b);
        return c == 2 ? 0 : c;
    }
    if (a.k == V_STR && b.k == V_STR) {
        MStr *x = (MStr *)a.v.r, *y = (MStr *)b.v.r;
        return bytes_cmp(x->data, (size_t)x->nbytes, y->data, (size_t)y->nbytes);
    }
    if (a.k == V_LIST && b.k == V_LIST) {
        MList *x = (MList *)a.v.r, *y = (MList *)b.v.r;
        n = x->len < y->len ? x->len : y->len;
        for (i = 0; i < n; i++) {
            int c = mochi_val_cmp(line, mochi_list_at(x, i), mochi_list_at(y, i));
            if (c != 0)
                return c;
        }
        return (x->len > y->len) - (x->len < y->len);
    }
    if (a.k == V_MAP && b.k == V_MAP) {
        MBuf x = {NULL, 0, 0}, y = {NULL, 0, 0};
        int c;
        mochi_fmt_str(&x, a);
        mochi_fmt_str(&y, b);
        c = bytes_cmp(x.p, x.n, y.p, y.n);
        mochi_buf_free(&x);
        mochi_buf_free(&y);
        return c;
    }
    if (a.k == V_STRUCT && b.k == V_STRUCT) {
        MStruct *x = (MStruct *)a.v.r, *y = (MStruct *)b.v.r;
        int64_t nx = x->desc->nfields, ny = y->desc->nfields;
        n = nx < ny ? nx : ny;
        for (i = 0; i < n; i++) {
            int c = mochi_val_cmp(line, mochi_val(x->f[i], mochi_rep(x->desc->field_types[i])),
                                  mochi_val(y->f[i], mochi_rep(y->desc->field_types[i])));
            if (c != 0)
                return c;
        }
        return (nx > ny) - (nx < ny);
    }
    mochi_error(line, "cannot compare %s with %s", mochi_val_type_name(a),
                mochi_val_type_name(b));
}

bool mochi_lt_any(int32_t line, mref a, mref b)
{
    return mochi_val_cmp(line, mochi_val_ref(a), mochi_val_ref(b)) < 0;
}

bool mochi_le_any(int32_t line, mref a, mref b)
{
    return mochi_val_cmp(line, mochi_val_ref(a), mochi_val_ref(b)) <= 0;
}

bool mochi_gt_any(int32_t line, mref a, mref b)
{
    return mochi_val_cmp(line, mochi_val_ref(a), mochi_val_ref(b)) > 0;
}

bool mochi_ge_any(int32_t line, mref a, mref b)
{
    return mochi_val_cmp(line, mochi_val_ref(a), mochi_val_ref(b)) >= 0;
}

/* ------------------------------------------------------------------ arithmetic */

static mref concat_str_forms(int32_t line, MVal a, MVal b)
{
    MBuf buf = {NULL, 0, 0};
    mref r;
    mochi_fmt_str(&buf, a);
    mochi_fmt_str(&buf, b);
    r = mochi_str_new(line, buf.p, (int64_t)buf.n);
    mochi_buf_free(&buf);
    return r;
}

mref mochi_any_binop(int32_t line, mref a, mref b, const char *op)
{
    MVal x = mochi_val_ref(a), y = mochi_val_ref(b);
    char c = op[0];
    if (strcmp(op, "abs") == 0) {
        if (x.k == V_INT)
            return mochi_box_i64(line, mochi_abs_i64(line, x.v.i), &mochi_t_int);
        if (x.k == V_FLOAT)
            return mochi_box_f64(line, fabs(x.v.f), &mochi_t_float);
        if (is_big(x.k))
            return x.k == V_BIGINT ? mochi_big_abs(line, x.v.r) : mochi_rat_abs(line, x.v.r);
        mochi_error(line, "cannot take abs of %s", mochi_val_type_name(x));
    }
    if ((is_big(x.k) || is_big(y.k)) && is_num(x.k) && is_num(y.k))
        return mochi_big_binop(line, x, y, op);
    if (strcmp(op, "pow") == 0) { /* an int for two ints, as the reference */
        if (x.k == V_INT && y.k == V_INT)
            return mochi_box_i64(line, mochi_pow_i64(line, x.v.i, y.v.i), &mochi_t_int);
        if ((x.k == V_INT || x.k == V_FLOAT) && (y.k == V_INT || y.k == V_FLOAT))
            return mochi_box_f64(line, pow(x.k == V_INT ? (double)x.v.i : x.v.f,
                                           y.k == V_INT ? (double)y.v.i : y.v.f),
                                 &mochi_t_float);
        mochi_error(line, "cannot apply 'pow' to %s and %s", mochi_val_type_name(x),
                    mochi_val_type_name(y));
    }
    if (x.k == V_INT && y.k == V_INT) {
        int64_t p = x.v.i, q = y.v.i, r;
        switch (c) {
        case '+': r = mochi_add_i64(line, p, q); break;
        case '-': r = mochi_sub_i64(line, p, q); break;
        case '*': r = mochi_mul_i64(line, p, q); break;
        case '/': r = mochi_div_i64(line, x.v.i, y.v.i); break;
        default: r = mochi_rem_i64(line, x.v.i, y.v.i); break;
        }
        return mochi_box_i64(line, r, &mochi_t_int);
    }
    if ((x.k == V_INT || x.k == V_FLOAT) && (y.k == V_INT || y.k == V_FLOAT)) {
        double p = x.k == V_INT ? (double)x.v.i : x.v.f;
        double q = y.k == V_INT ? (double)y.v.i : y.v.f;
        double r;
        switch (c) {
        case '+': r = p + q; break;
        case '-': r = p - q; break;
        case '*': r = p * q; break;
        case '/': r = p / q; break;
        default: r = fmod(p, q); break;
        }
        return mochi_box_f64(line, r, &mochi_t_float);
    }
    if (c == '+') {
        if (x.k == V_STR && y.k == V_STR)
            return mochi_str_concat(line, a, b);
        if (x.k == V_LIST && y.k == V_LIST)
            return mochi_list_concat(line, a, b);
        if ((x.k == V_STR || y.k == V_STR) && x.k != V_NONE && y.k != V_NONE)
            return concat_str_forms(line, x, y);
    }
    mochi_error(line, "cannot apply '%s' to %s and %s", op, mochi_val_type_name(x),
                mochi_val_type_name(y));
}

mref mochi_any_neg(int32_t line, mref a)
{
    MVal x = mochi_val_ref(a);
    if (x.k == V_INT)
        return mochi_box_i64(line, mochi_neg_i64(line, x.v.i), &mochi_t_int);
    if (x.k == V_FLOAT)
        return mochi_box_f64(line, -x.v.f, &mochi_t_float);
    if (x.k == V_BIGINT)
        return mochi_big_neg(line, x.v.r);
    if (x.k == V_BIGRAT)
        return mochi_rat_neg(line, x.v.r);
    mochi_error(line, "cannot negate %s", mochi_val_type_name(x));
}

/* the reference's truthiness: false for none, false, 0, 0.0, "", an empty list,
 * map or group and a function */
bool mochi_any_truthy(int32_t line, mref a)
{
    MVal x = mochi_val_ref(a);
    (void)line;
    switch (x.k) {
    case V_BOOL: return x.v.b;
    case V_INT: return x.v.i != 0;
    case V_FLOAT: return x.v.f != 0.0;
    case V_STR: return ((MStr *)x.v.r)->nbytes > 0;
    case V_LIST: return ((MList *)x.v.r)->len > 0;
    case V_MAP: return ((MMap *)x.v.r)->len > 0;
    case V_STRUCT: return true;
    case V_GROUP: return ((MGroup *)x.v.r)->items->len > 0;
    default: return false;
    }
}

int64_t mochi_any_to_int(int32_t line, mref a)
{
    MVal x = mochi_val_ref(a);
    switch (x.k) {
    case V_INT: return x.v.i;
    case V_BOOL: return x.v.b;
    case V_FLOAT: return mochi_f2i(line, x.v.f);
    case V_STR: return mochi_str_to_int(line, a);
    case V_BIGINT: return mochi_big_to_i64(line, x.v.r);
    case V_BIGRAT: {
        mref t = mochi_rat_to_big(line, x.v.r);
        int64_t i = mochi_big_to_i64(line, t);
        mochi_release(t);
        return i;
    }
    default: mochi_error(line, "cannot cast %s to int", mochi_val_type_name(x));
    }
}

double mochi_any_to_float(int32_t line, mref a)
{
    MVal x = mochi_val_ref(a);
    switch (x.k) {
    case V_INT: return (double)x.v.i;
    case V_BOOL: return x.v.b;
    case V_FLOAT: return x.v.f;
    case V_STR: return mochi_str_to_float(line, a);
    case V_BIGINT: case V_BIGRAT: return mochi_val_to_f64(line, x);
    default: mochi_error(line, "cannot cast %s to float", mochi_val_type_name(x));
    }
}

/* ------------------------------------------------------------------ containers */

static int field_index(const MStructDesc *d, const char *name)
{
    int i;
    for (i = 0; i < d->nfields; i++)
        if (strcmp(d->field_names[i], name) == 0)
            return i;
    return -1;
}

static mref map_lookup(int32_t line, MMap *m, MVal k)
{
    int64_t e = mochi_map_find(m, k);
    if (e < 0)
        return NULL;
    return mochi_val_to_ref(line, mochi_val(m->ent[e].val, mochi_rep(m->value)));
}

mref mochi_any_field(int32_t line, mref a, const char *name)
{
    MVal x = mochi_val_ref(a);
    switch (x.k) {
    case V_STRUCT: {
        MStruct *s = (MStruct *)a;
        int i = field_index(s->desc, name);
        if (i < 0)
            mochi_error(line, "%s has no field '%s'", s->desc->name, name);
        return mochi_val_to_ref(line, mochi_val(s->f[i], mochi_rep(s->desc->field_types[i])));
    }
    case V_MAP: {
        mref k = mochi_str_new(line, name, (int64_t)strlen(name));
        mref r = map_lookup(line, (MMap *)a, mochi_val_ref(k));
        mochi_release(k);
        return r;
    }
    case V_GROUP:
        return strcmp(name, "key") == 0 ? mochi_group_key(line, a) : mochi_group_items(line, a);
    default:
        mochi_error(line, "cannot read field '%s' of %s", name, mochi_val_type_name(x));
    }
}

mref mochi_any_index(int32_t line, mref a, mref k)
{
    MVal x = mochi_val_ref(a);
    switch (x.k) {
    case V_LIST: return mochi_list_get_ref(line, a, mochi_any_to_int(line, k));
    case V_STR: return mochi_str_index(line, a, mochi_any_to_int(line, k));
    case V_MAP: return map_lookup(line, (MMap *)a, mochi_val_ref(k));
    case V_GROUP:
        return mochi_list_get_ref(line, &((MGroup *)a)->items->h, mochi_any_to_int(line, k));
    default: mochi_error(line, "cannot index %s", mochi_val_type_name(x));
    }
}

void mochi_any_set_index(int32_t line, mref a, mref k, mref v)
{
    MVal x = mochi_val_ref(a), key = mochi_val_ref(k);
    if (x.k == V_LIST) {
        mochi_list_set_ref(line, a, mochi_any_to_int(line, k), v);
        return;
    }
    if (x.k == V_MAP) {
        MMap *m = (MMap *)a;
        mochi_map_store(line, m, mochi_map_entry(line, m, key), mochi_val_ref(v));
        return;
    }
    if (x.k == V_STRUCT && key.k == V_STR) {
        MStruct *s = (MStruct *)a;
        int i = field_index(s->desc, ((MStr *)k)->data);
        if (i >= 0) {
            const MType *ft = s->desc->field_types[i];
            MSlot old = s->f[i];
            if (mochi_rep(ft) == REP_REF)
                s->f[i].r = mochi_unbox_ref(line, v, ft);
            else
                s->f[i] = mochi_val_as(line, mochi_val_ref(v), mochi_rep(ft));
            mochi_release_slot(old, ft);
            return;
        }
    }
    mochi_error(line, "cannot assign into %s", mochi_val_type_name(x));
}

int64_t mochi_any_len(int32_t line, mref a)
{
    MVal x = mochi_val_ref(a);
    switch (x.k) {
    case V_LIST: return ((MList *)a)->len;
    case V_STR: return mochi_str_ncp((MStr *)a);
    case V_MAP: return ((MMap *)a)->len;
    case V_GROUP: return ((MGroup *)a)->items->len;
    default: mochi_error(line, "len of %s is not defined", mochi_val_type_name(x));
    }
}

static bool list_has(MList *l, MVal v)
{
    int64_t i;
    for (i = 0; i < l->len; i++)
        if (mochi_val_eq(mochi_list_at(l, i), v, EQ_TOP))
            return true;
    return false;
}

bool mochi_any_contains(int32_t line, mref coll, mref x)
{
    MVal c = mochi_val_ref(coll), v = mochi_val_ref(x);
    switch (c.k) {
    case V_STR: return v.k == V_STR && mochi_str_contains(line, coll, x);
    case V_LIST: return list_has((MList *)coll, v);
    case V_MAP: return mochi_map_find((MMap *)coll, v) >= 0;
    case V_GROUP: return list_has(((MGroup *)coll)->items, v);
    default: mochi_error(line, "cannot test membership in %s", mochi_val_type_name(c));
    }
}

mref mochi_any_iter(int32_t line, mref a)
{
    MVal x = mochi_val_ref(a);
    switch (x.k) {
    case V_LIST:
        mochi_retain(a);
        return a;
    case V_MAP: return mochi_map_keys(line, a);
    case V_STR: return mochi_str_split(line, a, mochi_str_empty());
    case V_GROUP: return mochi_group_items(line, a);
    case V_NONE: return mochi_list_new(line, &mochi_t_any);
    default: mochi_error(line, "cannot iterate over %s", mochi_val_type_name(x));
    }
}
