/* Lists and groups.
 *
 * A list is a growable array of MSlots whose representation follows its
 * element type (mochi_internal.h): a list<int> holds raw int64s.  The typed
 * accessors convert from the caller's view; storing a value the slots cannot
 * hold exactly (an int into a float list seen as list<any>, a string into an
 * int list) first widens the list to ref slots, boxing every element, so no
 * value changes type, as in the reference interpreter where a list holds
 * any value.
 *
 * `xs = append(xs, v)` passes `reuse`: the caller's reference dies at the
 * call, so a list nobody else holds (rc == 1) grows in place (amortised
 * O(1), doubling) and is returned with one more reference for the caller's
 * new value; a shared list is copied, so no alias sees the change.
 *
 * Set operations (union, except, intersect, distinct) and `group by` use a
 * scratch hash map of the elements, keeping first-seen order. */
#include "mochi_internal.h"

#include <inttypes.h>

static MList *check(int32_t line, mref r)
{
    if (r == NULL)
        mochi_nil(line);
    return (MList *)r;
}

/* ------------------------------------------------------------------ storage */

MList *mochi_list_alloc(int32_t line, const MType *elem, int64_t cap)
{
    MList *l = mochi_new(line, sizeof *l, MK_LIST);
    l->elem = elem != NULL ? elem : &mochi_t_any;
    l->cap = cap;
    l->items = cap > 0 ? mochi_grow(line, NULL, cap, sizeof(MSlot)) : NULL;
    return l;
}

MVal mochi_list_at(MList *l, int64_t i)
{
    return mochi_val(l->items[i], mochi_rep(l->elem));
}

static void reserve(int32_t line, MList *l, int64_t n)
{
    if (n > l->cap) {
        int64_t cap = l->cap < 4 ? 4 : l->cap;
        while (cap < n)
            cap = cap > INT64_MAX / 2 ? n : 2 * cap;
        l->items = mochi_grow(line, l->items, cap, sizeof(MSlot));
        l->cap = cap;
    }
}

static void widen(int32_t line, MList *l)
{
    MRep rep = mochi_rep(l->elem);
    int64_t i;
    for (i = 0; i < l->len; i++)
        l->items[i].r = mochi_val_to_ref(line, mochi_val(l->items[i], rep));
    l->elem = &mochi_t_any;
}

/* v as this list stores it (a new reference for ref slots) */
static MSlot storable(int32_t line, MList *l, MVal v)
{
    MSlot s;
    if (!mochi_val_store(line, v, mochi_rep(l->elem), &s)) {
        widen(line, l);
        mochi_val_store(line, v, REP_REF, &s);
    }
    return s;
}

void mochi_list_put(int32_t line, MList *l, MVal v)
{
    MSlot s = storable(line, l, v);
    reserve(line, l, l->len + 1);
    l->items[l->len++] = s;
}

/* a copy of l with room for `extra` more elements */
static MList *copy(int32_t line, MList *l, int64_t extra)
{
    MList *c = mochi_list_alloc(line, l->elem, l->len + extra);
    int64_t i;
    if (l->len > 0)
        memcpy(c->items, l->items, (size_t)l->len * sizeof(MSlot));
    c->len = l->len;
    if (mochi_rep(l->elem) == REP_REF)
        for (i = 0; i < l->len; i++)
            mochi_retain(c->items[i].r);
    return c;
}

/* ------------------------------------------------------------------ element access */

mref mochi_list_new(int32_t line, const MType *elem)
{
    return &mochi_list_alloc(line, elem, 0)->h;
}

int64_t mochi_list_len(int32_t line, mref l)
{
    return check(line, l)->len;
}

/* the index of xs[i], counting a negative i from the end */
static int64_t position(int32_t line, MList *l, int64_t i)
{
    if (i < -l->len || i >= l->len)
        mochi_error(line, "index %" PRId64 " out of range for list of length %" PRId64, i,
                    l->len);
    return i < 0 ? i + l->len : i;
}

static MSlot get(int32_t line, mref r, int64_t i, MRep want)
{
    MList *l = check(line, r);
    i = position(line, l, i);
    if (mochi_rep(l->elem) == want) {
        if (want == REP_REF)
            mochi_retain(l->items[i].r);
        return l->items[i];
    }
    return mochi_val_as(line, mochi_list_at(l, i), want);
}

static void set(int32_t line, mref r, int64_t i, MVal v)
{
    MList *l = check(line, r);
    MSlot s, old;
    i = position(line, l, i);
    s = storable(line, l, v);
    old = l->items[i];
    l->items[i] = s;
    mochi_release_slot(old, l->elem);
}

/* append s, a value of representation rep (borrowed), to l */
static void push(int32_t line, MList *l, MSlot s, MRep rep)
{
    if (mochi_rep(l->elem) != rep) { /* another representation: convert or widen */
        mochi_list_put(line, l, mochi_val(s, rep));
        return;
    }
    if (rep == REP_REF)
        mochi_retain(s.r);
    if (l->len == l->cap)
        reserve(line, l, l->len + 1);
    l->items[l->len++] = s;
}

static mref append(int32_t line, mref r, MSlot s, MRep rep, int reuse)
{
    static const MType *const of_rep[] = {&mochi_t_int, &mochi_t_float, &mochi_t_bool,
                                          &mochi_t_any};
    MList *l = (MList *)r, *out;
    if (l == NULL) {
        out = mochi_list_alloc(line, of_rep[rep], 1);
    } else if (reuse && l->h.rc == 1) {
        mochi_retain(r);
        out = l;
    } else {
        out = copy(line, l, 1);
    }
    push(line, out, s, rep);
    return &out->h;
}

static bool contains(MList *l, MVal v)
{
    int64_t i;
    for (i = 0; i < l->len; i++)
        if (mochi_val_eq(mochi_list_at(l, i), v, EQ_TOP))
            return true;
    return false;
}

static int64_t index_of(MList *l, MVal v)
{
    int64_t i;
    for (i = 0; i < l->len; i++)
        if (mochi_val_eq(mochi_list_at(l, i), v, EQ_TOP))
            return i;
    return -1;
}

static MSlot slot_i64(int64_t v)
{
    MSlot s;
    s.i = v;
    return s;
}

static MSlot slot_f64(double v)
{
    MSlot s;
    s.f = v;
    return s;
}

static MSlot slot_bool(bool v)
{
    MSlot s;
    s.i = 0;
    s.b = v;
    return s;
}

static MSlot slot_ref(mref v)
{
    MSlot s;
    s.r = v;
    return s;
}

#define TYPED(T, CT, REP, MEMBER)                                                        \
    CT mochi_list_get_##T(int32_t line, mref l, int64_t i)                               \
    {                                                                                    \
        return get(line, l, i, REP).MEMBER;                                              \
    }                                                                                    \
    void mochi_list_set_##T(int32_t line, mref l, int64_t i, CT v)                      \
    {                                                                                    \
        set(line, l, i, mochi_val(slot_##T(v), REP));                                    \
    }                                                                                    \
    void mochi_list_push_##T(int32_t line, mref l, CT v)                                 \
    {                                                                                    \
        push(line, check(line, l), slot_##T(v), REP);                                    \
    }                                                                                    \
    mref mochi_list_append_##T(int32_t line, mref l, CT v, int reuse)                    \
    {                                                                                    \
        return append(line, l, slot_##T(v), REP, reuse);                                 \
    }                                                                                    \
    bool mochi_list_contains_##T(int32_t line, mref l, CT v)                             \
    {                                                                                    \
        return contains(check(line, l), mochi_val(slot_##T(v), REP));                    \
    }                                                                                    \
    int64_t mochi_list_index_of_##T(int32_t line, mref l, CT v)                          \
    {                                                                                    \
        return index_of(check(line, l), mochi_val(slot_##T(v), REP));                    \
    }

TYPED(i64, int64_t, REP_I64, i)
TYPED(f64, double, REP_F64, f)
TYPED(bool, bool, REP_BOOL, b)
TYPED(ref, mref, REP_REF, r)
#undef TYPED

/* ------------------------------------------------------------------ whole lists */

mref mochi_list_concat(int32_t line, mref a, mref b)
{
    MList *x = check(line, a), *y = check(line, b), *out = copy(line, x, y->len);
    int64_t i;
    for (i = 0; i < y->len; i++)
        mochi_list_put(line, out, mochi_list_at(y, i));
    return &out->h;
}

mref mochi_list_union_all(int32_t line, mref a, mref b)
{
    return mochi_list_concat(line, a, b);
}

mref mochi_list_slice(int32_t line, mref r, int64_t a, int64_t b)
{
    MList *l = check(line, r), *out;
    int64_t n = l->len, i;
    if (a < 0)
        a += n;
    if (b < 0)
        b += n;
    a = a < 0 ? 0 : a > n ? n : a;
    b = b < a ? a : b > n ? n : b;
    out = mochi_list_alloc(line, l->elem, b - a);
    for (i = a; i < b; i++)
        mochi_list_put(line, out, mochi_list_at(l, i));
    return &out->h;
}

mref mochi_list_reverse(int32_t line, mref r)
{
    MList *l = check(line, r), *out = mochi_list_alloc(line, l->elem, l->len);
    int64_t i;
    for (i = l->len - 1; i >= 0; i--)
        mochi_list_put(line, out, mochi_list_at(l, i));
    return &out->h;
}

/* ------------------------------------------------------------------ set operations */

static MMap *new_set(int32_t line)
{
    return mochi_map_alloc(line, &mochi_t_any, &mochi_t_bool, EQ_TOP);
}

static MMap *set_of(int32_t line, MList *l)
{
    MMap *s = new_set(line);
    int64_t i;
    for (i = 0; i < l->len; i++)
        mochi_map_entry(line, s, mochi_list_at(l, i));
    return s;
}

/* append the elements of l to out unless already seen; with `filter`, only
 * those whose presence in filter is `want` */
static void add_distinct(int32_t line, MList *out, MMap *seen, MList *l, MMap *filter,
                         bool want)
{
    int64_t i;
    for (i = 0; i < l->len; i++) {
        MVal v = mochi_list_at(l, i);
        if (filter != NULL && (mochi_map_find(filter, v) >= 0) != want)
            continue;
        if (mochi_map_find(seen, v) >= 0)
            continue;
        mochi_map_entry(line, seen, v);
        mochi_list_put(line, out, v);
    }
}

static mref filtered(int32_t line, mref a, mref b, bool want)
{
    MList *x = check(line, a), *out = mochi_list_alloc(line, x->elem, 0);
    MMap *seen = new_set(line), *other = set_of(line, check(line, b));
    add_distinct(line, out, seen, x, other, want);
    mochi_release(&seen->h);
    mochi_release(&other->h);
    return &out->h;
}

mref mochi_list_except(int32_t line, mref a, mref b)
{
    return filtered(line, a, b, false);
}

mref mochi_list_intersect(int32_t line, mref a, mref b)
{
    return filtered(line, a, b, true);
}

mref mochi_list_distinct(int32_t line, mref r)
{
    MList *l = check(line, r), *out = mochi_list_alloc(line, l->elem, 0);
    MMap *seen = new_set(line);
    add_distinct(line, out, seen, l, NULL, true);
    mochi_release(&seen->h);
    return &out->h;
}

mref mochi_list_union(int32_t line, mref a, mref b)
{
    MList *x = check(line, a), *y = check(line, b), *out = mochi_list_alloc(line, x->elem, 0);
    MMap *seen = new_set(line);
    add_distinct(line, out, seen, x, NULL, true);
    add_distinct(line, out, seen, y, NULL, true);
    mochi_release(&seen->h);
    return &out->h;
}

/* ------------------------------------------------------------------ sorting */

/* stable merge sort of idx[0..n) by the keys they index */
static void merge_sort(int32_t line, MList *keys, int64_t *idx, int64_t *tmp, int64_t n)
{
    int64_t mid = n / 2, i = 0, j = mid, k = 0;
    if (n < 2)
        return;
    merge_sort(line, keys, idx, tmp, mid);
    merge_sort(line, keys, idx + mid, tmp, n - mid);
    while (i < mid && j < n) {
        if (mochi_val_cmp(line, mochi_list_at(keys, idx[j]), mochi_list_at(keys, idx[i])) < 0)
            tmp[k++] = idx[j++];
        else
            tmp[k++] = idx[i++];
    }
    while (i < mid)
        tmp[k++] = idx[i++];
    while (j < n)
        tmp[k++] = idx[j++];
    memcpy(idx, tmp, (size_t)n * sizeof *idx);
}

mref mochi_list_sort(int32_t line, mref items, mref keys)
{
    MList *l = check(line, items), *k = check(line, keys), *out;
    int64_t n = l->len < k->len ? l->len : k->len, i;
    int64_t *idx = mochi_grow(line, NULL, n, sizeof *idx);
    int64_t *tmp = mochi_grow(line, NULL, n, sizeof *tmp);
    for (i = 0; i < n; i++)
        idx[i] = i;
    merge_sort(line, k, idx, tmp, n);
    out = mochi_list_alloc(line, l->elem, n);
    for (i = 0; i < n; i++)
        mochi_list_put(line, out, mochi_list_at(l, idx[i]));
    free(idx);
    free(tmp);
    return &out->h;
}

/* ------------------------------------------------------------------ aggregates */

/* total += v wrapping, counting the wraps: the exact sum is total + wraps * 2^64,
 * as Python's sum, whose partial sums may leave the int range and come back */
static void sum_add(int64_t *total, int64_t v, int64_t *wraps)
{
    int64_t r = (int64_t)((uint64_t)*total + (uint64_t)v);
    if ((v >= 0) == (*total >= 0) && (r >= 0) != (v >= 0))
        *wraps += v >= 0 ? 1 : -1;
    *total = r;
}

int64_t mochi_list_sum_i64(int32_t line, mref r)
{
    MList *l = check(line, r);
    int64_t total = 0, wraps = 0, i;
    bool raw = mochi_rep(l->elem) == REP_I64;
    for (i = 0; i < l->len; i++)
        sum_add(&total, raw ? l->items[i].i : mochi_val_as(line, mochi_list_at(l, i), REP_I64).i,
                &wraps);
    if (wraps != 0)
        mochi_overflow(line);
    return total;
}

/* Python's sum: ints add exactly until the first float */
double mochi_list_sum_f64(int32_t line, mref r)
{
    MList *l = check(line, r);
    int64_t itotal = 0, wraps = 0;
    double total = 0.0;
    bool floating = mochi_rep(l->elem) == REP_F64;
    int64_t i;
    for (i = 0; i < l->len; i++) {
        MVal v = mochi_list_at(l, i);
        if (v.k == V_INT && !floating) {
            sum_add(&itotal, v.v.i, &wraps);
            continue;
        }
        if (!floating) {
            total = (double)itotal + (double)wraps * 18446744073709551616.0;
            floating = true;
        }
        total += v.k == V_FLOAT ? v.v.f : mochi_val_as(line, v, REP_F64).f;
    }
    return floating ? total : (double)itotal + (double)wraps * 18446744073709551616.0;
}

mref mochi_list_sum_any(int32_t line, mref r)
{
    MList *l = check(line, r);
    mref total = mochi_box_i64(line, 0, &mochi_t_int);
    int64_t i;
    for (i = 0; i < l->len; i++) {
        mref x = mochi_val_to_ref(line, mochi_list_at(l, i));
        mref next = mochi_any_binop(line, total, x, "+");
        mochi_release(x);
        mochi_release(total);
        total = next;
    }
    return total;
}

/* float(x) of each element, as Python's float() */
static double as_float(int32_t line, MVal v)
{
    double f;
    mref x;
    switch (v.k) {
    case V_INT: return (double)v.v.i;
    case V_FLOAT: return v.v.f;
    case V_BOOL: return v.v.b;
    default:
        x = mochi_val_to_ref(line, v);
        f = mochi_any_to_float(line, x);
        mochi_release(x);
        return f;
    }
}

double mochi_list_avg(int32_t line, mref r)
{
    MList *l = check(line, r);
    double total = 0.0;
    int64_t i;
    if (l->len == 0)
        return 0.0;
    for (i = 0; i < l->len; i++)
        total += as_float(line, mochi_list_at(l, i));
    return total / (double)l->len;
}

static mref extreme(int32_t line, mref r, int want)
{
    MList *l = check(line, r);
    int64_t i, best = 0;
    if (l->len == 0)
        return NULL;
    for (i = 1; i < l->len; i++)
        if (mochi_val_cmp(line, mochi_list_at(l, i), mochi_list_at(l, best)) == want)
            best = i;
    return mochi_val_to_ref(line, mochi_list_at(l, best));
}

mref mochi_list_min(int32_t line, mref l)
{
    return extreme(line, l, -1);
}

mref mochi_list_max(int32_t line, mref l)
{
    return extreme(line, l, 1);
}

mref mochi_list_range(int32_t line, int64_t a, int64_t b, int64_t step)
{
    uint64_t n = 0, i;
    MList *l;
    if (step == 0)
        mochi_error(line, "range step cannot be zero");
    if (step > 0 && a < b)
        n = ((uint64_t)b - (uint64_t)a - 1) / (uint64_t)step + 1;
    else if (step < 0 && a > b)
        n = ((uint64_t)a - (uint64_t)b - 1) / (0 - (uint64_t)step) + 1;
    if (n > (uint64_t)INT64_MAX)
        mochi_error(line, "out of memory");
    l = mochi_list_alloc(line, &mochi_t_int, (int64_t)n);
    for (i = 0; i < n; i++)
        l->items[i].i = (int64_t)((uint64_t)a + i * (uint64_t)step);
    l->len = (int64_t)n;
    return &l->h;
}

/* ------------------------------------------------------------------ groups */

static const MType group_type = {MT_GROUP, NULL, NULL, NULL, NULL, "group"};

mref mochi_group_by(int32_t line, mref keys, mref rows, const MType *key, const MType *elem)
{
    MList *k = check(line, keys), *r = check(line, rows);
    MList *out = mochi_list_alloc(line, &group_type, 0);
    MMap *index = mochi_map_alloc(line, &mochi_t_any, &mochi_t_int, EQ_STRICT);
    int64_t i, n = k->len < r->len ? k->len : r->len;
    (void)key;
    (void)elem;
    for (i = 0; i < n; i++) {
        MVal kv = mochi_list_at(k, i);
        int64_t e = mochi_map_find(index, kv);
        MGroup *g;
        if (e < 0) {
            g = mochi_new(line, sizeof *g, MK_GROUP);
            g->key = mochi_val_to_ref(line, kv);
            g->items = mochi_list_alloc(line, r->elem, 0);
            e = mochi_map_entry(line, index, kv);
            index->ent[e].val.i = out->len;
            mochi_list_put(line, out, mochi_val_ref(&g->h));
            mochi_release(&g->h);
        }
        g = (MGroup *)out->items[index->ent[e].val.i].r;
        mochi_list_put(line, g->items, mochi_list_at(r, i));
    }
    mochi_release(&index->h);
    return &out->h;
}

static MGroup *group(int32_t line, mref g)
{
    if (g == NULL)
        mochi_nil(line);
    return (MGroup *)g;
}

mref mochi_group_key(int32_t line, mref g)
{
    mref k = group(line, g)->key;
    mochi_retain(k);
    return k;
}

mref mochi_group_items(int32_t line, mref g)
{
    MList *items = group(line, g)->items;
    mochi_retain(&items->h);
    return &items->h;
}
