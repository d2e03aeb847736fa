/* The Mochi runtime library: the one implementation of Mochi's heap values,
 * printing, runtime errors and memory management, shared by every native tier
 * (the C backend links it, the JIT loads it, the native backend links its
 * objects).  This header is its whole API; docs/RUNTIME.md explains the design.
 *
 * Values.  IR type i64 is int64_t, f64 is double, bool is bool, ref is
 * `mref`, a pointer to a heap object (NULL is Mochi's `none`).  Every heap
 * object starts with an MHeader.
 *
 * Ownership (reference counting).  Every ref returned by a runtime function
 * is a NEW reference the caller owns and must eventually mochi_release.
 * Every ref passed to a runtime function is BORROWED: the function retains
 * what it keeps (a list element, a map entry, a struct field, a captured
 * value).  Objects with rc < 0 are immortal (string constants, type
 * descriptors) and retain/release ignore them.  Reference cycles (a closure
 * that captures the cell holding itself) are not reclaimed.
 *
 * Errors.  Functions that can fail take the Mochi source line first; on an
 * error they flush stdout, print `FILE:LINE: runtime error: MESSAGE` to stderr
 * and exit(1).  FILE is set once by mochi_init.
 *
 * Naming.  IR opcode `a.b.T` is mochi_a_b_T; its operands come in order after
 * the line, then the values of its immediates.
 */
#ifndef MOCHI_H
#define MOCHI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ objects */

typedef enum {
    MK_STR = 1, MK_LIST, MK_MAP, MK_STRUCT, MK_CLOSURE, MK_CELL, MK_BOX, MK_GROUP,
    MK_BIGINT, MK_BIGRAT
} MKind;

typedef struct MHeader {
    int32_t rc;     /* reference count; < 0: immortal */
    uint16_t kind;  /* MKind */
    uint16_t flags;
} MHeader;

typedef MHeader *mref;

/* One 8-byte slot: a list element, a struct field, a map value, a capture. */
typedef union MSlot {
    int64_t i;
    double f;
    bool b;
    mref r;
} MSlot;

/* ------------------------------------------------------------ type descriptors
 * Static data the C emitter writes for every Mochi type a program boxes,
 * prints, compares or stores in a container: what a value is, so generic code
 * (printing, equality, hashing, release of container elements) can walk it. */

typedef enum {
    MT_INT = 1, MT_FLOAT, MT_BOOL, MT_STRING, MT_NONE, MT_ANY,
    MT_LIST, MT_MAP, MT_STRUCT, MT_SUM, MT_FUN, MT_GROUP, MT_BIGINT, MT_BIGRAT
} MTypeKind;

typedef struct MStructDesc MStructDesc;

typedef struct MType {
    MTypeKind kind;
    const struct MType *elem;  /* MT_LIST, MT_GROUP: element type */
    const struct MType *key;   /* MT_MAP, MT_GROUP: key type */
    const struct MType *value; /* MT_MAP: value type */
    const MStructDesc *sd;     /* MT_STRUCT: the struct or variant */
    const char *name;          /* MT_STRUCT, MT_SUM: the type's name; for any
                                  kind, when set, how errors name the type
                                  (`cannot cast int to fun(int): int`) */
} MType;

extern const MType mochi_t_int, mochi_t_float, mochi_t_bool, mochi_t_string,
    mochi_t_none, mochi_t_any, mochi_t_bigint, mochi_t_bigrat;

/* A struct or sum-type variant.  The emitter defines one C struct per Mochi
 * struct whose first member is `MHeader h; const MStructDesc *desc;` followed
 * by one MSlot per field, in declaration order; fields are read and written
 * inline as ((MStruct *)o)->f[i]. */
struct MStructDesc {
    const char *name;
    int32_t nfields;
    const char *const *field_names;
    const MType *const *field_types;
    const MStructDesc *parent_sum_tag; /* a variant: a descriptor whose name is
                                          its sum type's (checked by unbox to
                                          the sum type); NULL: unchecked */
};

typedef struct MStruct {
    MHeader h;
    const MStructDesc *desc;
    MSlot f[];
} MStruct;

typedef struct MClosure {
    MHeader h;
    void *fn;          /* the lifted function; called as fn(closure, args...) */
    int32_t ncaps;
    const MType *const *cap_types; /* may be NULL when no capture is a ref */
    MSlot caps[];
} MClosure;

typedef struct MCell {
    MHeader h;
    const MType *t;
    MSlot v;
} MCell;

typedef struct MBox {
    MHeader h;
    const MType *t;    /* the boxed value's Mochi type */
    MSlot v;
} MBox;

typedef struct MStr {
    MHeader h;
    int64_t nbytes;    /* UTF-8 length */
    int64_t ncp;       /* code points; -1 until computed */
    char data[];       /* NUL-terminated */
} MStr;

typedef struct MList {
    MHeader h;
    const MType *elem;
    int64_t len, cap;
    MSlot *items;
} MList;

/* ------------------------------------------------------------------ lifecycle */

void mochi_init(const char *file, int argc, char **argv);
void mochi_exit(int status);        /* flushes output and exits */
void mochi_retain(mref o);
void mochi_release(mref o);
/* release a slot holding a value of Mochi type t (a no-op for scalars) */
void mochi_release_slot(MSlot s, const MType *t);
_Noreturn void mochi_error(int32_t line, const char *fmt, ...);

/* an immortal string for a constant of nbytes UTF-8 bytes (called once per
 * constant, at start-up) */
mref mochi_str_const(const char *utf8, int64_t nbytes);

/* ------------------------------------------------------------------ ints */

/* An int result that does not fit in 64 bits is the runtime error 'integer
 * overflow', never a wrapped value (LANGUAGE.md, "Types"). */
_Noreturn void mochi_overflow(int32_t line);
int64_t mochi_div_i64(int32_t line, int64_t a, int64_t b);  /* 'division by zero' */
int64_t mochi_rem_i64(int32_t line, int64_t a, int64_t b);
int64_t mochi_f2i(int32_t line, double f);  /* truncated; NaN, inf, out of range: overflow */
int64_t mochi_pow_i64(int32_t line, int64_t a, int64_t b); /* b < 0 gives 1, as Go's big.Int.Exp */
/* The checked product as a call, for code with no 64x64->128 multiply or
 * overflow flag of its own (the Wasm encoder's slow path). */
int64_t mochi_mul_i64_call(int32_t line, int64_t a, int64_t b);

/* ------------------------------------------------------------------ bigint, bigrat
 * Immutable heap numbers of any size (mochi_big.c).  A none operand reads as
 * zero.  bigint `/` truncates toward zero and `%` takes the dividend's sign;
 * a bigrat is kept in lowest terms with a positive denominator. */

mref mochi_big_from_i64(int32_t line, int64_t v);
mref mochi_big_from_f64(int32_t line, double v); /* truncated; 'cannot cast NaN to bigint' */
mref mochi_big_from_str(int32_t line, mref s);   /* 'cannot parse "s" as bigint' */
int64_t mochi_big_to_i64(int32_t line, mref a);  /* 'integer overflow' */
double mochi_big_to_f64(int32_t line, mref a);   /* nearest, ties to even */
mref mochi_big_add(int32_t line, mref a, mref b);
mref mochi_big_sub(int32_t line, mref a, mref b);
mref mochi_big_mul(int32_t line, mref a, mref b);
mref mochi_big_div(int32_t line, mref a, mref b); /* 'division by zero' */
mref mochi_big_rem(int32_t line, mref a, mref b);
mref mochi_big_neg(int32_t line, mref a);
mref mochi_big_abs(int32_t line, mref a);
mref mochi_big_pow(int32_t line, mref a, int64_t e); /* e <= 0 gives 1 */
bool mochi_eq_big(int32_t line, mref a, mref b);
bool mochi_ne_big(int32_t line, mref a, mref b);
bool mochi_lt_big(int32_t line, mref a, mref b);
bool mochi_le_big(int32_t line, mref a, mref b);
bool mochi_gt_big(int32_t line, mref a, mref b);
bool mochi_ge_big(int32_t line, mref a, mref b);
mref mochi_rat_from_i64(int32_t line, int64_t v);
mref mochi_rat_from_big(int32_t line, mref a);
mref mochi_rat_from_f64(int32_t line, double v); /* exact */
mref mochi_rat_from_str(int32_t line, mref s);   /* "a/b", "1.25", "1e-3" */
mref mochi_rat_add(int32_t line, mref a, mref b);
mref mochi_rat_sub(int32_t line, mref a, mref b);
mref mochi_rat_mul(int32_t line, mref a, mref b);
mref mochi_rat_div(int32_t line, mref a, mref b); /* 'division by zero' */
mref mochi_rat_neg(int32_t line, mref a);
mref mochi_rat_abs(int32_t line, mref a);
mref mochi_rat_num(int32_t line, mref a);   /* a bigint */
mref mochi_rat_denom(int32_t line, mref a); /* a bigint, > 0 */
mref mochi_rat_to_big(int32_t line, mref a); /* truncated toward zero */
double mochi_rat_to_f64(int32_t line, mref a); /* nearest, ties to even */
bool mochi_eq_rat(int32_t line, mref a, mref b);
bool mochi_ne_rat(int32_t line, mref a, mref b);
bool mochi_lt_rat(int32_t line, mref a, mref b);
bool mochi_le_rat(int32_t line, mref a, mref b);
bool mochi_gt_rat(int32_t line, mref a, mref b);
bool mochi_ge_rat(int32_t line, mref a, mref b);

/* ------------------------------------------------------------------ boxing */

mref mochi_box_i64(int32_t line, int64_t v, const MType *t);
mref mochi_box_f64(int32_t line, double v, const MType *t);
mref mochi_box_bool(int32_t line, bool v, const MType *t);
/* a ref keeps its own identity when t is dynamic (any): returns it retained */
mref mochi_box_ref(int32_t line, mref v, const MType *t);
int64_t mochi_unbox_i64(int32_t line, mref v, const MType *t);  /* 'cannot cast X to Y' */
double mochi_unbox_f64(int32_t line, mref v, const MType *t);
bool mochi_unbox_bool(int32_t line, mref v, const MType *t);
mref mochi_unbox_ref(int32_t line, mref v, const MType *t);
mref mochi_conv(int32_t line, mref v, const MType *from, const MType *to);

/* ------------------------------------------------------------------ dynamic (any) */

mref mochi_any_binop(int32_t line, mref a, mref b, const char *op); /* + - * / % abs */
mref mochi_any_neg(int32_t line, mref a);
bool mochi_any_truthy(int32_t line, mref a);
mref mochi_any_field(int32_t line, mref a, const char *name);
mref mochi_any_index(int32_t line, mref a, mref k);
void mochi_any_set_index(int32_t line, mref a, mref k, mref v);
int64_t mochi_any_len(int32_t line, mref a);
bool mochi_any_contains(int32_t line, mref coll, mref x);
mref mochi_any_iter(int32_t line, mref a);
int64_t mochi_any_to_int(int32_t line, mref a);
double mochi_any_to_float(int32_t line, mref a);
bool mochi_eq_any(int32_t line, mref a, mref b);
bool mochi_ne_any(int32_t line, mref a, mref b);
bool mochi_lt_any(int32_t line, mref a, mref b);
bool mochi_le_any(int32_t line, mref a, mref b);
bool mochi_gt_any(int32_t line, mref a, mref b);
bool mochi_ge_any(int32_t line, mref a, mref b);
/* structural equality of two values of the same static ref type */
bool mochi_eq_ref(int32_t line, mref a, mref b);
bool mochi_ne_ref(int32_t line, mref a, mref b);

/* ------------------------------------------------------------------ strings */

bool mochi_eq_str(int32_t line, mref a, mref b);
bool mochi_ne_str(int32_t line, mref a, mref b);
bool mochi_lt_str(int32_t line, mref a, mref b);
bool mochi_le_str(int32_t line, mref a, mref b);
bool mochi_gt_str(int32_t line, mref a, mref b);
bool mochi_ge_str(int32_t line, mref a, mref b);
mref mochi_str_concat(int32_t line, mref a, mref b);
/* a + b where the caller's reference to a dies at this call (`s = s + b`): an
 * unshared a (rc == 1) with room is extended in place and returned retained;
 * otherwise the result is a new string with room to grow (amortised O(1)) */
mref mochi_str_append(int32_t line, mref a, mref b);
int64_t mochi_str_len(int32_t line, mref s);
mref mochi_str_index(int32_t line, mref s, int64_t i);
mref mochi_str_slice(int32_t line, mref s, int64_t a, int64_t b);
bool mochi_str_contains(int32_t line, mref s, mref sub);
mref mochi_str_from_i64(int32_t line, int64_t v);
mref mochi_str_from_f64(int32_t line, double v);
mref mochi_str_from_bool(int32_t line, bool v);
mref mochi_str_from_any(int32_t line, mref v);
int64_t mochi_str_to_int(int32_t line, mref s);
int64_t mochi_str_parse_int(int32_t line, mref s, int64_t base);
double mochi_str_to_float(int32_t line, mref s);
mref mochi_str_substring(int32_t line, mref s, int64_t a, int64_t b);
mref mochi_str_lower(int32_t line, mref s);
mref mochi_str_upper(int32_t line, mref s);
mref mochi_str_trim(int32_t line, mref s);
mref mochi_str_split(int32_t line, mref s, mref sep);
mref mochi_str_join(int32_t line, mref list, mref sep);
int64_t mochi_str_index_of(int32_t line, mref s, mref sub);
mref mochi_str_repeat(int32_t line, mref s, int64_t n);
mref mochi_str_pad_start(int32_t line, mref s, int64_t width, mref pad);
bool mochi_str_starts_with(int32_t line, mref s, mref p);
bool mochi_str_ends_with(int32_t line, mref s, mref p);
mref mochi_str_reverse(int32_t line, mref s);
int64_t mochi_str_ord(int32_t line, mref s);
mref mochi_str_chr(int32_t line, int64_t cp);
/* sha256(data): a boxed string (its UTF-8) or list of ints (bytes) -> list<int> */
mref mochi_sha256(int32_t line, mref data);

/* ------------------------------------------------------------------ lists */

mref mochi_list_new(int32_t line, const MType *elem);
int64_t mochi_list_len(int32_t line, mref l);
int64_t mochi_list_get_i64(int32_t line, mref l, int64_t i);
double mochi_list_get_f64(int32_t line, mref l, int64_t i);
bool mochi_list_get_bool(int32_t line, mref l, int64_t i);
mref mochi_list_get_ref(int32_t line, mref l, int64_t i);
void mochi_list_set_i64(int32_t line, mref l, int64_t i, int64_t v);
void mochi_list_set_f64(int32_t line, mref l, int64_t i, double v);
void mochi_list_set_bool(int32_t line, mref l, int64_t i, bool v);
void mochi_list_set_ref(int32_t line, mref l, int64_t i, mref v);
void mochi_list_push_i64(int32_t line, mref l, int64_t v);
void mochi_list_push_f64(int32_t line, mref l, double v);
void mochi_list_push_bool(int32_t line, mref l, bool v);
void mochi_list_push_ref(int32_t line, mref l, mref v);
/* `reuse` != 0: the operand's old value dies at this call, so a list with
 * rc == 1 is extended in place and returned (retained) instead of copied */
mref mochi_list_append_i64(int32_t line, mref l, int64_t v, int reuse);
mref mochi_list_append_f64(int32_t line, mref l, double v, int reuse);
mref mochi_list_append_bool(int32_t line, mref l, bool v, int reuse);
mref mochi_list_append_ref(int32_t line, mref l, mref v, int reuse);
bool mochi_list_contains_i64(int32_t line, mref l, int64_t v);
bool mochi_list_contains_f64(int32_t line, mref l, double v);
bool mochi_list_contains_bool(int32_t line, mref l, bool v);
bool mochi_list_contains_ref(int32_t line, mref l, mref v);
int64_t mochi_list_index_of_i64(int32_t line, mref l, int64_t v);
int64_t mochi_list_index_of_f64(int32_t line, mref l, double v);
int64_t mochi_list_index_of_bool(int32_t line, mref l, bool v);
int64_t mochi_list_index_of_ref(int32_t line, mref l, mref v);
mref mochi_list_concat(int32_t line, mref a, mref b);
mref mochi_list_slice(int32_t line, mref l, int64_t a, int64_t b);
mref mochi_list_reverse(int32_t line, mref l);
mref mochi_list_union(int32_t line, mref a, mref b);
mref mochi_list_union_all(int32_t line, mref a, mref b);
mref mochi_list_except(int32_t line, mref a, mref b);
mref mochi_list_intersect(int32_t line, mref a, mref b);
mref mochi_list_distinct(int32_t line, mref l);
mref mochi_list_sort(int32_t line, mref items, mref keys); /* keys: list<any> */
int64_t mochi_list_sum_i64(int32_t line, mref l);
double mochi_list_sum_f64(int32_t line, mref l);
mref mochi_list_sum_any(int32_t line, mref l);
double mochi_list_avg(int32_t line, mref l);
mref mochi_list_min(int32_t line, mref l);   /* boxed; none when empty */
mref mochi_list_max(int32_t line, mref l);
mref mochi_list_range(int32_t line, int64_t a, int64_t b, int64_t step);

/* ------------------------------------------------------------------ maps
 * Keys are compared by value; iteration (keys, values, printing) goes in
 * ascending order of the key's string form. */

mref mochi_map_new(int32_t line, const MType *key, const MType *value);
int64_t mochi_map_len(int32_t line, mref m);
mref mochi_map_keys(int32_t line, mref m);
mref mochi_map_values(int32_t line, mref m);
#define MOCHI_MAP_KEYED(K, KT)                                                   \
    bool mochi_map_has_##K(int32_t line, mref m, KT k);                          \
    void mochi_map_del_##K(int32_t line, mref m, KT k);                          \
    int64_t mochi_map_get_##K##_i64(int32_t line, mref m, KT k, int64_t zero);   \
    double mochi_map_get_##K##_f64(int32_t line, mref m, KT k, double zero);     \
    bool mochi_map_get_##K##_bool(int32_t line, mref m, KT k, bool zero);        \
    mref mochi_map_get_##K##_ref(int32_t line, mref m, KT k, mref zero);         \
    void mochi_map_set_##K##_i64(int32_t line, mref m, KT k, int64_t v);         \
    void mochi_map_set_##K##_f64(int32_t line, mref m, KT k, double v);          \
    void mochi_map_set_##K##_bool(int32_t line, mref m, KT k, bool v);           \
    void mochi_map_set_##K##_ref(int32_t line, mref m, KT k, mref v);
MOCHI_MAP_KEYED(i64, int64_t)
MOCHI_MAP_KEYED(f64, double)
MOCHI_MAP_KEYED(bool, bool)
MOCHI_MAP_KEYED(ref, mref)
#undef MOCHI_MAP_KEYED

/* ------------------------------------------------------------------ structs */

/* a struct with every field zero (scalars) or none (refs); the emitter then
 * stores the fields inline, retaining refs it stores */
mref mochi_struct_new(int32_t line, const MStructDesc *d);
bool mochi_struct_is(int32_t line, mref o, const MStructDesc *d);
_Noreturn void mochi_nil_field(int32_t line, const char *field);

/* ------------------------------------------------------------------ groups */

mref mochi_group_by(int32_t line, mref keys, mref rows, const MType *key,
                    const MType *elem);          /* list of groups */
mref mochi_group_key(int32_t line, mref g);      /* boxed */
mref mochi_group_items(int32_t line, mref g);    /* list */

/* ------------------------------------------------------------------ closures, cells */

mref mochi_closure_new(int32_t line, void *fn, int32_t ncaps,
                       const MType *const *cap_types);
mref mochi_cell_new(int32_t line, const MType *t);
_Noreturn void mochi_not_callable(int32_t line, mref v);

/* ------------------------------------------------------------------ math */

double mochi_math_f64(const char *name, double x);    /* by name, for the JIT */
double mochi_math2_f64(const char *name, double x, double y);
double mochi_round(double x);                         /* half away from zero */
double mochi_exp(double x);  /* correctly rounded, the same on every target */

/* ------------------------------------------------------------------ datasets
 * `load "path" as T with opts`: the rows of a CSV, JSON, JSON lines or YAML
 * file ("-": standard input) as a list of `row`; `save rows to "path" with
 * opts` ("-": standard output).  opts: a boxed map<string, any>, or none;
 * rows: a boxed list of structs or maps.  Bad input is a runtime error
 * naming the file, its line and the field. */
mref mochi_load(int32_t line, mref path, mref opts, const MType *row);
void mochi_save(int32_t line, mref rows, mref path, mref opts);

/* ------------------------------------------------------------------ I/O */

void mochi_print(int32_t line, int32_t n, const mref *boxed_args);
/* mochi_print of arguments that are all ints, bools or strings (a compiler knows it
 * from their types): the same text without the generic formatter, so a program that
 * prints only those links none of it */
void mochi_print_plain(int32_t line, int32_t n, const mref *boxed_args);
void mochi_json(int32_t line, mref boxed);
mref mochi_input(int32_t line);
int64_t mochi_now(int32_t line);
_Noreturn void mochi_panic(int32_t line, mref msg);
void mochi_expect(int32_t line, bool ok, bool in_test);
/* `mochic test`: a test runner brackets each test block with begin/end;
 * inside, mochi_expect(..., in_test=true) records failures instead of
 * stopping.  end prints `test NAME ... ok (N expectations)` or `... FAIL`
 * and the failed lines, as the interpreter's runner; summary prints
 * `P passed, F failed` and returns the exit status (1 if any failed). */
void mochi_test_begin(void);
bool mochi_test_end(const char *name);
int mochi_test_summary(void);

/* ------------------------------------------------------------------ JIT support
 * 'stack overflow' and 'unreachable code reached' at line; output flushed
 * without exiting; the instruction cache made coherent with new code. */
_Noreturn void mochi_stack_overflow(int32_t line);
_Noreturn void mochi_unreachable(int32_t line);
void mochi_flush(void);
void mochi_clear_cache(void *begin, void *end);

/* ------------------------------------------------------------------ formatting
 * Exposed for tests and the JIT: write into a caller buffer, return length. */
int mochi_format_float(double f, char *buf, size_t size);           /* str() style */
int mochi_format_float_container(double f, char *buf, size_t size); /* print container */

/* ------------------------------------------------------------------ checked int arithmetic
 * Inline, as emitted code and the JIT's stencils use them: the CPU's overflow
 * flag where the compiler exposes it, a portable test otherwise. */

#if defined(__has_builtin)
#if __has_builtin(__builtin_add_overflow) && __has_builtin(__builtin_mul_overflow)
#define MOCHI_OVERFLOW_BUILTINS 1
#endif
#elif defined(__GNUC__) && __GNUC__ >= 5
#define MOCHI_OVERFLOW_BUILTINS 1
#endif

#ifdef MOCHI_OVERFLOW_BUILTINS
#define MOCHI_UNLIKELY(c) __builtin_expect(!!(c), 0)
#else
#define MOCHI_UNLIKELY(c) (c)
#endif

static inline int64_t mochi_add_i64(int32_t line, int64_t a, int64_t b)
{
#ifdef MOCHI_OVERFLOW_BUILTINS
    int64_t r;
    if (MOCHI_UNLIKELY(__builtin_add_overflow(a, b, &r)))
        mochi_overflow(line);
    return r;
#else
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
        mochi_overflow(line);
    return a + b;
#endif
}

static inline int64_t mochi_sub_i64(int32_t line, int64_t a, int64_t b)
{
#ifdef MOCHI_OVERFLOW_BUILTINS
    int64_t r;
    if (MOCHI_UNLIKELY(__builtin_sub_overflow(a, b, &r)))
        mochi_overflow(line);
    return r;
#else
    if ((b < 0 && a > INT64_MAX + b) || (b > 0 && a < INT64_MIN + b))
        mochi_overflow(line);
    return a - b;
#endif
}

static inline int64_t mochi_mul_i64(int32_t line, int64_t a, int64_t b)
{
#ifdef MOCHI_OVERFLOW_BUILTINS
    int64_t r;
    if (MOCHI_UNLIKELY(__builtin_mul_overflow(a, b, &r)))
        mochi_overflow(line);
    return r;
#else
    if (a > 0 ? (b > 0 ? a > INT64_MAX / b : b < INT64_MIN / a)
              : (b > 0 ? a < INT64_MIN / b : a != 0 && b < INT64_MAX / a))
        mochi_overflow(line);
    return a * b;
#endif
}

static inline int64_t mochi_neg_i64(int32_t line, int64_t a)
{
    if (MOCHI_UNLIKELY(a == INT64_MIN))
        mochi_overflow(line);
    return -a;
}

static inline int64_t mochi_abs_i64(int32_t line, int64_t a)
{
    return a < 0 ? mochi_neg_i64(line, a) : a;
}

/* ------------------------------------------------------------------ inline fast paths
 * Optional inline forms of the hottest calls, with the same effect: the
 * common case (an unshared count change; an in-range index into a list whose
 * storage already has the element's representation) is done in place, any
 * other case calls the function it is named after.  A list stores raw
 * int64/double/bool slots when its `elem` kind is MT_INT/MT_FLOAT/MT_BOOL
 * and refs for every later kind; the runtime may change a list's storage
 * (to refs) when it must hold a value of another type, so only these
 * checked forms may read `items` directly. */

static inline void mochi_retain_inline(mref o)
{
    if (o != NULL && o->rc >= 0)
        o->rc++;
}

static inline void mochi_release_inline(mref o)
{
    if (o == NULL || o->rc < 0)
        return;
    if (o->rc > 1)
        o->rc--;
    else
        mochi_release(o);
}

#define MOCHI_LIST_INLINE(T, CT, MEMBER, KIND)                                          \
    static inline CT mochi_list_get_##T##_inline(int32_t line, mref l, int64_t i)       \
    {                                                                                    \
        MList *x = (MList *)l;                                                           \
        if (x != NULL && (uint64_t)i < (uint64_t)x->len && x->elem->kind == KIND)        \
            return x->items[i].MEMBER;                                                   \
        return mochi_list_get_##T(line, l, i);                                           \
    }                                                                                    \
    static inline void mochi_list_set_##T##_inline(int32_t line, mref l, int64_t i,      \
                                                   CT v)                                 \
    {                                                                                    \
        MList *x = (MList *)l;                                                           \
        if (x != NULL && (uint64_t)i < (uint64_t)x->len && x->elem->kind == KIND)        \
            x->items[i].MEMBER = v;                                                      \
        else                                                                             \
            mochi_list_set_##T(line, l, i, v);                                           \
    }
MOCHI_LIST_INLINE(i64, int64_t, i, MT_INT)
MOCHI_LIST_INLINE(f64, double, f, MT_FLOAT)
MOCHI_LIST_INLINE(bool, bool, b, MT_BOOL)
#undef MOCHI_LIST_INLINE

static inline mref mochi_list_get_ref_inline(int32_t line, mref l, int64_t i)
{
    MList *x = (MList *)l;
    if (x != NULL && (uint64_t)i < (uint64_t)x->len && x->elem->kind > MT_BOOL) {
        mochi_retain_inline(x->items[i].r);
        return x->items[i].r;
    }
    return mochi_list_get_ref(line, l, i);
}

static inline void mochi_list_set_ref_inline(int32_t line, mref l, int64_t i, mref v)
{
    MList *x = (MList *)l;
    if (x != NULL && (uint64_t)i < (uint64_t)x->len && x->elem->kind > MT_BOOL) {
        mref old = x->items[i].r;
        mochi_retain_inline(v);
        x->items[i].r = v;
        mochi_release_inline(old);
    } else {
        mochi_list_set_ref(line, l, i, v);
    }
}

#ifdef __cplusplus
}
#endif
#endif
