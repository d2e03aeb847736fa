/* wasmrun: run a precompiled Wasm module (.cwasm) as `wasmtime run
   --allow-precompiled` would, with a start-up of milliseconds.

   usage: wasmrun PROG.cwasm [ARG...]

   Why not `python -m mochic.backends.wasm.engine`: that runner starts
   Python and imports wasmtime before the module runs, a third of a second
   that a user of the .cwasm never waits for.  This one is the same engine
   (the wasmtime package's own libwasmtime, so the .cwasm that mochic's
   engine wrote loads unchanged), configured as mochic.backends.wasm.engine
   configures it: Cranelift at "speed", a wasm stack of WASM_STACK bytes
   (given with -D when the runner is built, from mochic.stack), the
   program's standard streams, arguments and environment, and the current
   directory preopened as ".".  The module runs on a thread whose native
   stack holds the wasm stack.  Exit status: the program's; 134 on a trap
   (with its message on stderr); 1 when the module cannot be loaded.

   The package ships the library without its C headers, so the few
   declarations used are written here; their types are those of the
   package's ctypes bindings (wasmtime/_bindings.py). */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef WASM_STACK
#error "build with -DWASM_STACK=<bytes of wasm stack>"
#endif

typedef struct wasm_config_t wasm_config_t;
typedef struct wasm_engine_t wasm_engine_t;
typedef struct wasmtime_module_t wasmtime_module_t;
typedef struct wasmtime_store_t wasmtime_store_t;
typedef struct wasmtime_context_t wasmtime_context_t;
typedef struct wasmtime_linker_t wasmtime_linker_t;
typedef struct wasmtime_error_t wasmtime_error_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef struct wasi_config_t wasi_config_t;
typedef struct { size_t size; char *data; } wasm_byte_vec_t;
typedef struct { uint64_t store_id; size_t index; } wasmtime_instance_t;
typedef struct { uint64_t store_id; void *private_; } wasmtime_func_t;
typedef struct {
    uint8_t kind; /* 0: a function */
    union { wasmtime_func_t func; unsigned char bytes[24]; } of;
} wasmtime_extern_t;

wasm_config_t *wasm_config_new(void);
void wasmtime_config_cranelift_opt_level_set(wasm_config_t *, uint8_t);
void wasmtime_config_max_wasm_stack_set(wasm_config_t *, size_t);
void wasmtime_config_async_stack_size_set(wasm_config_t *, size_t);
wasm_engine_t *wasm_engine_new_with_config(wasm_config_t *);
wasmtime_error_t *wasmtime_module_deserialize_file(wasm_engine_t *, const char *,
                                                    wasmtime_module_t **);
wasmtime_store_t *wasmtime_store_new(wasm_engine_t *, void *, void (*)(void *));
wasmtime_context_t *wasmtime_store_context(wasmtime_store_t *);
wasi_config_t *wasi_config_new(void);
bool wasi_config_set_argv(wasi_config_t *, size_t, const char **);
void wasi_config_inherit_stdin(wasi_config_t *);
void wasi_config_inherit_stdout(wasi_config_t *);
void wasi_config_inherit_stderr(wasi_config_t *);
void wasi_config_inherit_env(wasi_config_t *);
bool wasi_config_preopen_dir(wasi_config_t *, const char *, const char *, bool);
wasmtime_error_t *wasmtime_context_set_wasi(wasmtime_context_t *, wasi_config_t *);
wasmtime_linker_t *wasmtime_linker_new(wasm_engine_t *);
wasmtime_error_t *wasmtime_linker_define_wasi(wasmtime_linker_t *);
wasmtime_error_t *wasmtime_linker_instantiate(wasmtime_linker_t *, wasmtime_context_t *,
                                              const wasmtime_module_t *, wasmtime_instance_t *,
                                              wasm_trap_t **);
bool wasmtime_instance_export_get(wasmtime_context_t *, const wasmtime_instance_t *,
                                  const char *, size_t, wasmtime_extern_t *);
wasmtime_error_t *wasmtime_func_call(wasmtime_context_t *, const wasmtime_func_t *,
                                     const void *, size_t, void *, size_t, wasm_trap_t **);
bool wasmtime_error_exit_status(const wasmtime_error_t *, int *);
void wasmtime_error_message(const wasmtime_error_t *, wasm_byte_vec_t *);
void wasm_trap_message(const wasm_trap_t *, wasm_byte_vec_t *);

enum { OPT_LEVEL_SPEED = 1, EXTERN_FUNC = 0 };

static int argc_;
static char **argv_;

/* Print why (an error or a trap) and give the exit status it means. */
static int fail(const char *what, wasmtime_error_t *error, wasm_trap_t *trap) {
    wasm_byte_vec_t message = {0, NULL};
    int status = 1;
    if (error != NULL && wasmtime_error_exit_status(error, &status))
        return status;
    if (error != NULL)
        wasmtime_error_message(error, &message);
    else if (trap != NULL) {
        wasm_trap_message(trap, &message);
        status = 134;
    }
    fprintf(stderr, "wasmrun: %s: %.*s\n", what, (int)message.size,
            message.data ? message.data : "");
    return status;
}

static int run(void) {
    wasm_config_t *config = wasm_config_new();
    wasmtime_config_cranelift_opt_level_set(config, OPT_LEVEL_SPEED);
    wasmtime_config_async_stack_size_set(config, (size_t)WASM_STACK + (1 << 20));
    wasmtime_config_max_wasm_stack_set(config, (size_t)WASM_STACK);
    wasm_engine_t *engine = wasm_engine_new_with_config(config);
    wasmtime_module_t *module = NULL;
    wasmtime_error_t *error = wasmtime_module_deserialize_file(engine, argv_[1], &module);
    if (error != NULL)
        return fail("cannot load the module", error, NULL);
    wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
    wasmtime_context_t *context = wasmtime_store_context(store);
    wasi_config_t *wasi = wasi_config_new();
    wasi_config_set_argv(wasi, (size_t)(argc_ - 1), (const char **)argv_ + 1);
    wasi_config_inherit_stdin(wasi);
    wasi_config_inherit_stdout(wasi);
    wasi_config_inherit_stderr(wasi);
    wasi_config_inherit_env(wasi);
    if (!wasi_config_preopen_dir(wasi, ".", ".", true)) {
        fprintf(stderr, "wasmrun: cannot preopen the current directory\n");
        return 1;
    }
    if ((error = wasmtime_context_set_wasi(context, wasi)) != NULL)
        return fail("cannot set up WASI", error, NULL);
    wasmtime_linker_t *linker = wasmtime_linker_new(engine);
    if ((error = wasmtime_linker_define_wasi(linker)) != NULL)
        return fail("cannot define WASI", error, NULL);
    wasmtime_instance_t instance;
    wasm_trap_t *trap = NULL;
    error = wasmtime_linker_instantiate(linker, context, module, &instance, &trap);
    if (error != NULL || trap != NULL)
        return fail("cannot instantiate the module", error, trap);
    wasmtime_extern_t start;
    if (!wasmtime_instance_export_get(context, &instance, "_start", 6, &start) ||
        start.kind != EXTERN_FUNC) {
        fprintf(stderr, "wasmrun: the module exports no _start function\n");
        return 1;
    }
    error = wasmtime_func_call(context, &start.of.func, NULL, 0, NULL, 0, &trap);
    if (error != NULL || trap != NULL)
        return fail("the program stopped", error, trap);
    return 0;
}

static void *thread_main(void *status) {
    *(int *)status = run();
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: wasmrun PROG.cwasm [ARG...]\n");
        return 2;
    }
    argc_ = argc;
    argv_ = argv;
    pthread_attr_t attr;
    pthread_t thread;
    int status = 1;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, (size_t)WASM_STACK + (16 << 20));
    if (pthread_create(&thread, &attr, thread_main, &status) != 0) {
        fprintf(stderr, "wasmrun: cannot start the thread that runs the module\n");
        return 1;
    }
    pthread_join(thread, NULL);
    fflush(stdout);
    return status;
}
