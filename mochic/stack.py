"""The stack policy of every tier, in one place, and running deeply recursive
work (compiling deeply nested programs, interpreting deeply recursive ones) on
a thread with a large stack.

Mochi recursion CALL_DEPTH calls deep fits everywhere, and deeper is the
runtime error 'stack overflow', never a crash:

- the interpreter and the JIT run Mochi code on a thread of THREAD_STACK
  bytes (`run_in_big_stack`); the JIT keeps Mochi frames on a separate
  stack of JIT_FRAMES bytes and lets calls use JIT_STACK_BUDGET of the
  thread's stack;
- executables of the C backend make such a thread on Linux and macOS; on
  Windows and WASI they run on the main stack, which is linked MAIN_STACK
  bytes big; a C call is 'stack overflow' once less than a sixteenth of
  the stack is left.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

THREAD_STACK = 1 << 30
JIT_STACK_BUDGET = THREAD_STACK - (64 << 20)  # what Mochi calls may use below the JIT's entry
JIT_FRAMES = 256 << 20  # committed as deep recursion touches it
# the main stack of an executable, by target OS ("other": where nothing links it bigger)
MAIN_STACK = {"windows": 256 << 20, "wasi": 64 << 20, "other": 8 << 20}
# Every tier counts Mochi calls: main runs at depth 0, and a call made at depth
# CALL_DEPTH is the runtime error 'stack overflow' (LANGUAGE.md: the same limit,
# counted in calls, on every tier).  Stacks are sized so that the count, not
# the stack, is what ends a deep recursion; the byte checks below stay as a
# backstop for frames too big for them.
CALL_DEPTH = 200_000
# the interpreter's Python frames on THREAD_STACK: one per Mochi call, and room
# for the runtime's own recursion at the deepest call
PYTHON_RECURSION_LIMIT = CALL_DEPTH + 50_000
# Wasm code runs on the engine's stack, which the module cannot measure.  The
# engine is given WASM_ENGINE_STACK bytes of native stack (a Mochi frame of
# Cranelift's code takes far less than 2 KiB); the runtime's C code gets
# WASM_LINEAR_STACK bytes of linear memory.
WASM_ENGINE_STACK = 512 << 20
WASM_LINEAR_STACK = 8 << 20


def run_in_big_stack(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` on a thread with a large stack, so deep Mochi recursion fits."""
    result: list[Any] = [None]
    error: list[BaseException | None] = [None]

    def target() -> None:
        try:
            result[0] = fn()
        except BaseException as e:  # re-raised on the calling thread
            error[0] = e

    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(PYTHON_RECURSION_LIMIT)
    threading.stack_size(THREAD_STACK)
    t = threading.Thread(target=target)
    t.start()
    t.join()
    threading.stack_size(0)
    sys.setrecursionlimit(old_limit)
    if error[0] is not None:
        raise error[0]
    return result[0]
