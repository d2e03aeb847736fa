/* Maps: hash tables keyed by value, iterated in ascending order of the
 * key's string form (LANGUAGE.md: "Iteration order").
 *
 * Layout.  Entries (key, value, hash) sit in an array in insertion order;
 * an open-addressing index (linear probing, a power-of-two size, at most 3/4
 * full) holds entry numbers.  A deleted entry stays in the array as a dead
 * entry, which keeps probe chains intact, until the next resize compacts
 * the array.  Keys and values use the slot representations of the map's
 * key and value types, widening to ref slots like lists do.
 *
 * Key equality is Python's dict equality (1, 1.0 and true are one key; the
 * first key stored is kept), or, for the scratch maps of `group by`, equality
 * that tells bools from numbers (EQ_STRICT).
 *
 * Order.  The sorted order (entry numbers ordered by key string form, ties in
 * insertion order, as Python's stable sort gives) is computed when first
 * needed and kept until a key is added or removed, so printing or iterating
 * a map that only has its values updated costs no sort. */
#include "mochi_internal.h"

#include <inttypes.h>

static MMap *check(int32_t line, mref r)
{
    if (r == NULL)
        mochi_nil(line);
    return (MMap *)r;
}

MMap *mochi_map_alloc(int32_t line, const MType *key, const MType *value, int eqmode)
{
    MMap *m = mochi_new(line, sizeof *m, MK_MAP);
    m->key = key != NULL ? key : &mochi_t_any;
    m->value = value != NULL ? value : &mochi_t_any;
    m->eqmode = eqmode;
    return m;
}

void mochi_map_free(MMap *m)
{
    int64_t i;
    for (i = 0; i < m->nent; i++)
        if (m->ent[i].live) {
            mochi_release_slot(m->ent[i].key, m->key);
            mochi_release_slot(m->ent[i].val, m->value);
        }
    free(m->ent);
    free(m->slots);
    free(m->order);
}

static void stale_order(MMap *m)
{
    free(m->order);
    m->order = NULL;
}

/* ------------------------------------------------------------------ lookup */

static MVal key_of(MMap *m, int64_t e)
{
    return mochi_val(m->ent[e].key, mochi_rep(m->key));
}

int64_t mochi_map_find(MMap *m, MVal key)
{
    uint64_t h, mask, i;
    uint32_t s;
    bool raw_int = key.k == V_INT && mochi_rep(m->key) == REP_I64;
    if (m->len == 0)
        return -1;
    h = mochi_val_hash(key);
    mask = (uint64_t)m->nslots - 1;
    for (i = h & mask; (s = m->slots[i]) != 0; i = (i + 1) & mask) {
        MEntry *e = &m->ent[s - 1];
        if (!e->live || e->hash != h)
            continue;
        if (raw_int ? e->key.i == key.v.i : mochi_val_eq(key_of(m, s - 1), key, m->eqmode))
            return (int64_t)s - 1;
    }
    return -1;
}

/* rebuild the index with room for `want` entries, dropping dead entries */
static void resize(int32_t line, MMap *m, int64_t want)
{
    int64_t n = 8, i, j = 0;
    while (n * 3 < want * 4)
        n *= 2;
    if (n > (int64_t)UINT32_MAX)
        mochi_error(line, "out of memory");
    for (i = 0; i < m->nent; i++)
        if (m->ent[i].live)
            m->ent[j++] = m->ent[i];
    m->nent = j;
    free(m->slots);
    m->slots = calloc((size_t)n, sizeof *m->slots);
    if (m->slots == NULL)
        mochi_error(line, "out of memory");
    m->nslots = n;
    for (i = 0; i < m->nent; i++) {
        uint64_t k = m->ent[i].hash & (uint64_t)(n - 1);
        while (m->slots[k] != 0)
            k = (k + 1) & (uint64_t)(n - 1);
        m->slots[k] = (uint32_t)(i + 1);
    }
    stale_order(m);
}

static void widen_keys(int32_t line, MMap *m)
{
    MRep rep = mochi_rep(m->key);
    int64_t i;
    for (i = 0; i < m->nent; i++)
        if (m->ent[i].live)
            m->ent[i].key.r = mochi_val_to_ref(line, mochi_val(m->ent[i].key, rep));
    m->key = &mochi_t_any;
}

static void widen_values(int32_t line, MMap *m)
{
    MRep rep = mochi_rep(m->value);
    int64_t i;
    for (i = 0; i < m->nent; i++)
        if (m->ent[i].live)
            m->ent[i].val.r = mochi_val_to_ref(line, mochi_val(m->ent[i].val, rep));
    m->value = &mochi_t_any;
}

int64_t mochi_map_entry(int32_t line, MMap *m, MVal key)
{
    int64_t e = mochi_map_find(m, key);
    uint64_t h, k, mask;
    MSlot s;
    if (e >= 0)
        return e;
    if ((m->nent + 1) * 4 > m->nslots * 3)
        resize(line, m, m->len + 1 > m->nent / 2 ? 2 * (m->len + 1) : m->len + 1);
    if (m->nent == m->entcap) {
        m->entcap = m->entcap ? 2 * m->entcap : 8;
        m->ent = mochi_grow(line, m->ent, m->entcap, sizeof *m->ent);
    }
    if (!mochi_val_store(line, key, mochi_rep(m->key), &s)) {
        widen_keys(line, m);
        mochi_val_store(line, key, REP_REF, &s);
    }
    h = mochi_val_hash(key);
    e = m->nent++;
    m->ent[e].key = s;
    m->ent[e].val.i = 0; /* 0, 0.0, false or none until stored */
    m->ent[e].hash = h;
    m->ent[e].live = true;
    m->len++;
    mask = (uint64_t)m->nslots - 1;
    for (k = h & mask; m->slots[k] != 0; k = (k + 1) & mask)
        ;
    m->slots[k] = (uint32_t)(e + 1);
    stale_order(m);
    return e;
}

void mochi_map_store(int32_t line, MMap *m, int64_t e, MVal v)
{
    MSlot s, old;
    if (!mochi_val_store(line, v, mochi_rep(m->value), &s)) {
        widen_values(line, m);
        mochi_val_store(line, v, REP_REF, &s);
    }
    old = m->ent[e].val;
    m->ent[e].val = s;
    mochi_release_slot(old, m->value);
}

static void delete(MMap *m, MVal key)
{
    int64_t e = mochi_map_find(m, key);
    if (e < 0)
        return;
    m->ent[e].live = false;
    mochi_release_slot(m->ent[e].key, m->key);
    mochi_release_slot(m->ent[e].val, m->value);
    if (--m->len == 0) { /* start afresh: no dead entries to skip */
        m->nent = 0;
        memset(m->slots, 0, (size_t)m->nslots * sizeof *m->slots);
    }
    stale_order(m);
}

/* ------------------------------------------------------------------ order */

typedef struct {
    const char *p;
    size_t n;
    uint64_t head; /* the first 8 bytes, big-endian, zero-padded: most comparisons */
} Form;

static uint64_t head_of(const char *p, size_t n)
{
    uint64_t h = 0;
    size_t i;
    for (i = 0; i < 8; i++)
        h = h << 8 | (i < n ? (unsigned char)p[i] : 0);
    return h;
}

/* byte order of the forms; two different heads order as their bytes do (a
 * padding zero stands where the shorter form has ended, which sorts first) */
static int form_cmp(const Form *a, const Form *b)
{
    size_t n = a->n < b->n ? a->n : b->n, skip = n < 8 ? 0 : 8; /* equal heads */
    int c;
    if (a->head != b->head)
        return a->head < b->head ? -1 : 1;
    c = memcmp(a->p + skip, b->p + skip, n - skip);
    if (c != 0)
        return c;
    return (a->n > b->n) - (a->n < b->n);
}

/* stable merge sort of idx[0..n) by forms[idx] */
static void sort_by_form(int64_t *idx, int64_t *tmp, int64_t n, const Form *forms)
{
    int64_t mid = n / 2, i = 0, j = mid, k = 0;
    if (n < 2)
        return;
    sort_by_form(idx, tmp, mid, forms);
    sort_by_form(idx + mid, tmp, n - mid, forms);
    while (i < mid && j < n)
        tmp[k++] = form_cmp(&forms[idx[j]], &forms[idx[i]]) < 0 ? idx[j++] : idx[i++];
    while (i < mid)
        tmp[k++] = idx[i++];
    while (j < n)
        tmp[k++] = idx[j++];
    memcpy(idx, tmp, (size_t)n * sizeof *idx);
}

const int64_t *mochi_map_order(MMap *m)
{
    MBuf text = {NULL, 0, 0};
    Form *forms;
    size_t *at;
    int64_t *tmp, i, n = 0;
    if (m->order != NULL || m->len == 0)
        return m->order;
    m->order = mochi_grow(0, NULL, m->len, sizeof *m->order);
    tmp = mochi_grow(0, NULL, m->len, sizeof *tmp);
    forms = mochi_grow(0, NULL, m->nent, sizeof *forms);
    at = mochi_grow(0, NULL, m->nent, sizeof *at);
    for (i = 0; i < m->nent; i++) {
        MVal k;
        if (!m->ent[i].live)
            continue;
        m->order[n++] = i;
        k = key_of(m, i);
        if (k.k == V_STR) {
            forms[i].p = ((MStr *)k.v.r)->data;
            forms[i].n = (size_t)((MStr *)k.v.r)->nbytes;
            at[i] = SIZE_MAX;
        } else {
            at[i] = text.n;
            mochi_fmt_key(&text, k);
            forms[i].n = text.n - at[i];
        }
    }
    for (i = 0; i < m->nent; i++) /* the text has stopped moving */
        if (m->ent[i].live) {
            if (at[i] != SIZE_MAX)
                forms[i].p = text.p + at[i];
            forms[i].head = head_of(forms[i].p, forms[i].n);
        }
    sort_by_form(m->order, tmp, n, forms);
    free(tmp);
    free(forms);
    free(at);
    mochi_buf_free(&text);
    return m->order;
}

/* ------------------------------------------------------------------ API */

mref mochi_map_new(int32_t line, const MType *key, const MType *value)
{
    return &mochi_map_alloc(line, key, value, EQ_PY)->h;
}

int64_t mochi_map_len(int32_t line, mref m)
{
    return check(line, m)->len;
}

static mref column(int32_t line, mref r, bool keys)
{
    MMap *m = check(line, r);
    MList *l = mochi_list_alloc(line, keys ? m->key : m->value, m->len);
    const int64_t *order = mochi_map_order(m);
    int64_t i;
    for (i = 0; i < m->len; i++) {
        MEntry *e = &m->ent[order[i]];
        mochi_list_put(line, l, keys ? key_of(m, order[i]) : mochi_val(e->val,
                                                                       mochi_rep(m->value)));
    }
    return &l->h;
}

mref mochi_map_keys(int32_t line, mref m)
{
    return column(line, m, true);
}

mref mochi_map_values(int32_t line, mref m)
{
    return column(line, m, false);
}

/* m[k] read as representation rep, or absent */
static bool get(int32_t line, mref r, MVal k, MRep rep, MSlot *out)
{
    MMap *m = check(line, r);
    int64_t e = mochi_map_find(m, k);
    if (e < 0)
        return false;
    if (mochi_rep(m->value) == rep) {
        *out = m->ent[e].val;
        if (rep == REP_REF)
            mochi_retain(out->r);
    } else {
        *out = mochi_val_as(line, mochi_val(m->ent[e].val, mochi_rep(m->value)), rep);
    }
    return true;
}

static void set(int32_t line, mref r, MVal k, MVal v)
{
    MMap *m = check(line, r);
    mochi_map_store(line, m, mochi_map_entry(line, m, k), v);
}

#define NO_RETAIN(x) ((void)0)

/* GET and SET are the function names without the value type (pasted before
 * they get here: `bool` is a macro) */
#define GET_SET(GET, SET, KT, KVAL, V, VT, REP, MEMBER, VVAL, RETAIN)                   \
    VT GET##_##V(int32_t line, mref m, KT k, VT zero)                                    \
    {                                                                                    \
        MSlot s;                                                                         \
        if (get(line, m, KVAL(k), REP, &s))                                              \
            return s.MEMBER;                                                             \
        RETAIN(zero);                                                                    \
        return zero;                                                                     \
    }                                                                                    \
    void SET##_##V(int32_t line, mref m, KT k, VT v)                                     \
    {                                                                                    \
        set(line, m, KVAL(k), VVAL(v));                                                  \
    }

#define KEYED(K, KT, KVAL)                                                               \
    bool mochi_map_has_##K(int32_t line, mref m, KT k)                                   \
    {                                                                                    \
        return mochi_map_find(check(line, m), KVAL(k)) >= 0;                             \
    }                                                                                    \
    void mochi_map_del_##K(int32_t line, mref m, KT k)                                   \
    {                                                                                    \
        delete(check(line, m), KVAL(k));                                                 \
    }                                                                                    \
    GET_SET(mochi_map_get_##K, mochi_map_set_##K, KT, KVAL, i64, int64_t, REP_I64, i,    \
            mochi_val_i64, NO_RETAIN)                                                    \
    GET_SET(mochi_map_get_##K, mochi_map_set_##K, KT, KVAL, f64, double, REP_F64, f,     \
            mochi_val_f64, NO_RETAIN)                                                    \
    GET_SET(mochi_map_get_##K, mochi_map_set_##K, KT, KVAL, bool, bool, REP_BOOL, b,     \
            mochi_val_bool, NO_RETAIN)                                                   \
    GET_SET(mochi_map_get_##K, mochi_map_set_##K, KT, KVAL, ref, mref, REP_REF, r,       \
            mochi_val_ref, mochi_retain)

KEYED(i64, int64_t, mochi_val_i64)
KEYED(f64, double, mochi_val_f64)
KEYED(bool, bool, mochi_val_bool)
KEYED(ref, mref, mochi_val_ref)
#undef KEYED
#undef GET_SET
#undef NO_RETAIN
