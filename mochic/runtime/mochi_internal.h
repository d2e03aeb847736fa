/* What the runtime's source files share and emitted code never sees.
 *
 * Representations.  A list element, map key or map value is one MSlot whose
 * representation (MRep) follows from the container's MType: raw int64, double
 * or bool for int, float and bool, a ref for everything else.  Every heap
 * object says what it is (its MHeader kind, a struct's descriptor), so a ref
 * slot needs no static type to be printed, compared or released; only scalar
 * slots do.  The typed accessors (mochi_list_get_f64, mochi_map_set_ref_i64,
 * ...) convert between the caller's view and the storage, so a container
 * keeps its identity when converted (`conv`, `unbox`) between views, as in
 * the reference interpreter, and a container that must hold a value its
 * scalar storage cannot (a string pushed through a list<any> view of a
 * list<int>) widens itself to ref storage.
 *
 * Dynamic values.  MVal is a value seen dynamically: its kind and its slot,
 * with boxes unwrapped.  Equality, hashing, ordering and formatting work on
 * MVals (mochi_any.c, mochi_format.c). */
#ifndef MOCHI_INTERNAL_H
#define MOCHI_INTERNAL_H

#include "mochi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ slots */

typedef enum { REP_I64, REP_F64, REP_BOOL, REP_REF } MRep;

static inline MRep mochi_rep(const MType *t)
{
    if (t == NULL)
        return REP_REF;
    switch (t->kind) {
    case MT_INT: return REP_I64;
    case MT_FLOAT: return REP_F64;
    case MT_BOOL: return REP_BOOL;
    default: return REP_REF;
    }
}

/* ------------------------------------------------------------------ dynamic values */

typedef enum {
    V_NONE, V_INT, V_FLOAT, V_BOOL, V_STR, V_LIST, V_MAP, V_STRUCT, V_FUN, V_CELL, V_GROUP,
    V_BIGINT, V_BIGRAT
} MVKind;

typedef struct MVal {
    MVKind k;
    MSlot v;      /* the scalar, or the object for the ref kinds */
    mref box;     /* the box a scalar was read from, if any */
} MVal;

MVal mochi_val_ref_any(mref r);

/* the value of a ref: a string inline (map keys, the hot case), the rest by
 * the runtime */
static inline MVal mochi_val_ref(mref r)
{
    if (r != NULL && r->kind == MK_STR) {
        MVal v;
        v.k = V_STR;
        v.v.r = r;
        v.box = NULL;
        return v;
    }
    return mochi_val_ref_any(r);
}

static inline MVal mochi_val(MSlot s, MRep rep)
{
    MVal v;
    switch (rep) {
    case REP_I64: v.k = V_INT; break;
    case REP_F64: v.k = V_FLOAT; break;
    case REP_BOOL: v.k = V_BOOL; break;
    default: return mochi_val_ref(s.r);
    }
    v.v = s;
    v.box = NULL;
    return v;
}

static inline MVal mochi_val_i64(int64_t i)
{
    MVal v;
    v.k = V_INT;
    v.v.i = i;
    v.box = NULL;
    return v;
}

static inline MVal mochi_val_f64(double f)
{
    MVal v;
    v.k = V_FLOAT;
    v.v.f = f;
    v.box = NULL;
    return v;
}

static inline MVal mochi_val_bool(bool b)
{
    MVal v;
    v.k = V_BOOL;
    v.v.b = b;
    v.box = NULL;
    return v;
}

/* the value as an `any` ref (a new reference: the object, or a box) */
mref mochi_val_to_ref(int32_t line, MVal v);
/* the value stored as representation rep; a new reference for REP_REF.
 * False when it has no exact form there (the container must widen). */
bool mochi_val_store(int32_t line, MVal v, MRep rep, MSlot *out);
/* the value read as representation rep, as `unbox` reads it (a new
 * reference for REP_REF; none is 0, 0.0, false; an int reads as a float);
 * 'cannot cast X to int' ... when impossible */
MSlot mochi_val_as(int32_t line, MVal v, MRep rep);

/* Equality modes.  EQ_PY is Python's ==, under which true == 1 == 1.0 (map
 * keys); EQ_TOP tells bools from numbers at the top level only (Mochi ==,
 * `in`, indexOf, distinct); EQ_STRICT at every level (group keys). */
enum { EQ_PY, EQ_TOP, EQ_STRICT };
bool mochi_val_eq(MVal a, MVal b, int mode);
uint64_t mochi_val_hash(MVal v);
int mochi_val_cmp(int32_t line, MVal a, MVal b); /* total order of `sort by`, min, < */
const char *mochi_val_type_name(MVal v);         /* int, string, list, Node, nil ... */

/* the decimal digits of v (and its sign), at the end of buf: returns where they
 * start, their count in *len (no printf: str(i) and printing are hot) */
enum { MOCHI_INT_DIGITS = 24 };
const char *mochi_fmt_int(int64_t v, char buf[MOCHI_INT_DIGITS], int *len);

/* ------------------------------------------------------------------ memory */

enum { MF_VISITING = 1 };  /* MHeader.flags: being formatted (cycle check) */
/* MHeader.flags of a string made by mochi_str_append: its data area holds
 * 2^k bytes, k in these bits (0: exactly nbytes + 1, the NUL included) */
enum { MF_STR_ROOM_SHIFT = 8 };
/* MHeader.flags of an object mochi_new took from its free lists (mochi_core.c,
 * "small objects"), its size class in the bits above MF_POOL_SHIFT */
enum { MF_POOLED = 0x800, MF_POOL_SHIFT = 12 };

void *mochi_alloc(int32_t line, size_t size);
void *mochi_grow(int32_t line, void *p, int64_t n, size_t elem); /* realloc to n elems */
void *mochi_new(int32_t line, size_t size, MKind kind);           /* rc 1, zeroed */

/* ------------------------------------------------------------------ growable text */

typedef struct MBuf {
    char *p;
    size_t n, cap;
} MBuf;

void mochi_buf_put(MBuf *b, const char *s, size_t n);
void mochi_buf_puts(MBuf *b, const char *s);
void mochi_buf_putc(MBuf *b, char c);
void mochi_buf_printf(MBuf *b, const char *fmt, ...);
void mochi_buf_int(MBuf *b, int64_t v); /* decimal */
void mochi_buf_free(MBuf *b);

/* ------------------------------------------------------------------ strings */

MStr *mochi_str_alloc(int32_t line, int64_t nbytes); /* data uninitialised but for the NUL */
mref mochi_str_new(int32_t line, const char *p, int64_t n);
mref mochi_str_empty(void);
int64_t mochi_str_ncp(MStr *s);
int mochi_utf8_encode(uint32_t cp, char *out);
/* decode the code point at p (n bytes left) and say how many bytes it takes */
uint32_t mochi_utf8_decode(const char *p, int64_t n, int *len);
void mochi_type_str(MBuf *b, const MType *t); /* list<int>, map<string, any>, Node */

/* ------------------------------------------------------------------ lists */

MList *mochi_list_alloc(int32_t line, const MType *elem, int64_t cap);
void mochi_list_put(int32_t line, MList *l, MVal v); /* append v (borrowed) */
MVal mochi_list_at(MList *l, int64_t i);

/* ------------------------------------------------------------------ maps */

typedef struct MEntry {
    MSlot key, val;
    uint64_t hash;
    bool live;
} MEntry;

typedef struct MMap {
    MHeader h;
    const MType *key, *value;
    int64_t len;          /* live entries */
    int64_t nent, entcap; /* entries used (live or deleted) and allocated */
    MEntry *ent;          /* in insertion order */
    uint32_t *slots;      /* open addressing: entry index + 1, 0 empty */
    int64_t nslots;       /* a power of two, or 0 */
    int64_t *order;       /* live entry indexes by key string form; NULL: stale */
    int eqmode;           /* how keys compare: EQ_PY, or EQ_STRICT for group keys */
} MMap;

MMap *mochi_map_alloc(int32_t line, const MType *key, const MType *value, int eqmode);
int64_t mochi_map_find(MMap *m, MVal key); /* entry index or -1 */
/* the entry for key, added with a zero value if absent */
int64_t mochi_map_entry(int32_t line, MMap *m, MVal key);
void mochi_map_store(int32_t line, MMap *m, int64_t e, MVal v);
const int64_t *mochi_map_order(MMap *m); /* m->len live entry indexes, ordered */
void mochi_map_free(MMap *m);

/* ------------------------------------------------------------------ groups */

typedef struct MGroup {
    MHeader h;
    mref key;      /* boxed */
    MList *items;
} MGroup;

/* ------------------------------------------------------------------ bigint, bigrat */

typedef struct MBig {
    MHeader h;  /* flags: negative (mochi_big.c) */
    int64_t n;  /* limbs; 0 for zero */
    uint32_t d[]; /* base 2^32, least significant first, d[n-1] != 0 */
} MBig;

typedef struct MRat {
    MHeader h;
    MBig *num, *den; /* lowest terms, den > 0 */
} MRat;

void mochi_big_format(MBuf *b, mref big);  /* decimal */
void mochi_rat_format(MBuf *b, mref rat);  /* "num/denom" */
bool mochi_big_fits_i64(mref big, int64_t *out);
uint64_t mochi_big_hash(mref big);
int mochi_big_cmp(mref a, mref b);
int mochi_rat_cmp(int32_t line, mref a, mref b);
/* two numbers of which one is a bigint or bigrat: -1, 0, 1, or 2 (NaN) */
int mochi_num_cmp_big(int32_t line, MVal a, MVal b);
/* a op b (+ - * / % pow) of two numbers of which one is a bigint or bigrat */
mref mochi_big_binop(int32_t line, MVal a, MVal b, const char *op);
double mochi_val_to_f64(int32_t line, MVal v); /* a number of any kind */
void mochi_big_free(mref o); /* release what a dying bigint or bigrat holds */

/* ------------------------------------------------------------------ formatting */

void mochi_fmt_str(MBuf *b, MVal v);       /* str(v): Go's fmt.Sprint */
void mochi_fmt_print(MBuf *b, MVal v);     /* one top-level print argument */
void mochi_fmt_key(MBuf *b, MVal v);       /* a map key's string form */
bool mochi_fmt_json(MBuf *b, MVal v);      /* false: Go's encoder would fail */
bool mochi_fmt_json_compact(MBuf *b, MVal v); /* json.Marshal's form, no white space */
void mochi_fmt_float_plain(MBuf *b, double f); /* strconv.FormatFloat(f, 'f', -1, 64) */

/* ------------------------------------------------------------------ Unicode tables */

typedef struct MUniSpecial {
    uint32_t cp;
    const char *utf8;
} MUniSpecial;

bool mochi_uni_printable(uint32_t cp);
bool mochi_uni_space(uint32_t cp);
bool mochi_uni_letter(uint32_t cp); /* str.isalpha() */
bool mochi_uni_digit(uint32_t cp);  /* str.isdecimal() */
/* the simple case mapping of cp; *several is set when the mapping is
 * several code points (then use that UTF-8 string instead) */
uint32_t mochi_uni_case(uint32_t cp, bool upper, const char **several);

/* ------------------------------------------------------------------ misc */

extern const char *mochi_source_file; /* FILE of runtime errors, from mochi_init */

_Noreturn void mochi_nil(int32_t line); /* 'nil dereference' */
void mochi_io_init(void);      /* stdout buffering, SIGPIPE, MOCHI_NOW_SEED */
void mochi_flush_output(void); /* a closed stdout ends the program quietly, status 1 */
void mochi_str_forget(MStr *s); /* s is being freed: drop cached positions */

#endif
