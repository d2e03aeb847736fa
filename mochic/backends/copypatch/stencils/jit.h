/* The stencil ABI: what every stencil source includes.
 *
 * A stencil is one C function compiled ahead of time; the JIT copies its
 * machine code and patches its holes.  A hole is a reference to an undefined
 * symbol whose name starts with _JIT_; the generator turns each relocation
 * against one into a hole the JIT fills.
 *
 * Calling convention.  Every stencil takes the frame pointer `f` (the IR
 * registers of the running Mochi function, one 8-byte slot each) and nothing
 * else, and ends by tail-calling the next stencil, _JIT_CONTINUE.  With
 * preserve_none no register is callee-saved, so a stencil saves nothing on
 * entry, and `f` arrives in the same register in every stencil (r12 on
 * x86_64, x20 on aarch64).  musttail makes the continuation a jump, which the
 * generator drops when it is the last instruction, so stencils laid out one
 * after another fall through into each other.
 *
 * Holes.
 *   D A B C    byte offsets of the destination and operand slots in the frame
 *   FS         the frame's size in bytes: where a callee's frame starts
 *   FI         a byte offset inside a heap object (field, capture)
 *   LINE       the Mochi source line, for runtime errors
 *   N          a small count or flag
 *   KS         a small constant (32-bit signed)
 *   K K2       64-bit constants: numbers, addresses of runtime data
 *   CONTINUE   the next stencil;  TARGET  a jump target;  CALLEE  a function
 * The small holes are declared as 8-byte objects so that, in the medium code
 * model, clang addresses them with 32-bit displacements and immediates; K and
 * K2 have no size, which makes them "large" data reached by 64-bit immediates.
 *
 * RISC-V.  clang has no preserve_none there, so stencils use the standard
 * convention (`f` in a0; a stencil that calls the runtime saves what it keeps
 * in s-registers).  Its code model for stencils is medany (constants and calls
 * pc-relative), so the holes are spelt in assembly as absolute values: a
 * small hole is `lui`+`addiw` of %hi/%lo (a signed 32-bit number), and K and
 * K2, which no RISC-V instruction pair holds, are two such halves,
 * _JIT_K_HI << 32 plus _JIT_K (the generator names both halves' holes K, with
 * kinds that say which half they hold).
 */
#ifndef MOCHI_JIT_H
#define MOCHI_JIT_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mochi.h"

#if defined(__riscv)
#define PN
#else
#define PN __attribute__((preserve_none))
#endif
#define STENCIL(name) PN void name(char *f)

PN void _JIT_CONTINUE(char *f);
PN void _JIT_TARGET(char *f);
PN void _JIT_CALLEE(char *f);

extern char _JIT_D[8], _JIT_A[8], _JIT_B[8], _JIT_C[8], _JIT_FS[8], _JIT_FI[8];
extern char _JIT_LINE[8], _JIT_N[8], _JIT_KS[8];
extern char _JIT_K[], _JIT_K2[];

/* A hole's value is the address of its symbol, and C lets the compiler assume
 * that no object's address is 0, so it may fold `K != 0` to true.  Holes that
 * can hold 0 and are tested pass through jit_value, which hides where the
 * value came from; frame offsets and lines are never tested and stay
 * immediates and displacements. */
static inline __attribute__((always_inline)) uintptr_t jit_value(uintptr_t v)
{
    __asm__("" : "+r"(v));
    return v;
}

#if defined(__riscv)
#define HOLE(h) ({                                                            \
    intptr_t v_;                                                              \
    __asm__("lui %0, %%hi(_JIT_" #h ")\n\taddiw %0, %0, %%lo(_JIT_" #h ")"  \
            : "=r"(v_));                                                      \
    v_; })
#define VALUE(h) HOLE(h)
#define WIDE(h) ({                                                            \
    uintptr_t v_, lo_;                                                        \
    __asm__("lui %0, %%hi(_JIT_" #h "_HI)\n\taddiw %0, %0, %%lo(_JIT_" #h "_HI)\n\t" \
            "slli %0, %0, 32\n\t"                                             \
            "lui %1, %%hi(_JIT_" #h ")\n\taddiw %1, %1, %%lo(_JIT_" #h ")\n\t" \
            "add %0, %0, %1"                                                  \
            : "=&r"(v_), "=&r"(lo_));                                         \
    v_; })
#define K WIDE(K)
#define K2 WIDE(K2)
#else
#define HOLE(h) ((intptr_t)(_JIT_##h))
#define VALUE(h) ((intptr_t)jit_value((uintptr_t)_JIT_##h))
#define K jit_value((uintptr_t)_JIT_K)
#define K2 jit_value((uintptr_t)_JIT_K2)
#endif
#define LINE ((int32_t)HOLE(LINE))
#define N VALUE(N)
#define KS ((int64_t)VALUE(KS)) /* the JIT puts only 0 <= KS < 2^31 here */

/* Frame slots.  A bool slot holds 0 or 1 in all 8 bytes. */
#define I64(h) (*(int64_t *)(f + HOLE(h)))
#define F64(h) (*(double *)(f + HOLE(h)))
#define REF(h) (*(mref *)(f + HOLE(h)))
#define BOOL(h) (I64(h) != 0)

#define NEXT [[clang::musttail]] return _JIT_CONTINUE(f)
#define JUMP [[clang::musttail]] return _JIT_TARGET(f)
/* A conditional jump: hinted as the rarer way so that clang lays the
 * continuation out last, where the generator drops its jump and the stencil
 * falls through into the next. */
#define JUMP_IF(c) do { if (__builtin_expect(!!(c), 0)) JUMP; } while (0)

/* The JIT's limits, at address K of the stencils that check them: a callee
 * frame must start below frame_end, the machine stack must stay above
 * cstack_end, and calls_left (CALL_DEPTH at main: mochic/stack.py) calls may
 * still nest, or the call is the runtime error 'stack overflow'. */
typedef struct JitLimits {
    char *frame_end;
    char *cstack_end;
    int64_t calls_left;
} JitLimits;

static inline void jit_enter_call(char *nf)
{
    JitLimits *l = (JitLimits *)K;
    if (--l->calls_left < 0 || nf > l->frame_end ||
        (char *)__builtin_stack_address() < l->cstack_end)
        mochi_stack_overflow(LINE);
}

/* Writing a ref slot that owns its value: the new value first, then the old
 * one released (it may be the same object). */
static inline void jit_set_ref(mref *slot, mref v)
{
    mref old = *slot;
    *slot = v;
    mochi_release_inline(old);
}

#define RETAINED(v) ({ mref v_ = (v); mochi_retain_inline(v_); v_; })

/* A stencil per result kind.  DEF_ref defines two: NAME stores a new
 * reference into an owned slot (releasing what it held); NAME__raw stores it
 * into a slot that does not own its value (the JIT then releases it: a
 * borrowed read). */
#define DEF_i64(name, expr) STENCIL(name) { I64(D) = (expr); NEXT; }
#define DEF_f64(name, expr) STENCIL(name) { F64(D) = (expr); NEXT; }
#define DEF_bool(name, expr) STENCIL(name) { I64(D) = (expr) ? 1 : 0; NEXT; }
#define DEF_void(name, expr) STENCIL(name) { (expr); NEXT; }
#define DEF_ref(name, expr)                                   \
    STENCIL(name) { jit_set_ref(&REF(D), (expr)); NEXT; }     \
    STENCIL(name##__raw) { REF(D) = (expr); NEXT; }

/* Operand readers by IR type, for the runtime-call stencils. */
#define V_i64(h) I64(h)
#define V_f64(h) F64(h)
#define V_bool(h) BOOL(h)
#define V_ref(h) REF(h)

/* A runtime function named after the opcode (mochi.h: `a.b.T` is
 * mochi_a_b_T(line, operands..., immediates...)). */
#define RT0(R, op) DEF_##R(op, mochi_##op(LINE))
#define RT1(R, op, T1) DEF_##R(op, mochi_##op(LINE, V_##T1(A)))
#define RT2(R, op, T1, T2) DEF_##R(op, mochi_##op(LINE, V_##T1(A), V_##T2(B)))
#define RT3(R, op, T1, T2, T3) DEF_##R(op, mochi_##op(LINE, V_##T1(A), V_##T2(B), V_##T3(C)))

#endif
