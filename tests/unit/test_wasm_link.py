"""The Wasm linker's refusals, on the encoder's own objects: an undefined symbol, a
call whose signature is not the definition's, a missing entry point; and the
reader on the objects the pinned clang writes."""

from __future__ import annotations

import pytest

from mochic.backends.wasm.encode import encode_module
from mochic.driver import compile_source
from mochic.objfile.wasm_link import LinkError, link
from mochic.objfile.wasm_model import ImportKind


def _object():  # noqa: ANN202 - a WasmObject
    module = compile_source("p.mochi", "print(1)\n").module
    assert module is not None
    return encode_module(module)


def _runtime():  # noqa: ANN202 - the runtime's objects, or a skip
    from mochic.toolchain.compilers import ToolchainError
    from mochic.toolchain.wasm_runtime import runtime_objects
    try:
        return runtime_objects(("sin",), lambda _msg: None)
    except ToolchainError as e:
        pytest.skip(str(e))


def test_an_undefined_symbol_is_named() -> None:
    with pytest.raises(LinkError, match="undefined entry symbol: _start"):
        link([_object()], [])
    with pytest.raises(LinkError, match="undefined symbol: mochi_"):
        link([_object(), *[o for o in _runtime() if o.name != "mochi_io.o"]], [])


def test_a_call_of_the_wrong_signature_is_refused() -> None:
    obj = _object()
    imp = next(i for i in obj.imports if i.kind == ImportKind.FUNCTION and i.field == "mochi_print")
    imp.type = obj.type_index((("i32",), ()))
    with pytest.raises(LinkError, match="function signature mismatch: mochi_print"):
        link([obj, *_runtime()], [])


def test_the_runtime_objects_are_relocatable_and_link() -> None:
    rt = _runtime()
    assert any(o.name == "mochi_core.o" for o in rt)
    core = next(o for o in rt if o.name == "mochi_core.o")
    assert core.symbols and any(f.relocs for f in core.functions)
    linked = link([_object(), *rt], [])
    data = linked.module.encode()
    assert data[:8] == b"\0asm\1\0\0\0"
