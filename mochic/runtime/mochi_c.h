/* The C backend's inline fast paths: what a program emitted by mochic's C
 * backend includes after mochi.h (docs/RUNTIME.md, "The C backend's fast
 * paths").
 *
 * Each function has the effect of the runtime function it is named after
 * (mochi_c_X is mochi_X): the common case is done in place and marked likely,
 * every other case (a negative index, an error, a list whose storage is not
 * the element's representation, a shared or full list) calls the runtime.
 * The hints matter: without them the C compiler lays the call out inline and
 * keeps a loop's values in memory across it, because a call clobbers every
 * floating-point register.  mochi.h's unhinted `_inline` forms are what the
 * JIT's stencils are compiled from; this header is outside the stencils'
 * sources, so changing it never changes a stencil. */
#ifndef MOCHI_C_H
#define MOCHI_C_H

#include "mochi.h"

#ifdef MOCHI_OVERFLOW_BUILTINS
#define MOCHI_LIKELY(c) __builtin_expect(!!(c), 1)
#else
#define MOCHI_LIKELY(c) (c)
#endif

/* the list stores slots of the element's representation kind (mochi.h, "inline
 * fast paths"): MT_INT, MT_FLOAT and MT_BOOL raw, every later kind as refs */
#define MOCHI_C_RAW(x, KIND) ((x)->elem->kind == (KIND))
#define MOCHI_C_REFS(x, KIND) ((x)->elem->kind > MT_BOOL)
#define MOCHI_C_IN(x, i) ((x) != NULL && (uint64_t)(i) < (uint64_t)(x)->len)

static inline int64_t mochi_c_list_len(int32_t line, mref l)
{
    if (MOCHI_LIKELY(l != NULL))
        return ((MList *)l)->len;
    return mochi_list_len(line, l);
}

static inline int64_t mochi_c_str_len(int32_t line, mref s)
{
    if (MOCHI_LIKELY(s != NULL && ((MStr *)s)->ncp >= 0))
        return ((MStr *)s)->ncp;
    return mochi_str_len(line, s);
}

#define MOCHI_C_SCALAR(T, CT, MEMBER, KIND)                                              \
    static inline CT mochi_c_list_get_##T(int32_t line, mref l, int64_t i)               \
    {                                                                                    \
        MList *x = (MList *)l;                                                           \
        if (MOCHI_LIKELY(MOCHI_C_IN(x, i) && MOCHI_C_RAW(x, KIND)))                      \
            return x->items[i].MEMBER;                                                   \
        return mochi_list_get_##T(line, l, i);                                           \
    }                                                                                    \
    static inline void mochi_c_list_set_##T(int32_t line, mref l, int64_t i, CT v)       \
    {                                                                                    \
        MList *x = (MList *)l;                                                           \
        if (MOCHI_LIKELY(MOCHI_C_IN(x, i) && MOCHI_C_RAW(x, KIND)))                      \
            x->items[i].MEMBER = v;                                                      \
        else                                                                             \
            mochi_list_set_##T(line, l, i, v);                                           \
    }
MOCHI_C_SCALAR(i64, int64_t, i, MT_INT)
MOCHI_C_SCALAR(f64, double, f, MT_FLOAT)
MOCHI_C_SCALAR(bool, bool, b, MT_BOOL)
#undef MOCHI_C_SCALAR

static inline mref mochi_c_list_get_ref(int32_t line, mref l, int64_t i)
{
    MList *x = (MList *)l;
    if (MOCHI_LIKELY(MOCHI_C_IN(x, i) && MOCHI_C_REFS(x, 0))) {
        mochi_retain_inline(x->items[i].r);
        return x->items[i].r;
    }
    return mochi_list_get_ref(line, l, i);
}

/* a list element without a reference of its own (ir/refcount.py: a peek) */
static inline mref mochi_c_list_peek(int32_t line, mref l, int64_t i)
{
    MList *x = (MList *)l;
    mref r;
    if (MOCHI_LIKELY(MOCHI_C_IN(x, i) && MOCHI_C_REFS(x, 0)))
        return x->items[i].r;
    r = mochi_list_get_ref(line, l, i);
    mochi_release_inline(r); /* the list keeps its own reference */
    return r;
}

static inline void mochi_c_list_set_ref(int32_t line, mref l, int64_t i, mref v)
{
    MList *x = (MList *)l;
    if (MOCHI_LIKELY(MOCHI_C_IN(x, i) && MOCHI_C_REFS(x, 0))) {
        mref old = x->items[i].r;
        mochi_retain_inline(v);
        x->items[i].r = v;
        mochi_release_inline(old);
    } else {
        mochi_list_set_ref(line, l, i, v);
    }
}

/* `xs = append(xs, v)` (reuse != 0) on a list nobody else holds, with room:
 * the element goes in place and the list comes back with the reference of
 * the caller's new value, as mochi_list_append_T does */
#define MOCHI_C_APPEND(T, CT, MEMBER, KIND, TEST, RETAIN)                                \
    static inline mref mochi_c_list_append_##T(int32_t line, mref l, CT v, int reuse)    \
    {                                                                                    \
        MList *x = (MList *)l;                                                           \
        if (MOCHI_LIKELY(reuse && x != NULL && x->h.rc == 1 && x->len < x->cap &&        \
                         TEST(x, KIND))) {                                               \
            MSlot s;                                                                     \
            s.i = 0;                                                                     \
            s.MEMBER = v;                                                                \
            RETAIN;                                                                      \
            x->items[x->len++] = s;                                                      \
            x->h.rc = 2;                                                                 \
            return l;                                                                    \
        }                                                                                \
        return mochi_list_append_##T(line, l, v, reuse);                                 \
    }
MOCHI_C_APPEND(i64, int64_t, i, MT_INT, MOCHI_C_RAW, (void)0)
MOCHI_C_APPEND(f64, double, f, MT_FLOAT, MOCHI_C_RAW, (void)0)
MOCHI_C_APPEND(bool, bool, b, MT_BOOL, MOCHI_C_RAW, (void)0)
MOCHI_C_APPEND(ref, mref, r, 0, MOCHI_C_REFS, mochi_retain_inline(v))
#undef MOCHI_C_APPEND

/* `match` on a variant: a struct of this descriptor, or not one of its name (the
 * runtime compares the names of two descriptors) */
static inline bool mochi_c_struct_is(int32_t line, mref o, const MStructDesc *d)
{
    if (MOCHI_LIKELY(o != NULL && o->kind == MK_STRUCT)) {
        const MStructDesc *od = ((MStruct *)o)->desc;
        if (od == d)
            return true;
        if (od->name[0] != d->name[0])
            return false;
    }
    return mochi_struct_is(line, o, d);
}

#undef MOCHI_C_RAW
#undef MOCHI_C_REFS
#undef MOCHI_C_IN

#endif
