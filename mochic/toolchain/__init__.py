"""The pinned C toolchain and everything mochic builds with it.

The default compiler and linker is the `ziglang` package (`python -m ziglang
cc`): a clang with every target's C library and LLD inside, so `pip install`
alone can build for all eight targets from any host.  `--cc` picks another
(`cc`, `gcc`, `clang`, `tcc`), which builds for the host only.

- `compilers.py`: finding a compiler; zig's environment and caches
- `flags.py`: the build options and the compile and link flags, each with why
- `cache.py`: the user cache directory and its atomic work directories
- `runtime.py`: the runtime library, built once per configuration: the
  archive the C backend links, the shared object the JIT loads
- `link.py`: compiling and linking an emitted C program into an executable
- `doctor.py`: what `mochic doctor` reports

Everything lives in one user cache directory, `$MOCHIC_CACHE` or
`~/.cache/mochic` (`$XDG_CACHE_HOME/mochic`):

    zig/            zig's own caches (ZIG_GLOBAL_CACHE_DIR, ZIG_LOCAL_CACHE_DIR):
                    each target's libc, compiled on its first use ($MOCHIC_ZIG_CACHE
                    moves them)
    runtime/KEY/    libmochi.a, the runtime library for one (target, mode,
                    portable, compiler, flags, runtime sources) combination
    jit/KEY/        libmochi.so, the runtime library the JIT loads
    builds/KEY/     a finished executable, keyed by the hash of its C source,
                    flags and runtime: a second build of a program is a copy
    tmp/            work directories, renamed into place when complete, so
                    concurrent builds (parallel tests) never see half a file
"""
