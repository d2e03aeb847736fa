"""The `mochic` command line."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mochic import __version__
from mochic.diagnostics import Diagnostics
from mochic.driver import compile_source, internal_error, read_source
from mochic.stack import run_in_big_stack
from mochic.targets import TARGETS
from mochic.toolchain import COMPILERS

DESCRIPTION = """\
mochic compiles Mochi programs to native code.

commands:
  run    run a program (the copy-and-patch JIT where the machine has one,
         else the reference interpreter; --tier chooses)
  check  type-check a program and report every error, without running it
  ir     print the typed IR a program lowers to
  test   run the program's `test` blocks and report each expectation
  build  compile a program to a native executable (the C backend)
  disasm show the machine code the JIT makes for each IR instruction
  doctor report which compilers and test runners are installed
"""

TIERS = ("jit", "interp")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mochic", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"mochic {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run a program",
                         description="Run a Mochi program. Its `test` blocks are skipped.")
    run.add_argument("file", help="the .mochi program")
    run.add_argument("--tier", choices=TIERS,
                     help="how to execute it: jit (machine code, x86_64 and aarch64 Linux) or "
                          "interp (the reference interpreter); default: jit where available, "
                          "falling back to interp")
    run.add_argument("--verbose", action="store_true",
                     help="say which tier runs the program and what the JIT did")
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
                         description="Compile a Mochi program to a native executable "
                                     "through C (or write the C with --emit c).")
    bld.add_argument("file", help="the .mochi program")
    bld.add_argument("-o", dest="output", metavar="PATH",
                     help="the output file (default: the program's name, in this directory; "
                          "'-' writes --emit c to standard output)")
    bld.add_argument("--target", metavar="TARGET",
                     help="what to build for (default: this machine): " + ", ".join(TARGETS))
    bld.add_argument("--mode", default="dev", metavar="MODE",
                     help="dev (debug info, -O0, the default) or release (-O2, stripped)")
    bld.add_argument("--portable", action="store_true",
                     help="Linux: link musl statically instead of glibc dynamically")
    bld.add_argument("--cc", default="zig", metavar="CC",
                     help="the C compiler: " + ", ".join(COMPILERS) +
                          " (default: zig, from the ziglang package)")
    bld.add_argument("--emit", choices=("c", "exe"), default="exe",
                     help="what to write: the executable (default) or its C source")
    bld.add_argument("--verbose", action="store_true", help="say what the build does")
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


def _load(path: str):
    """Compile ``path``; print diagnostics and return None on errors."""
    try:
        source = read_source(path)
    except OSError as e:
        print(f"mochic: error: cannot read {path}: {e.strerror}", file=sys.stderr)
        return None
    try:
        compiled = run_in_big_stack(lambda: compile_source(path, source))
    except Exception as e:  # a compiler bug must not surface as a traceback
        diags = Diagnostics(path, source)
        internal_error(diags, e)
        sys.stderr.write(diags.render())
        return None
    if compiled.diags:
        sys.stderr.write(compiled.diags.render())
        n = len(compiled.diags.items)
        print(f"{n} error{'s' if n != 1 else ''}", file=sys.stderr)
        return None
    return compiled.module


def _runtime_error(path: str, line: int, message: str) -> int:
    sys.stdout.flush()
    print(f"{path}:{line}: runtime error: {message}", file=sys.stderr)
    return 1


def cmd_run(args: argparse.Namespace) -> int:
    module = _load(args.file)
    if module is None:
        return 1
    if args.tier != "interp":
        from mochic.jit_tier import run_jit
        status = run_jit(module, forced=args.tier == "jit", verbose=args.verbose)
        if status is not None:
            return status
    if args.verbose:
        print("mochic: running on the interp tier", file=sys.stderr)
    from mochic.interp.interp import Interpreter
    from mochic.interp.runtime import MochiError
    try:
        run_in_big_stack(lambda: Interpreter(module).run_main())
    except MochiError as e:
        return _runtime_error(args.file, e.line, e.message)
    except RecursionError:
        return _runtime_error(args.file, 0, "stack overflow")
    finally:
        sys.stdout.flush()
    return 0


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
    from mochic.interp.interp import Interpreter
    from mochic.interp.runtime import MochiError
    interp = Interpreter(module)
    try:
        # The tests see the globals the program's top-level statements set up.
        run_in_big_stack(interp.run_main)
    except MochiError as e:
        return _runtime_error(args.file, e.line, e.message)
    failed = 0
    for name, fn in module.tests:
        results = interp.env.test_results
        results.clear()
        error = None
        try:
            run_in_big_stack(lambda fn=fn: interp.call(fn))
        except MochiError as e:
            error = f"{args.file}:{e.line}: runtime error: {e.message}"
        bad = [line for line, ok in results if not ok]
        sys.stdout.flush()
        if bad or error:
            failed += 1
            print(f"test {name} ... FAIL")
            for line in bad:
                print(f"  {args.file}:{line}: expect failed")
            if error:
                print(f"  {error}")
        else:
            print(f"test {name} ... ok ({len(results)} expectation"
                  f"{'s' if len(results) != 1 else ''})")
    total = len(module.tests)
    print(f"{total - failed} passed, {failed} failed")
    return 1 if failed else 0


def _error(msg: str) -> int:
    print(f"mochic: error: {msg}", file=sys.stderr)
    return 1


def cmd_build(args: argparse.Namespace) -> int:
    from mochic import targets, toolchain
    try:
        target = targets.get(args.target)
        mode = targets.check_mode(args.mode)
        compiler = toolchain.find_compiler(args.cc) if args.emit == "exe" else None
    except (targets.TargetError, toolchain.ToolchainError) as e:
        return _error(str(e))
    module = _load(args.file)
    if module is None:
        return 1
    from mochic.backends.c.emit import emit_c
    try:
        c_source = run_in_big_stack(lambda: emit_c(module))
    except Exception as e:  # a compiler bug must not surface as a traceback
        return _error(f"internal compiler error in the C emitter: {type(e).__name__}: {e}")
    stem = os.path.splitext(os.path.basename(args.file))[0]
    if args.emit == "c":
        if args.output == "-":
            sys.stdout.write(c_source)
            return 0
        out = args.output or stem + ".c"
        with open(out, "w", encoding="utf-8") as f:
            f.write(c_source)
        return 0
    assert compiler is not None
    out = args.output or stem + target.suffix
    opts = toolchain.Options(target, mode, args.portable, compiler)
    try:
        res = toolchain.build(c_source, opts, Path(out))
    except toolchain.ToolchainError as e:
        return _error(str(e))
    except OSError as e:
        return _error(f"cannot write {out}: {e.strerror or e}")
    if args.verbose:
        how = "from the build cache" if res.cached else f"with {compiler.identity}"
        print(f"mochic: built {out} for {target.name} ({mode}) {how} in {res.seconds:.2f} s",
              file=sys.stderr)
    return 0


def cmd_disasm(args: argparse.Namespace) -> int:
    module = _load(args.file)
    if module is None:
        return 1
    if args.function is not None and args.function not in module.functions:
        return _error(f"no function '{args.function}'; the functions are: "
                      f"{', '.join(module.functions)}")
    from mochic.backends.copypatch import jit
    from mochic.backends.copypatch.disasm import disassemble
    from mochic.jit_tier import note
    from mochic.toolchain import ToolchainError
    try:
        prog = run_in_big_stack(lambda: jit.compile_program(module, note))
    except (jit.JitUnavailable, ToolchainError, OSError) as e:
        return _error(f"the JIT cannot compile this program: {e}")
    sys.stdout.write(disassemble(prog, args.function))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from mochic import targets, toolchain
    print(f"mochic {__version__}; host target: {targets.host_name() or 'none'}; "
          f"cache: {toolchain.cache_dir()}")
    for what, name, present, detail in toolchain.doctor_report():
        mark = "ok     " if present else "missing"
        print(f"  {what:9} {name:13} {mark} {detail if present else 'install: ' + detail}")
    return 0


def main(argv: list[str] | None = None) -> int:
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
