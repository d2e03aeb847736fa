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
 *      machine stack may go and calls the Mochi `main`) on a thread with a
 *      big stack, as every tier runs Mochi code;
 *   4. flushes the output and exits 0.  A runtime error exits 1 from inside.
 *
 * The stitched object defines the symbols below; their names have dots, so
 * no C identifier can clash with them. */
#include <pthread.h>
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
    uint64_t thread_stack;  /* bytes of machine stack for the thread Mochi runs on */
} MochiProgram;

extern HIDDEN JitLimits mochi_limits __asm__("mochi.limits");
extern HIDDEN const MochiProgram mochi_program __asm__("mochi.program");
HIDDEN void mochi_enter(char *frames) __asm__("mochi.enter");

static void *run_mochi(void *frames)
{
    mochi_enter(frames);
    return NULL;
}

static _Noreturn void fail(const char *what)
{
    fflush(stdout);
    fprintf(stderr, "%s: %s\n", mochi_program.file, what);
    exit(1);
}

int main(int argc, char **argv)
{
    pthread_attr_t attr;
    pthread_t thread;
    char *frames;

    mochi_init(mochi_program.file, argc, argv);
    frames = mmap(NULL, mochi_program.frames, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (frames == MAP_FAILED)
        fail("cannot reserve the frame stack");
    mochi_limits.frame_end = frames + mochi_program.frames - mochi_program.frame_reserve;
    if (pthread_attr_init(&attr) != 0 ||
        pthread_attr_setstacksize(&attr, mochi_program.thread_stack) != 0 ||
        pthread_create(&thread, &attr, run_mochi, frames) != 0)
        fail("cannot make the thread the program runs on");
    pthread_join(thread, NULL);
    mochi_exit(0);
    return 0;
}
