/* Input and output: print, json, input, now, panic, expect and the results
 * of `test` blocks.
 *
 * Standard output is fully buffered through a large buffer, flushed at exit
 * and before a runtime error (mochi_error), so a program's output costs few
 * system calls and still comes out whole and in order.  It is also flushed
 * before reading a line, so a prompt shows first.  A standard output that
 * can no longer be written (a closed pipe: `prog | head -1`) ends the
 * program quietly with status 1, as on every tier: SIGPIPE is ignored so that
 * the write fails instead of killing the program.  input() reads to the next
 * \n and drops the \r and \n at the end of the line, as the reference does.
 * On Windows the standard
 * streams are switched to binary mode, so output is the same bytes as on
 * every other target (text mode would write \n as \r\n) and input is read
 * as it is (text mode would also end it at a Ctrl-Z).
 *
 * now() reads a clock in nanoseconds; when MOCHI_NOW_SEED holds an integer
 * s it instead steps s = (s * 1664525 + 1013904223) mod 2147483647 and
 * returns it (the reference implementation's deterministic mode). */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L /* clock_gettime where the C library has it */
#endif
#include "mochi_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <time.h>
#if !defined(__wasi__) /* WASI has no signals (and no SIGPIPE to ignore) */
#include <signal.h>
#endif
#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#else
#include <unistd.h>
#endif

#define NOW_MOD 2147483647

static char out_buffer[1 << 16];
static bool seeded;
static int64_t seed; /* reduced modulo NOW_MOD */

/* MOCHI_NOW_SEED as Python's int(), reduced; false unless [-]digits */
static bool parse_seed(const char *s, int64_t *out)
{
    const char *p = s, *end = s + strlen(s);
    bool neg = false;
    int64_t v = 0;
    while (p < end && (*p == ' ' || (*p >= '\t' && *p <= '\r')))
        p++;
    while (end > p && (end[-1] == ' ' || (end[-1] >= '\t' && end[-1] <= '\r')))
        end--;
    if (p < end && *p == '-')
        neg = *p++ == '-';
    if (p == end)
        return false;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = (v * 10 + (*p - '0')) % NOW_MOD;
    }
    *out = neg ? (NOW_MOD - v) % NOW_MOD : v;
    return true;
}

void mochi_io_init(void)
{
    const char *s = getenv("MOCHI_NOW_SEED");
#if defined(_WIN32)
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);
#endif
    setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
#if defined(SIGPIPE)
    signal(SIGPIPE, SIG_IGN);
#endif
    seeded = s != NULL && parse_seed(s, &seed);
}

/* The standard output failed: closed, it ends the program quietly (not
 * exit(), whose flush would fail again); anything else is said first. */
static _Noreturn void output_failed(void)
{
#if !defined(_WIN32)
    bool closed = errno == EPIPE;
#if defined(__wasi__)
    closed = closed || errno == EIO; /* how wasmtime reports a closed pipe */
#endif
    if (!closed) { /* not fprintf: a program that prints no float links no printf */
        fputs(mochi_source_file, stderr);
        fputs(": cannot write the standard output: ", stderr);
        fputs(strerror(errno), stderr);
        fputc('\n', stderr);
    }
#endif
    _exit(1);
}

void mochi_flush_output(void)
{
    if (fflush(stdout) != 0)
        output_failed();
}

static void put_output(const char *p, size_t n)
{
    if (fwrite(p, 1, n, stdout) != n)
        output_failed();
}

int64_t mochi_now(int32_t line)
{
    (void)line;
    if (seeded) {
        seed = (seed * 1664525 + 1013904223) % NOW_MOD;
        return seed;
    }
#if defined(CLOCK_REALTIME)
    {
        struct timespec ts;
        if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
            return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
#endif
    return (int64_t)time(NULL) * 1000000000;
}

/* ------------------------------------------------------------------ output */

static MBuf line_buf; /* reused by every print */

/* One line of `print`: the values, space-separated, each written by `put`
   (its own function per caller, so a program printing only plain values
   never links the generic formatter). */
static void print_line(int32_t n, const mref *boxed_args, void (*put)(MBuf *, MVal))
{
    int32_t i;
    line_buf.n = 0;
    for (i = 0; i < n; i++) {
        if (i > 0)
            mochi_buf_putc(&line_buf, ' ');
        put(&line_buf, mochi_val_ref(boxed_args[i]));
    }
    mochi_buf_putc(&line_buf, '\n');
    put_output(line_buf.p, line_buf.n);
}

void mochi_print(int32_t line, int32_t n, const mref *boxed_args)
{
    (void)line;
    print_line(n, boxed_args, mochi_fmt_print);
}

static void put_plain(MBuf *b, MVal v)
{
    switch (v.k) {
    case V_INT: mochi_buf_int(b, v.v.i); break;
    case V_BOOL: mochi_buf_puts(b, v.v.b ? "true" : "false"); break;
    case V_STR: mochi_buf_put(b, ((MStr *)v.v.r)->data, (size_t)((MStr *)v.v.r)->nbytes); break;
    default: mochi_buf_puts(b, "nil"); break; /* none: all the rest is not plain */
    }
}

void mochi_print_plain(int32_t line, int32_t n, const mref *boxed_args)
{
    (void)line;
    print_line(n, boxed_args, put_plain);
}

void mochi_json(int32_t line, mref boxed)
{
    (void)line;
    line_buf.n = 0;
    if (!mochi_fmt_json(&line_buf, mochi_val_ref(boxed)))
        line_buf.n = 0; /* Go's encoder failed: nothing but the newline */
    mochi_buf_putc(&line_buf, '\n');
    put_output(line_buf.p, line_buf.n);
}

mref mochi_input(int32_t line)
{
    MBuf b = {NULL, 0, 0};
    mref s;
    int c;
    mochi_flush_output();
    while ((c = getchar()) != EOF && c != '\n')
        mochi_buf_putc(&b, (char)c);
    /* the line without the \r and \n at its end, as the reference trims it */
    while (b.n > 0 && b.p[b.n - 1] == '\r')
        b.n--;
    s = mochi_str_new(line, b.p, (int64_t)b.n);
    mochi_buf_free(&b);
    return s;
}

/* ------------------------------------------------------------------ stopping, expect, tests */

_Noreturn void mochi_panic(int32_t line, mref msg)
{
    mochi_error(line, "%s", msg != NULL && msg->kind == MK_STR ? ((MStr *)msg)->data : "nil");
}

static int32_t *failures; /* lines of failed expects in the current test */
static int64_t nfailures, capfailures, nexpects;
static int64_t tests_passed, tests_failed;

void mochi_expect(int32_t line, bool ok, bool in_test)
{
    if (!in_test) {
        if (!ok)
            mochi_error(line, "expect failed");
        return;
    }
    nexpects++;
    if (ok)
        return;
    if (nfailures == capfailures) {
        capfailures = capfailures ? 2 * capfailures : 8;
        failures = mochi_grow(line, failures, capfailures, sizeof *failures);
    }
    failures[nfailures++] = line;
}

void mochi_test_begin(void)
{
    nfailures = nexpects = 0;
}

bool mochi_test_end(const char *name)
{
    int64_t i;
    if (nfailures == 0) {
        printf("test %s ... ok (%" PRId64 " expectation%s)\n", name, nexpects,
               nexpects == 1 ? "" : "s");
        tests_passed++;
        return true;
    }
    printf("test %s ... FAIL\n", name);
    for (i = 0; i < nfailures; i++)
        printf("  %s:%ld: expect failed\n", mochi_source_file, (long)failures[i]);
    tests_failed++;
    return false;
}

int mochi_test_summary(void)
{
    printf("%" PRId64 " passed, %" PRId64 " failed\n", tests_passed, tests_failed);
    return tests_failed > 0;
}
