"""The `mochic` command line."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from mochic import __version__, backends
from mochic.source import read_source
from mochic.stack import run_in_big_stack
from mochic.targets import TARGETS
from mochic.toolchain.compilers import COMPILERS

DESCRIPTION = """\
mochic compiles Mochi programs to native code.

commands:
  run    run a program (the copy-and-patch JIT where the machine has one,
         else the reference interpreter; --tier chooses)
  check  type-check a program and report every error, without running it
  ir     print the typed IR a program lowers to
  test   run the program's `test` blocks and report each expectation
  build  compile a program to an executable (the C backend; --backend chooses: c,
         native for the JIT's stencils linked by mochic itself, or wasm for a
         WebAssembly module of mochic's own encoder and linker)
  disasm show the machine code the JIT makes for each IR instruction
  doctor report which compilers and test runners are installed
"""



def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mochic", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"mochic {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run a program",
                         description="Run a Mochi program. Its `test` blocks are skipped.")
    run.add_argument("file", help="the .mochi program")
    run.add_argument("--tier", choices=backends.names("run"),
                     help="how to execute it: jit (machine code, x86_64, aarch64 and riscv64 Linux), "
                          "interp (the reference interpreter) or wasm (mochic's WebAssembly, "
                          "compiled and run by the wasmtime package); default: jit where "
                          "available, falling back to interp")
    run.add_argument("--verbose", action="store_true",
                     help="say which tier runs the program and what the JIT did")
    run.add_argument("--no-cache", action="store_true",
                     help="compile the program even if the compile cache holds it, and "
                          "do not store it there")
    chk = sub.add_parser("check", help="type-check a program",
                         description="Parse and type-check a program; print every error.")
    chk.add_argument("file", help="the .mochi program")
    irp = sub.add_parser("ir", help="print the typed IR",
                         description="Print the typed IR of a program (see docs/IR.md).")
    irp.add_argument("file", help="the .mochi program")
    irp.add_argument("--function", help="print only this IR function")
    tst = sub.add_parser("test", help="run the program's test blocks",
                         description="Run each `test` block and report its expectations.")
    tst.add_argument("file", help="the .mochi program")
    bld = sub.add_parser("build", help="compile a program to an executable",
                         description="Compile a Mochi program to an executable with "
                                     "one of the backends (the C backend by default), or "
                                     "write what the backend makes on the way (--emit).")
    bld.add_argument("file", help="the .mochi program")
    bld.add_argument("-o", dest="output", metavar="PATH",
                     help="the output file (default: the program's name, in this directory; "
                          "'-' writes --emit c to standard output)")
    bld.add_argument("--backend", default=backends.DEFAULT_BUILD, metavar="NAME",
                     help="how to build it: " + "; ".join(
                         f"{b.name} ({b.summary})" for b in backends.BACKENDS.values()
                         if b.build) + f" (default: {backends.DEFAULT_BUILD})")
    bld.add_argument("--target", metavar="TARGET",
                     help="what to build for (default: this machine): " + ", ".join(TARGETS))
    bld.add_argument("--mode", default="dev", metavar="MODE",
                     help="dev (debug info, the default; the C backend at -O0) or release "
                          "(stripped; the C backend at -O2)")
    bld.add_argument("--portable", action="store_true",
                     help="Linux: link musl statically instead of glibc dynamically")
    bld.add_argument("--cc", default="zig", metavar="CC",
                     help="the C compiler: " + ", ".join(COMPILERS) +
                          " (default: zig, from the ziglang package)")
    bld.add_argument("--emit", metavar="WHAT",
                     help="what to write: exe (the executable, the default) or what the "
                          "backend also makes (c: the C source; native: obj, the ELF "
                          "relocatable object); the wasm backend writes wasm (the module, "
                          "the default) or cwasm (precompiled by wasmtime)")
    bld.add_argument("--verbose", action="store_true", help="say what the build does")
    bld.add_argument("--force", action="store_true",
                     help="overwrite the output file even when it is not an earlier output "
                          "of mochic build (never the program itself)")
    dis = sub.add_parser("disasm", help="show the JIT's machine code per IR instruction",
                         description="Compile a program with the JIT and print, for each IR "
                                     "instruction, the machine code made for it (decoded by "
                                     "capstone), at the addresses it runs at.")
    dis.add_argument("file", help="the .mochi program")
    dis.add_argument("--function", help="show only this IR function")
    sub.add_parser("doctor", help="report the compilers and test runners present",
                   description="Report which C compilers and test runners mochic can use "
                               "and how to install the missing ones.")
    return p


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _read(path: str) -> str | None:
    try:
        return read_source(path)
    except OSError as e:
        print(f"mochic: error: cannot read {path}: {e.strerror}", file=sys.stderr)
        return None


def _compile(path: str, source: str):  # noqa: ANN202 - an ir.Module or None
    """Compile ``source``; print diagnostics and return None on errors."""
    from mochic.driver import compile_file
    compiled = compile_file(path, source)
    if compiled.diags:
        sys.stderr.write(compiled.diags.render())
        n = len(compiled.diags.items)
        print(f"{n} error{'s' if n != 1 else ''}", file=sys.stderr)
        return None
    return compiled.module


def _load(path: str):  # noqa: ANN202 - an ir.Module or None
    """Compile ``path``; print diagnostics and return None on errors."""
    source = _read(path)
    return None if source is None else _compile(path, source)


def cmd_run(args: argparse.Namespace) -> int:
    source = _read(args.file)
    if source is None:
        return 1
    request = backends.RunRequest(args.verbose, _log)
    if not args.no_cache and args.tier in (None, "jit"):
        # a program run before runs from the compile cache, without compiling
        from mochic.backends.copypatch import tier as jit_tier
        key = jit_tier.cache_key(args.file, source)
        if key is not None:
            status = jit_tier.run_cached(key, request)
            if status is not None:
                return status
            request = dataclasses.replace(request, cache_key=key)
    module = _compile(args.file, source)
    if module is None:
        return 1
    from mochic import driver
    return driver.run(module, args.tier, request)


def cmd_check(args: argparse.Namespace) -> int:
    return 0 if _load(args.file) is not None else 1


def cmd_ir(args: argparse.Namespace) -> int:
    module = _load(args.file)
    if module is None:
        return 1
    from mochic.ir.printer import format_function, format_module
    if args.function:
        fn = module.functions.get(args.function)
        if fn is None:
            names = ", ".join(module.functions)
            print(f"mochic: error: no function '{args.function}' (have: {names})",
                  file=sys.stderr)
            return 1
        print(format_function(fn))
    else:
        sys.stdout.write(format_module(module))
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    module = _load(args.file)
    if module is None:
        return 1
    from mochic.interp.tier import run_tests
    return run_tests(module)


def _error(msg: str, hint: str | None = None) -> int:
    print(f"mochic: error: {msg}", file=sys.stderr)
    if hint:
        print(f"  hint: {hint}", file=sys.stderr)
    return 1


def cmd_build(args: argparse.Namespace) -> int:
    from mochic import driver, targets
    try:
        backend = backends.get(args.backend, "build")
        # a backend that builds for one target only builds for it by default
        default = backend.targets[0] if len(backend.targets) == 1 else None
        target = targets.get(args.target or default)
        mode = targets.check_mode(args.mode)
    except (backends.BackendError, targets.TargetError) as e:
        return _error(str(e))
    emit = args.emit or next(iter(backend.emits))
    if target.name not in backend.targets:
        return _error(f"the {backend.name} backend does not build for {target.name}; it "
                      f"builds for: {', '.join(backend.targets)}")
    if emit not in backend.emits:
        return _error(f"the {backend.name} backend cannot emit '{emit}'; it emits: "
                      f"{', '.join(backend.emits)}")
    stem = os.path.splitext(os.path.basename(args.file))[0]
    suffix = backend.emits[emit] or target.suffix
    if args.output == "-" and emit in _FILE_ONLY_EMITS:
        return _error(f"{_OUR_OUTPUT[emit][0]} cannot be written to standard output",
                      "give a file with -o")
    output = None if args.output == "-" else Path(args.output or stem + suffix)
    if output is not None:
        refusal = _refuse_output(output, Path(args.file), emit, args.force)
        if refusal is not None:
            return _error(*refusal)
    module = _load(args.file)
    if module is None:
        return 1
    request = backends.BuildRequest(target, mode, args.portable, args.cc, emit, output, _log)
    try:
        artifact = driver.build(module, backend.name, request)
    except backends.BuildError as e:
        return _error(str(e))
    if args.verbose and artifact.path is not None:
        print(f"mochic: built {artifact.path} for {target.name} ({mode}) {artifact.summary}",
              file=sys.stderr)
    return 0


# The first bytes of the files `build` writes: executables of every target, and C.
_OUR_OUTPUT = {
    "exe": ("an executable", (b"\x7fELF", b"MZ", b"\0asm", b"\xcf\xfa\xed\xfe",
                              b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe")),
    "c": ("C that mochic wrote", (b"/* Generated by mochic",)),
    "wasm": ("a Wasm module", (b"\0asm",)),
    "cwasm": ("a precompiled Wasm module", (b"\x7fELF",)),
    "obj": ("an object file", (b"\x7fELF",)),
}
# What only a file can hold (a program to run, code for one machine); the
# rest may go to standard output with -o -.
_FILE_ONLY_EMITS = ("exe", "cwasm")


def _refuse_output(output: Path, program: Path, emit: str,
                   force: bool) -> tuple[str, str] | None:
    """Why ``build`` must not write ``output`` (the error and a hint), if it must not:
    it is the program itself, not a file, or a file that is not an earlier
    output of ``build`` (unless ``force``)."""
    if not output.exists() and not output.is_symlink():
        return None
    if program.exists() and output.exists() and os.path.samefile(output, program):
        return (f"the output {output} is the program itself",
                "choose another file with -o")
    if not output.is_file():
        return (f"the output {output} exists and is not a regular file",
                "choose another file with -o")
    if force:
        return None
    with open(output, "rb") as f:
        head = f.read(32)
    what, magics = _OUR_OUTPUT[emit]
    if any(head.startswith(magic) for magic in magics):
        return None
    return (f"the output {output} exists and is not {what}; it is left as it is",
            "choose another file with -o, or pass --force to overwrite it")


def cmd_disasm(args: argparse.Namespace) -> int:
    module = _load(args.file)
    if module is None:
        return 1
    if args.function is not None and args.function not in module.functions:
        return _error(f"no function '{args.function}'; the functions are: "
                      f"{', '.join(module.functions)}")
    from mochic.backends.copypatch import jit
    from mochic.backends.copypatch.disasm import disassemble
    from mochic.toolchain.compilers import ToolchainError
    try:
        prog = run_in_big_stack(lambda: jit.compile_program(module, _log))
    except (jit.JitUnavailable, ToolchainError, OSError) as e:
        return _error(f"the JIT cannot compile this program: {e}")
    sys.stdout.write(disassemble(prog, args.function))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from mochic import targets
    from mochic.toolchain.cache import cache_dir
    from mochic.toolchain.doctor import doctor_report
    print(f"mochic {__version__}; host target: {targets.host_name() or 'none'}; "
          f"cache: {cache_dir()}")
    for what, name, state, detail in doctor_report():
        shown = "install: " + detail if state == "missing" else detail
        print(f"  {what:9} {name:13} {state:7} {shown}")
    return 0


def main(argv: list[str] | None = None) -> int:
    # A file name that is not UTF-8 comes in as surrogate escapes: messages show
    # its own bytes, as the compiled programs do.
    sys.stderr.reconfigure(errors="surrogateescape")  # type: ignore[union-attr]
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if getattr(args, "file", None) and not os.path.exists(args.file):
        print(f"mochic: error: no such file: {args.file}", file=sys.stderr)
        return 1
    handler = {"run": cmd_run, "check": cmd_check, "ir": cmd_ir, "test": cmd_test,
               "build": cmd_build, "disasm": cmd_disasm, "doctor": cmd_doctor}
    try:
        return handler[args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
