/* Stencils of the inline operations: constants, moves, int and float
 * arithmetic, comparisons, branches, reference counts, calls and returns.
 * Names are the IR opcode with '.' as '_'; a `_k` suffix takes operand B as
 * the small constant KS instead of a slot. */
#include "jit.h"

/* ---------------------------------------------------------------- constants, moves */

STENCIL(const_i64) { I64(D) = (int64_t)K; NEXT; }
STENCIL(const_small) { I64(D) = KS; NEXT; }
/* a string constant, none, or a field-less struct: immortal, never counted */
STENCIL(const_ref) { jit_set_ref(&REF(D), (mref)K); NEXT; }
/* any 8-byte slot copied as it is (scalars; refs whose count another stencil keeps) */
STENCIL(mov) { I64(D) = I64(A); NEXT; }
STENCIL(mov_ref) { jit_set_ref(&REF(D), RETAINED(REF(A))); NEXT; }
/* a new reference in slot A (a scratch slot) moved into D */
STENCIL(take_ref) { jit_set_ref(&REF(D), REF(A)); NEXT; }

STENCIL(retain) { mochi_retain_inline(REF(A)); NEXT; }
STENCIL(release) { mochi_release_inline(REF(A)); REF(A) = NULL; NEXT; }
/* a borrowed read made by a runtime call that returned a new reference: drop
 * the count, keep the pointer (what holds the value keeps it alive) */
STENCIL(release_keep) { mochi_release_inline(REF(A)); NEXT; }

/* the ref slots of a new frame, [D, D + N*8), start as none */
STENCIL(zero_slots)
{
    mref *p = &REF(D);
    for (intptr_t i = 0; i < N; i++)
        p[i] = NULL;
    NEXT;
}

/* ---------------------------------------------------------------- int arithmetic
 * + - * and negation set the CPU's overflow flag; a result that does not fit
 * jumps to TARGET, a stub the JIT puts after the function that reports
 * 'integer overflow' at the instruction's line (`overflow`), so the hot path
 * is the stencil's straight line: no call, no jump over one. */

#define INT_BINOP(name, expr_ab)                                       \
    STENCIL(name) { int64_t a = I64(A), b = I64(B); I64(D) = (expr_ab); NEXT; } \
    STENCIL(name##_k) { int64_t a = I64(A), b = KS; I64(D) = (expr_ab); NEXT; }
/* The result is stored before the test, so that the stencil ends in the branch
 * (which the generator turns into one `jo TARGET`); a wrapped value left in D
 * is never read: the stub stops the program. */
#define CHECKED_BINOP(name, builtin)                                                \
    STENCIL(name) { int64_t r; bool o = builtin(I64(A), I64(B), &r); I64(D) = r; JUMP_IF(o); NEXT; } \
    STENCIL(name##_k) { int64_t r; bool o = builtin(I64(A), KS, &r); I64(D) = r; JUMP_IF(o); NEXT; }

CHECKED_BINOP(add_i64, __builtin_add_overflow)
CHECKED_BINOP(sub_i64, __builtin_sub_overflow)
CHECKED_BINOP(mul_i64, __builtin_mul_overflow)
STENCIL(overflow) { (void)f; mochi_overflow(LINE); }
INT_BINOP(and_i64, a & b)
INT_BINOP(or_i64, a | b)
INT_BINOP(xor_i64, a ^ b)
INT_BINOP(shl_i64, (int64_t)((uint64_t)a << (b & 63)))
INT_BINOP(shr_i64, a >> (b & 63))
/* b == 0 and INT64_MIN / -1 report their errors through the runtime */
INT_BINOP(div_i64, b == -1 ? mochi_neg_i64(LINE, a) : b == 0 ? mochi_div_i64(LINE, a, b) : a / b)
INT_BINOP(rem_i64, b == -1 ? 0 : b == 0 ? mochi_rem_i64(LINE, a, b) : a % b)
/* a counted loop's index, below its bound: cannot overflow */
STENCIL(inc_i64) { I64(D) = I64(A) + 1; NEXT; }

/* Division by a constant d >= 2 (KS) as a C compiler does it: multiply by
 * d's magic number (K), keep the high half, shift right by N, correct toward
 * zero (Hacker's Delight, 10-4; the numbers come from divide.py). */
static inline int64_t jit_div_magic(int64_t a)
{
    int64_t m = (int64_t)K;
    int64_t q = (int64_t)(((__int128)m * a) >> 64);
    q += a & (m >> 63);
    q >>= N;
    return q + (int64_t)((uint64_t)a >> 63);
}
STENCIL(div_i64_magic) { I64(D) = jit_div_magic(I64(A)); NEXT; }
STENCIL(rem_i64_magic)
{
    int64_t a = I64(A);
    I64(D) = (int64_t)((uint64_t)a - (uint64_t)jit_div_magic(a) * (uint64_t)KS);
    NEXT;
}

STENCIL(neg_i64)
{
    int64_t r;
    bool o = __builtin_sub_overflow((int64_t)0, I64(A), &r);
    I64(D) = r;
    JUMP_IF(o);
    NEXT;
}
STENCIL(abs_i64)
{
    int64_t a = I64(A);
    I64(D) = a < 0 ? (int64_t)(0 - (uint64_t)a) : a;
    JUMP_IF(a == INT64_MIN);
    NEXT;
}

/* ---------------------------------------------------------------- float arithmetic */

STENCIL(add_f64) { F64(D) = F64(A) + F64(B); NEXT; }
STENCIL(sub_f64) { F64(D) = F64(A) - F64(B); NEXT; }
STENCIL(mul_f64) { F64(D) = F64(A) * F64(B); NEXT; }
STENCIL(div_f64) { F64(D) = F64(A) / F64(B); NEXT; }
STENCIL(rem_f64) { F64(D) = fmod(F64(A), F64(B)); NEXT; }
STENCIL(neg_f64) { F64(D) = -F64(A); NEXT; }
STENCIL(i2f) { F64(D) = (double)I64(A); NEXT; }
/* in range: the machine conversion; NaN, infinities and overflow: 'integer overflow' */
STENCIL(f2i)
{
    double a = F64(A);
    bool in_range = a >= -9223372036854775808.0 && a < 9223372036854775808.0;
    I64(D) = in_range ? (int64_t)a : 0;
    JUMP_IF(!in_range);
    NEXT;
}

/* ---------------------------------------------------------------- comparisons and branches
 * For each comparison: the value (NAME), and fused with the branch that reads
 * it: br_NAME jumps to TARGET when it holds, brf_NAME when it does not. */

#define COMPARE(name, T, rhs, cmp)                                                   \
    STENCIL(name) { I64(D) = (T(A) cmp rhs) ? 1 : 0; NEXT; }                        \
    STENCIL(br_##name) { JUMP_IF(T(A) cmp rhs); NEXT; }                              \
    STENCIL(brf_##name) { JUMP_IF(!(T(A) cmp rhs)); NEXT; }

#define COMPARES(T, suffix)                                                          \
    COMPARE(eq_##suffix, T, T(B), ==) COMPARE(ne_##suffix, T, T(B), !=)              \
    COMPARE(lt_##suffix, T, T(B), <) COMPARE(le_##suffix, T, T(B), <=)               \
    COMPARE(gt_##suffix, T, T(B), >) COMPARE(ge_##suffix, T, T(B), >=)

COMPARES(I64, i64)
COMPARES(F64, f64)
COMPARE(eq_i64_k, I64, KS, ==) COMPARE(ne_i64_k, I64, KS, !=)
COMPARE(lt_i64_k, I64, KS, <) COMPARE(le_i64_k, I64, KS, <=)
COMPARE(gt_i64_k, I64, KS, >) COMPARE(ge_i64_k, I64, KS, >=)
COMPARE(eq_bool, BOOL, BOOL(B), ==) COMPARE(ne_bool, BOOL, BOOL(B), !=)
COMPARE(is_none, REF, NULL, ==)

STENCIL(not_bool) { I64(D) = !BOOL(A); NEXT; }
STENCIL(br_true) { JUMP_IF(BOOL(A)); NEXT; }
STENCIL(br_false) { JUMP_IF(!BOOL(A)); NEXT; }
STENCIL(jump) { JUMP; }
STENCIL(unreachable) { (void)f; mochi_unreachable(LINE); }

/* ---------------------------------------------------------------- calls and returns
 * A callee's frame starts FS bytes into the caller's; the caller has copied
 * the arguments into its first slots.  The callee returns its result in its
 * slot 0.  K: the JitLimits. */

#define CALL_RESULT(name, callee, take)                                   \
    STENCIL(name)                                                         \
    {                                                                     \
        char *nf = f + HOLE(FS);                                          \
        jit_enter_call(nf);                                               \
        callee;                                                           \
        ((JitLimits *)K)->calls_left++; /* K again: nothing kept across */ \
        take;                                                             \
        NEXT;                                                             \
    }

#define DIRECT _JIT_CALLEE(nf)
/* the closure is the callee's first argument, already in its slot 0 */
#define INDIRECT                                                          \
    mref c = *(mref *)nf;                                                 \
    if (c == NULL || c->kind != MK_CLOSURE)                               \
        mochi_not_callable(LINE, c);                                      \
    ((PN void (*)(char *))((MClosure *)c)->fn)(nf)

CALL_RESULT(call, DIRECT, (void)0)
CALL_RESULT(call_s, DIRECT, I64(D) = *(int64_t *)nf)
CALL_RESULT(call_ref, DIRECT, jit_set_ref(&REF(D), *(mref *)nf))
CALL_RESULT(call_drop, DIRECT, mochi_release_inline(*(mref *)nf))
CALL_RESULT(call_closure, INDIRECT, (void)0)
CALL_RESULT(call_closure_s, INDIRECT, I64(D) = *(int64_t *)nf)
CALL_RESULT(call_closure_ref, INDIRECT, jit_set_ref(&REF(D), *(mref *)nf))
CALL_RESULT(call_closure_drop, INDIRECT, mochi_release_inline(*(mref *)nf))

STENCIL(ret) { (void)f; }
STENCIL(ret_s) { *(int64_t *)f = I64(A); return; }
STENCIL(ret_ref) { *(mref *)f = REF(A); return; }
STENCIL(ret_retained) { *(mref *)f = RETAINED(REF(A)); return; }
STENCIL(ret_none) { *(mref *)f = NULL; return; }

/* The JIT's entry from C: main's frame at f.  Sets the machine stack limit
 * and the calls that may nest (K: the JitLimits; K2: how much stack below this
 * frame Mochi calls may use; N: CALL_DEPTH). */
void enter(char *f)
{
    JitLimits *l = (JitLimits *)K;
    l->cstack_end = (char *)__builtin_stack_address() - K2;
    l->calls_left = N;
    _JIT_CALLEE(f);
}
