/* Stencils that read and write the heap inline: globals, struct fields,
 * cells, closure captures and list elements.  Typed by slot kind: `s` copies
 * a whole 8-byte scalar (int, float), `b` a bool (one byte in the heap, 0 or 1
 * in a frame slot), `ref` a counted reference.  A load into an owned slot
 * retains what it reads; `__raw` loads are borrowed reads the JIT proved safe.
 * K: a global's address, a descriptor or a field name; FI: a byte offset. */
#include "jit.h"

#define AT(base, off) ((MSlot *)((char *)(base) + (off)))

/* ---------------------------------------------------------------- globals */

STENCIL(global_get_s) { I64(D) = *(int64_t *)K; NEXT; }
STENCIL(global_get_b) { I64(D) = *(bool *)K; NEXT; }
STENCIL(global_get_ref) { jit_set_ref(&REF(D), RETAINED(*(mref *)K)); NEXT; }
STENCIL(global_get_ref__raw) { REF(D) = *(mref *)K; NEXT; }
STENCIL(global_set_s) { *(int64_t *)K = I64(A); NEXT; }
STENCIL(global_set_b) { *(bool *)K = BOOL(A); NEXT; }
STENCIL(global_set_ref) { jit_set_ref((mref *)K, RETAINED(REF(A))); NEXT; }

/* ---------------------------------------------------------------- structs
 * K: the field's name (for the 'nil' error); FI: the field's offset. */

static inline MStruct *jit_struct(int32_t line, mref o)
{
    if (o == NULL)
        mochi_nil_field(line, (const char *)K);
    return (MStruct *)o;
}

#define FIELD(o) AT(jit_struct(LINE, o)->f, HOLE(FI))

STENCIL(struct_get_s) { I64(D) = FIELD(REF(A))->i; NEXT; }
STENCIL(struct_get_b) { I64(D) = FIELD(REF(A))->b; NEXT; }
STENCIL(struct_get_ref) { jit_set_ref(&REF(D), RETAINED(FIELD(REF(A))->r)); NEXT; }
STENCIL(struct_get_ref__raw) { REF(D) = FIELD(REF(A))->r; NEXT; }
STENCIL(struct_set_s) { FIELD(REF(A))->i = I64(B); NEXT; }
STENCIL(struct_set_b) { FIELD(REF(A))->b = BOOL(B); NEXT; }
STENCIL(struct_set_ref) { jit_set_ref(&FIELD(REF(A))->r, RETAINED(REF(B))); NEXT; }

/* struct.new: the object (K: its descriptor) into a scratch slot D, then each
 * field stored into it, then moved to its register (take_ref) */
STENCIL(struct_new) { REF(D) = mochi_struct_new(LINE, (const MStructDesc *)K); NEXT; }
STENCIL(struct_init_s) { AT(((MStruct *)REF(D))->f, HOLE(FI))->i = I64(A); NEXT; }
STENCIL(struct_init_b) { AT(((MStruct *)REF(D))->f, HOLE(FI))->b = BOOL(A); NEXT; }
STENCIL(struct_init_ref) { AT(((MStruct *)REF(D))->f, HOLE(FI))->r = RETAINED(REF(A)); NEXT; }
/* K: the struct's descriptor; the JIT makes one per struct name, so the
 * descriptor's address is the struct's identity (the runtime compares names) */
#define IS_STRUCT(o) ((o) != NULL && (o)->kind == MK_STRUCT && ((MStruct *)(o))->desc == (const MStructDesc *)K)
STENCIL(struct_is) { I64(D) = IS_STRUCT(REF(A)) ? 1 : 0; NEXT; }
STENCIL(br_struct_is) { JUMP_IF(IS_STRUCT(REF(A))); NEXT; }
STENCIL(brf_struct_is) { JUMP_IF(!IS_STRUCT(REF(A))); NEXT; }

/* ---------------------------------------------------------------- cells (K: the value's type) */

#define CELL(o) (&((MCell *)(o))->v)

#define CELL_NEW(name, store)                                             \
    STENCIL(name)                                                         \
    {                                                                     \
        mref c = mochi_cell_new(LINE, (const MType *)K);                  \
        store;                                                            \
        jit_set_ref(&REF(D), c);                                          \
        NEXT;                                                             \
    }
CELL_NEW(cell_new_s, CELL(c)->i = I64(A))
CELL_NEW(cell_new_b, CELL(c)->b = BOOL(A))
CELL_NEW(cell_new_ref, CELL(c)->r = RETAINED(REF(A)))
STENCIL(cell_get_s) { I64(D) = CELL(REF(A))->i; NEXT; }
STENCIL(cell_get_b) { I64(D) = CELL(REF(A))->b; NEXT; }
STENCIL(cell_get_ref) { jit_set_ref(&REF(D), RETAINED(CELL(REF(A))->r)); NEXT; }
STENCIL(cell_get_ref__raw) { REF(D) = CELL(REF(A))->r; NEXT; }
STENCIL(cell_set_s) { CELL(REF(A))->i = I64(B); NEXT; }
STENCIL(cell_set_b) { CELL(REF(A))->b = BOOL(B); NEXT; }
STENCIL(cell_set_ref) { jit_set_ref(&CELL(REF(A))->r, RETAINED(REF(B))); NEXT; }

/* ---------------------------------------------------------------- closures
 * closure.new: K the function's code, N the number of captures, K2 their
 * types; made in a scratch slot D, captures stored, then moved (take_ref). */

#define CAP(o) AT(((MClosure *)(o))->caps, HOLE(FI))

STENCIL(closure_new)
{
    REF(D) = mochi_closure_new(LINE, (void *)K, (int32_t)N, (const MType *const *)K2);
    NEXT;
}
STENCIL(closure_init_s) { CAP(REF(D))->i = I64(A); NEXT; }
STENCIL(closure_init_b) { CAP(REF(D))->b = BOOL(A); NEXT; }
STENCIL(closure_init_ref) { CAP(REF(D))->r = RETAINED(REF(A)); NEXT; }
STENCIL(closure_get_s) { I64(D) = CAP(REF(A))->i; NEXT; }
STENCIL(closure_get_b) { I64(D) = CAP(REF(A))->b; NEXT; }
STENCIL(closure_get_ref) { jit_set_ref(&REF(D), RETAINED(CAP(REF(A))->r)); NEXT; }
STENCIL(closure_get_ref__raw) { REF(D) = CAP(REF(A))->r; NEXT; }

/* ---------------------------------------------------------------- list elements
 * mochi.h's checked inline paths; anything unusual goes through the runtime. */

DEF_i64(list_get_i64, mochi_list_get_i64_inline(LINE, REF(A), I64(B)))
DEF_f64(list_get_f64, mochi_list_get_f64_inline(LINE, REF(A), I64(B)))
DEF_bool(list_get_bool, mochi_list_get_bool_inline(LINE, REF(A), I64(B)))
STENCIL(list_get_ref) { jit_set_ref(&REF(D), mochi_list_get_ref_inline(LINE, REF(A), I64(B))); NEXT; }
/* a borrowed element: no count change when in range */
STENCIL(list_get_ref__raw)
{
    MList *x = (MList *)REF(A);
    int64_t i = I64(B);
    if (x != NULL && (uint64_t)i < (uint64_t)x->len && x->elem->kind > MT_BOOL) {
        REF(D) = x->items[i].r;
    } else {
        mref r = mochi_list_get_ref(LINE, REF(A), i);
        mochi_release_inline(r);
        REF(D) = r;
    }
    NEXT;
}
DEF_void(list_set_i64, mochi_list_set_i64_inline(LINE, REF(A), I64(B), I64(C)))
DEF_void(list_set_f64, mochi_list_set_f64_inline(LINE, REF(A), I64(B), F64(C)))
DEF_void(list_set_bool, mochi_list_set_bool_inline(LINE, REF(A), I64(B), BOOL(C)))
DEF_void(list_set_ref, mochi_list_set_ref_inline(LINE, REF(A), I64(B), REF(C)))
