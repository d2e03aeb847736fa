/* The start of an executable made by the native backend: what `mochic run`
 * does in Python before it enters JIT'd code (backends/copypatch/jit.py),
 * done by the executable itself.
 *
 * musl's start-up code (rcrt1.o: relocate the static PIE, set up the C
 * library) calls main, which
 *   1. sets up the runtime (mochi_init: the source file's name for runtime
 *      errors, buffered standard output);
 *   2. reserves the frame stack, where Mochi functions keep their registers,
 *      without backing store (pages arrive as recursion first touches them),
 *      and records in the stitched code's limits where its frames must end;
 *   3. runs `mochi.enter` (the `enter` stencil: it records how deep the
 *      machine stack may go and calls the Mochi `main`) on a big stack, as
 *      every tier runs Mochi code: reserved like the frames, with a guard
 *      below it, and switched to by `mochi_on_stack` (a few instructions per
 *      ISA) rather than given to a thread, so the executable links none of
 *      the C library's threads;
 *   4. flushes the output and exits 0.  A runtime error exits 1 from inside.
 *
 * The stitched object defines the symbols below; their names have dots, so
 * no C identifier can clash with them. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "mochi.h"

#define HIDDEN __attribute__((visibility("hidden")))

/* stencils/jit.h: where frames and the machine stack end */
typedef struct JitLimits {
    char *frame_end;
    char *cstack_end;
} JitLimits;

/* What the native backend writes about the program (backends/native/program.py). */
typedef struct MochiProgram {
    const char *file;       /* the Mochi source, as runtime errors name it */
    uint64_t frames;        /* bytes of the frame stack */
    uint64_t frame_reserve; /* bytes the deepest frame may use past its start */
    uint64_t stack;         /* bytes of the machine stack Mochi code runs on */
} MochiProgram;

extern HIDDEN JitLimits mochi_limits __asm__("mochi.limits");
extern HIDDEN const MochiProgram mochi_program __asm__("mochi.program");
HIDDEN void mochi_enter(char *frames) __asm__("mochi.enter");

#define GUARD (64 << 10) /* below the machine stack: an overflow of C code faults */

/* mochi_on_stack(top, fn, arg): fn(arg) with the stack pointer at top, then back on
 * the caller's stack (kept in the frame pointer register, which fn preserves). */
void mochi_on_stack(char *top, void (*fn)(char *), char *arg) HIDDEN;
#define ON_STACK_BEGIN \
    ".pushsection .text.mochi_on_stack,\"ax\",%progbits\n" \
    ".globl mochi_on_stack\n.hidden mochi_on_stack\n.type mochi_on_stack, %function\n" \
    ".p2align 4\nmochi_on_stack:\n"
#define ON_STACK_END ".size mochi_on_stack, . - mochi_on_stack\n.popsection\n"
#if defined(__x86_64__)
__asm__(ON_STACK_BEGIN
        "push %rbp\n mov %rsp, %rbp\n mov %rdi, %rsp\n mov %rdx, %rdi\n call *%rsi\n"
        "mov %rbp, %rsp\n pop %rbp\n ret\n" ON_STACK_END);
#elif defined(__aarch64__)
__asm__(ON_STACK_BEGIN
        "stp x29, x30, [sp, #-16]!\n mov x29, sp\n mov sp, x0\n mov x0, x2\n blr x1\n"
        "mov sp, x29\n ldp x29, x30, [sp], #16\n ret\n" ON_STACK_END);
#elif defined(__riscv) && __riscv_xlen == 64
__asm__(ON_STACK_BEGIN
        "addi sp, sp, -16\n sd ra, 8(sp)\n sd s0, 0(sp)\n mv s0, sp\n mv sp, a0\n mv a0, a2\n"
        "jalr a1\n mv sp, s0\n ld ra, 8(sp)\n ld s0, 0(sp)\n addi sp, sp, 16\n ret\n"
        ON_STACK_END);
#else
#error "mochi_on_stack: no stack switch for this machine"
#endif

static _Noreturn void fail(const char *what)
{
    fflush(stdout);
    fputs(mochi_program.file, stderr);
    fputs(": ", stderr);
    fputs(what, stderr);
    fputc('\n', stderr);
    exit(1);
}

/* ``size`` bytes of memory that pages arrive in as they are first touched */
static char *reserve(uint64_t size, const char *what)
{
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        fail(what);
    return p;
}

int main(int argc, char **argv)
{
    char *frames, *stack;

    mochi_init(mochi_program.file, argc, argv);
    frames = reserve(mochi_program.frames, "cannot reserve the frame stack");
    mochi_limits.frame_end = frames + mochi_program.frames - mochi_program.frame_reserve;
    stack = reserve(mochi_program.stack + GUARD, "cannot reserve the machine stack");
    if (mprotect(stack, GUARD, PROT_NONE) != 0)
        fail("cannot guard the machine stack");
    mochi_on_stack(stack + GUARD + mochi_program.stack, mochi_enter, frames);
    mochi_exit(0);
    return 0;
}
