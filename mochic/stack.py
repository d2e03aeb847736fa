"""Running deeply recursive work (compiling deeply nested programs, interpreting
deeply recursive ones) on a thread with a large stack and recursion limit."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any


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
    sys.setrecursionlimit(200_000)
    threading.stack_size(1 << 30)
    t = threading.Thread(target=target)
    t.start()
    t.join()
    threading.stack_size(0)
    sys.setrecursionlimit(old_limit)
    if error[0] is not None:
        raise error[0]
    return result[0]



