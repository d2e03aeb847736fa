"""`mochic run --tier interp` and `mochic test`: the reference interpreter running
a program, or its `test` blocks, on a thread with a big stack."""

from __future__ import annotations

import sys

from mochic.backends import RunRequest
from mochic.interp.interp import Interpreter
from mochic.interp.runtime import MochiError
from mochic.ir.ir import Module
from mochic.stack import run_in_big_stack


def runtime_error(file: str, line: int, message: str) -> int:
    """Report a runtime error as every tier does, after what the program printed."""
    sys.stdout.flush()
    print(f"{file}:{line}: runtime error: {message}", file=sys.stderr)
    return 1


def run(module: Module, request: RunRequest) -> int:
    if request.verbose:
        request.log("mochic: running on the interp tier")
    try:
        run_in_big_stack(lambda: Interpreter(module).run_main())
    except MochiError as e:
        return runtime_error(module.file, e.line, e.message)
    except RecursionError:
        return runtime_error(module.file, 0, "stack overflow")
    finally:
        sys.stdout.flush()
    return 0


def run_tests(module: Module) -> int:
    """Run each `test` block after the program's top-level statements, and report
    its expectations; the status is 1 if any failed."""
    file = module.file
    interp = Interpreter(module)
    try:
        # The tests see the globals the program's top-level statements set up.
        run_in_big_stack(interp.run_main)
    except MochiError as e:
        return runtime_error(file, e.line, e.message)
    failed = 0
    for name, fn in module.tests:
        results = interp.env.test_results
        results.clear()
        error = None
        try:
            run_in_big_stack(lambda fn=fn: interp.call(fn))
        except MochiError as e:
            error = f"{file}:{e.line}: runtime error: {e.message}"
        bad = [line for line, ok in results if not ok]
        sys.stdout.flush()
        if bad or error:
            failed += 1
            print(f"test {name} ... FAIL")
            for line in bad:
                print(f"  {file}:{line}: expect failed")
            if error:
                print(f"  {error}")
        else:
            print(f"test {name} ... ok ({len(results)} expectation"
                  f"{'s' if len(results) != 1 else ''})")
    total = len(module.tests)
    print(f"{total - failed} passed, {failed} failed")
    return 1 if failed else 0
