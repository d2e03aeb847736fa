"""Session set-up shared by the tests."""

from __future__ import annotations

import pytest

from mochic.backends.copypatch import jit


@pytest.fixture(scope="session", autouse=True)
def jit_runtime_built() -> None:
    """Build the JIT's runtime library once, before any test runs `mochic run`: the
    first run would otherwise say so on stderr, which the tests compare."""
    if jit.host_machine() is not None:
        from mochic.toolchain.runtime import shared_library
        shared_library(lambda _msg: None)


@pytest.fixture(scope="session", autouse=True)
def wasm_runtime_built() -> None:
    """Build the Wasm backend's runtime objects once, before any test builds a module:
    the first build would otherwise say so on stderr."""
    from mochic.backends.wasm.backend import LIBC_CALLS
    from mochic.toolchain.compilers import ToolchainError
    from mochic.toolchain.wasm_runtime import runtime_objects
    try:
        runtime_objects(LIBC_CALLS, lambda _msg: None)
    except ToolchainError:
        pass  # the tests that need it report why
