/* Stencils that call the runtime library: one per IR opcode `a.b.T`, calling
 * mochi_a_b_T(line, operands...) (mochi.h), then the ones whose immediates
 * become holes: K and K2 hold type descriptors, names and zero values. */
#include "jit.h"

RT2(bool, eq_str, ref, ref)
RT2(bool, eq_any, ref, ref)

RT2(bool, ne_str, ref, ref)
RT2(bool, ne_any, ref, ref)

RT2(bool, lt_str, ref, ref)
RT2(bool, lt_any, ref, ref)

RT2(bool, le_str, ref, ref)
RT2(bool, le_any, ref, ref)

RT2(bool, gt_str, ref, ref)
RT2(bool, gt_any, ref, ref)

RT2(bool, ge_str, ref, ref)
RT2(bool, ge_any, ref, ref)

RT2(bool, eq_ref, ref, ref)

RT2(bool, ne_ref, ref, ref)

RT1(ref, any_neg, ref)
RT1(bool, any_truthy, ref)
RT2(ref, any_index, ref, ref)
RT3(void, any_set_index, ref, ref, ref)
RT1(i64, any_len, ref)

RT2(i64, pow_i64, i64, i64)
RT2(bool, any_contains, ref, ref)
RT1(ref, any_iter, ref)
RT1(i64, any_to_int, ref)
RT1(f64, any_to_float, ref)

RT2(ref, big_add, ref, ref)
RT2(ref, big_sub, ref, ref)
RT2(ref, big_mul, ref, ref)
RT2(ref, big_div, ref, ref)
RT2(ref, big_rem, ref, ref)
RT1(ref, big_neg, ref)
RT1(ref, big_abs, ref)
RT2(ref, big_pow, ref, i64)
RT1(ref, big_from_i64, i64)
RT1(ref, big_from_f64, f64)
RT1(ref, big_from_str, ref)
RT1(i64, big_to_i64, ref)
RT1(f64, big_to_f64, ref)
RT2(ref, rat_add, ref, ref)
RT2(ref, rat_sub, ref, ref)
RT2(ref, rat_mul, ref, ref)
RT2(ref, rat_div, ref, ref)
RT1(ref, rat_neg, ref)
RT1(ref, rat_abs, ref)
RT1(ref, rat_from_i64, i64)
RT1(ref, rat_from_big, ref)
RT1(ref, rat_from_f64, f64)
RT1(ref, rat_from_str, ref)
RT1(ref, rat_to_big, ref)
RT1(f64, rat_to_f64, ref)
RT1(ref, rat_num, ref)
RT1(ref, rat_denom, ref)
#define BIG_COMPARES(c) RT2(bool, c##_big, ref, ref) RT2(bool, c##_rat, ref, ref)
BIG_COMPARES(eq) BIG_COMPARES(ne) BIG_COMPARES(lt) BIG_COMPARES(le) BIG_COMPARES(gt)
BIG_COMPARES(ge)

RT2(ref, str_concat, ref, ref)
RT1(i64, str_len, ref)
RT2(ref, str_index, ref, i64)
RT3(ref, str_slice, ref, i64, i64)
RT2(bool, str_contains, ref, ref)
RT1(ref, str_from_i64, i64)
RT1(ref, str_from_f64, f64)
RT1(ref, str_from_bool, bool)
RT1(ref, str_from_any, ref)
RT1(i64, str_to_int, ref)
RT2(i64, str_parse_int, ref, i64)
RT1(f64, str_to_float, ref)
RT3(ref, str_substring, ref, i64, i64)
RT1(ref, str_lower, ref)
RT1(ref, str_upper, ref)
RT1(ref, str_trim, ref)
RT2(ref, str_split, ref, ref)
RT2(ref, str_join, ref, ref)
RT2(i64, str_index_of, ref, ref)
RT2(ref, str_repeat, ref, i64)
RT3(ref, str_pad_start, ref, i64, ref)
RT2(bool, str_starts_with, ref, ref)
RT2(bool, str_ends_with, ref, ref)
RT1(ref, str_reverse, ref)
RT1(i64, str_ord, ref)
RT1(ref, str_chr, i64)
RT1(ref, sha256, ref)

RT1(i64, list_len, ref)
RT2(void, list_push_i64, ref, i64)
RT2(void, list_push_f64, ref, f64)
RT2(void, list_push_bool, ref, bool)
RT2(void, list_push_ref, ref, ref)
RT2(bool, list_contains_i64, ref, i64)
RT2(bool, list_contains_f64, ref, f64)
RT2(bool, list_contains_bool, ref, bool)
RT2(bool, list_contains_ref, ref, ref)
RT2(i64, list_index_of_i64, ref, i64)
RT2(i64, list_index_of_f64, ref, f64)
RT2(i64, list_index_of_bool, ref, bool)
RT2(i64, list_index_of_ref, ref, ref)
RT2(ref, list_concat, ref, ref)
RT3(ref, list_slice, ref, i64, i64)
RT1(ref, list_reverse, ref)
RT2(ref, list_union, ref, ref)
RT2(ref, list_union_all, ref, ref)
RT2(ref, list_except, ref, ref)
RT2(ref, list_intersect, ref, ref)
RT1(ref, list_distinct, ref)
RT2(ref, list_sort, ref, ref)
RT1(i64, list_sum_i64, ref)
RT1(f64, list_sum_f64, ref)
RT1(ref, list_sum_any, ref)
RT1(f64, list_avg, ref)
RT1(ref, list_min, ref)
RT1(ref, list_max, ref)
RT3(ref, list_range, i64, i64, i64)

RT1(i64, map_len, ref)
RT1(ref, map_keys, ref)
RT1(ref, map_values, ref)
RT2(bool, map_has_i64, ref, i64)
RT2(void, map_del_i64, ref, i64)
RT3(void, map_set_i64_i64, ref, i64, i64)
RT3(void, map_set_i64_f64, ref, i64, f64)
RT3(void, map_set_i64_bool, ref, i64, bool)
RT3(void, map_set_i64_ref, ref, i64, ref)
RT2(bool, map_has_f64, ref, f64)
RT2(void, map_del_f64, ref, f64)
RT3(void, map_set_f64_i64, ref, f64, i64)
RT3(void, map_set_f64_f64, ref, f64, f64)
RT3(void, map_set_f64_bool, ref, f64, bool)
RT3(void, map_set_f64_ref, ref, f64, ref)
RT2(bool, map_has_bool, ref, bool)
RT2(void, map_del_bool, ref, bool)
RT3(void, map_set_bool_i64, ref, bool, i64)
RT3(void, map_set_bool_f64, ref, bool, f64)
RT3(void, map_set_bool_bool, ref, bool, bool)
RT3(void, map_set_bool_ref, ref, bool, ref)
RT2(bool, map_has_ref, ref, ref)
RT2(void, map_del_ref, ref, ref)
RT3(void, map_set_ref_i64, ref, ref, i64)
RT3(void, map_set_ref_f64, ref, ref, f64)
RT3(void, map_set_ref_bool, ref, ref, bool)
RT3(void, map_set_ref_ref, ref, ref, ref)

RT1(ref, group_key, ref)
RT1(ref, group_items, ref)

RT1(void, json, ref)

RT0(ref, input)

RT0(i64, now)

RT1(void, panic, ref)

RT3(void, save, ref, ref, ref)

/* ---------------------------------------------------------------- with immediates */

static inline double jit_bits_f64(uint64_t bits)
{
    union { uint64_t u; double d; } v = {bits};
    return v.d;
}

#define MT(k) ((const MType *)(k))
DEF_ref(list_new, mochi_list_new(LINE, MT(K)))
DEF_ref(load, mochi_load(LINE, REF(A), REF(B), MT(K)))
DEF_ref(map_new, mochi_map_new(LINE, MT(K), MT(K2)))
DEF_ref(box_i64, mochi_box_i64(LINE, I64(A), MT(K)))
DEF_ref(box_f64, mochi_box_f64(LINE, F64(A), MT(K)))
DEF_ref(box_bool, mochi_box_bool(LINE, BOOL(A), MT(K)))
DEF_ref(box_ref, mochi_box_ref(LINE, REF(A), MT(K)))
DEF_i64(unbox_i64, mochi_unbox_i64(LINE, REF(A), MT(K)))
DEF_f64(unbox_f64, mochi_unbox_f64(LINE, REF(A), MT(K)))
DEF_bool(unbox_bool, mochi_unbox_bool(LINE, REF(A), MT(K)))
DEF_ref(unbox_ref, mochi_unbox_ref(LINE, REF(A), MT(K)))
DEF_ref(conv, mochi_conv(LINE, REF(A), MT(K), MT(K2)))
DEF_ref(group_by, mochi_group_by(LINE, REF(A), REF(B), MT(K), MT(K2)))
/* K: the operator or field name */
DEF_ref(any_binop, mochi_any_binop(LINE, REF(A), REF(B), (const char *)K))
DEF_ref(any_field, mochi_any_field(LINE, REF(A), (const char *)K))

/* `s = s + t`: s's old value dies here, so an unshared s may grow in place */
DEF_ref(str_append, mochi_str_append(LINE, REF(A), REF(B)))

/* N: 1 when the operand's old value dies here (the list may grow in place) */
DEF_ref(list_append_i64, mochi_list_append_i64(LINE, REF(A), I64(B), (int)N))
DEF_ref(list_append_f64, mochi_list_append_f64(LINE, REF(A), F64(B), (int)N))
DEF_ref(list_append_bool, mochi_list_append_bool(LINE, REF(A), BOOL(B), (int)N))
DEF_ref(list_append_ref, mochi_list_append_ref(LINE, REF(A), REF(B), (int)N))

/* map.get.K.V: K holds the value an absent key gives, as its bits */
#define MAP_GET(k)                                                                       \
    DEF_i64(map_get_##k##_i64, mochi_map_get_##k##_i64(LINE, REF(A), V_##k(B), (int64_t)K)) \
    DEF_f64(map_get_##k##_f64, mochi_map_get_##k##_f64(LINE, REF(A), V_##k(B), jit_bits_f64(K))) \
    DEF_bool(map_get_##k##_bool, mochi_map_get_##k##_bool(LINE, REF(A), V_##k(B), K != 0)) \
    DEF_ref(map_get_##k##_ref, mochi_map_get_##k##_ref(LINE, REF(A), V_##k(B), (mref)K))
MAP_GET(i64)
MAP_GET(f64)
MAP_GET(bool)
MAP_GET(ref)

/* ---------------------------------------------------------------- input and output */

/* print: N boxed values the JIT copied to the slots from D on */
DEF_void(print, mochi_print(LINE, (int32_t)N, &REF(D)))
/* N: inside a test block */
DEF_void(expect, mochi_expect(LINE, BOOL(A), N != 0))

/* ---------------------------------------------------------------- math
 * The C library's functions, as the C backend calls them; any other name
 * (K) goes through the runtime's table. */

#define MATH1(name, fn) DEF_f64(math_##name, fn(F64(A)))
#define MATH2(name, fn) DEF_f64(math2_##name, fn(F64(A), F64(B)))
MATH1(sqrt, sqrt) MATH1(sin, sin) MATH1(cos, cos) MATH1(tan, tan) MATH1(asin, asin)
MATH1(acos, acos) MATH1(atan, atan) MATH1(exp, mochi_exp) MATH1(log, log) MATH1(log2, log2)
MATH1(log10, log10) MATH1(floor, floor) MATH1(ceil, ceil) MATH1(fabs, fabs)
MATH1(trunc, trunc) MATH1(sinh, sinh) MATH1(cosh, cosh) MATH1(tanh, tanh)
MATH1(round, mochi_round)
MATH2(pow, pow) MATH2(atan2, atan2) MATH2(fmod, fmod) MATH2(hypot, hypot)
DEF_f64(math_f64, mochi_math_f64((const char *)K, F64(A)))
DEF_f64(math2_f64, mochi_math2_f64((const char *)K, F64(A), F64(B)))
