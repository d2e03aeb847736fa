"""The compiler's description of mochi.h's structures (runtime/layout.py) agrees
with the C compiler's, for a 64-bit and the 32-bit (wasm32) target: every
member's offset and every struct's size, checked by `_Static_assert` in a C
file that includes mochi.h, compiled by the pinned clang."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mochic.runtime.layout import LP64, STRUCTS, WASM32, Layout
from mochic.toolchain.compilers import ToolchainError, find_compiler
from mochic.toolchain.options import RUNTIME_DIR

TARGETS = {"x86_64-linux-musl": LP64, "aarch64-linux-musl": LP64,
           "riscv64-linux-musl": LP64, "wasm32-wasi": WASM32}


def _asserts(layout: Layout) -> str:
    out = ['#include <stddef.h>', '#include "mochi.h"']
    for name in STRUCTS:
        for member, _, offset in layout.members(name):
            out.append(f"_Static_assert(offsetof({name}, {member}) == {offset}, "
                       f"\"{name}.{member}\");")
        if name not in ("MStr", "MStruct", "MClosure"):  # these end in a flexible array
            out.append(f"_Static_assert(sizeof({name}) == {layout.size(name)}, \"{name}\");")
    for name, array in (("MStruct", "f"), ("MClosure", "caps")):  # arrays of MSlot
        out.append(f"_Static_assert(offsetof({name}, {array}) == {layout.slots(name)}, "
                   f"\"{name}.{array}\");")
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("triple", TARGETS)
def test_layouts_match_the_c_compiler(triple: str, tmp_path: Path) -> None:
    try:
        zig = find_compiler("zig")
    except ToolchainError as e:
        pytest.skip(str(e))
    src = tmp_path / "layout.c"
    src.write_text(_asserts(TARGETS[triple]))
    p = subprocess.run([*zig.cc, "-target", triple, "-std=c11", "-c", "-o", str(tmp_path / "l.o"),
                        "-I", str(RUNTIME_DIR), str(src)], capture_output=True, text=True,
                       env=zig.env)
    assert p.returncode == 0, p.stderr


def test_pack_places_pointers_as_relocations() -> None:
    from mochic.runtime.layout import Ref
    data, refs = LP64.pack("MType", kind=7, elem=Ref("mochi_t_int"), name=Ref("n", 2))
    assert len(data) == 48 and data[:4] == (7).to_bytes(4, "little")
    assert refs == [(8, Ref("mochi_t_int")), (40, Ref("n", 2))]
    data, refs = WASM32.pack("MType", kind=7, elem=Ref("t"))
    assert len(data) == 24 and refs == [(4, Ref("t"))]
    with pytest.raises(KeyError):
        LP64.pack("MType", color=1)
