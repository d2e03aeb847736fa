/* What the copy-and-patch JIT needs from the runtime beyond the IR's own
 * operations: error entry points that take no string (a stencil must not
 * refer to string literals, whose absolute addresses it cannot patch) and an
 * instruction-cache flush for code written at run time. */
#include "mochi_internal.h"

_Noreturn void mochi_stack_overflow(int32_t line)
{
    mochi_error(line, "stack overflow");
}

_Noreturn void mochi_unreachable(int32_t line)
{
    mochi_error(line, "unreachable code reached");
}

void mochi_flush(void)
{
    mochi_flush_output();
}

void mochi_clear_cache(void *begin, void *end)
{
#if defined(__wasm__)
    /* no JIT runs on WASI (a module cannot write code), and clang has no
     * cache flush for wasm: the builtin stops the runtime from compiling */
    (void)begin;
    (void)end;
#else
    __builtin___clear_cache((char *)begin, (char *)end);
#endif
}
