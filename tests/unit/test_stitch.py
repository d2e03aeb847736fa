"""Stitching a program into the format-neutral object (copypatch/stitch.py),
without the runtime library: no ctypes, no mapping, any ISA on any host.

- every corpus program stitches on both ISAs, and its relocations name only
  symbols the object defines or the runtime library exports (or the C
  library the runtime links);
- every relocation is one the patcher knows, and applying them all with the
  object placed far from the runtime (so that calls need veneers) succeeds;
- the same program always gives the same object.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from mochic.backends.copypatch import jit
from mochic.backends.copypatch.patch import WRITERS
from mochic.backends.copypatch.stitch import stitch_program
from mochic.driver import compile_source
from mochic.ir import ir
from mochic.stack import run_in_big_stack
from mochic.toolchain.compilers import ToolchainError
from mochic.toolchain.runtime import shared_library

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = sorted([*(ROOT / "tests" / "programs").glob("*/*.mochi"),
                   *(ROOT / "tests" / "errors" / "runtime").glob("*.mochi")])
MACHINES = ("x86_64", "aarch64")


@pytest.fixture(scope="module")
def modules() -> dict[str, ir.Module]:
    out = {}
    for p in PROGRAMS:
        compiled = compile_source(p.name, p.read_text())
        assert compiled.module is not None, p
        out[f"{p.parent.name}/{p.name}"] = compiled.module
    return out


@pytest.fixture(scope="module")
def runtime_symbols() -> set[str]:
    """What the JIT's runtime library defines and what it takes from the C library."""
    try:
        lib = shared_library(lambda _m: None)
    except ToolchainError as e:
        pytest.skip(f"no runtime library: {e}")
    with lib.open("rb") as f:
        dynsym = ELFFile(f).get_section_by_name(".dynsym")
        return {s.name for s in dynsym.iter_symbols() if s.name}


def test_stitching_needs_no_runtime_in_the_process() -> None:
    code = ("import sys\n"
            "from mochic.driver import compile_source\n"
            "from mochic.backends.copypatch.stitch import stitch_program\n"
            "m = compile_source('p.mochi', 'print(1 + 2, [\"a\"])\\n').module\n"
            "for machine in ('x86_64', 'aarch64'):\n"
            "    stitch_program(m, machine)\n"
            "print(sorted({'ctypes', 'mmap'} & set(sys.modules)))\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "[]\n"


@pytest.mark.parametrize("machine", MACHINES)
def test_every_corpus_program_stitches_and_links(machine: str, modules: dict[str, ir.Module],
                                                 runtime_symbols: set[str]) -> None:
    assert len(modules) >= 150
    kinds: set[str] = set()
    for name, module in modules.items():
        obj = run_in_big_stack(lambda m=module: stitch_program(m, machine).obj)
        obj.check()
        unknown = set(obj.undefined()) - runtime_symbols
        assert not unknown, f"{name}: {sorted(unknown)}"
        kinds |= {r.kind for r in obj.relocations}
        # placed far from every runtime function: each call goes through a veneer
        image = jit.plan(obj)
        jit.relocate(obj, image, 0x5555_0000_0000, lambda _s: 0x7F00_0000_0000)
    assert kinds <= set(WRITERS)


def test_the_same_program_gives_the_same_object(modules: dict[str, ir.Module]) -> None:
    module = modules["realistic/bank_ledger.mochi"]
    a = run_in_big_stack(lambda: stitch_program(module, "x86_64").obj)
    b = run_in_big_stack(lambda: stitch_program(module, "x86_64").obj)
    assert {n: bytes(s.data) for n, s in a.sections.items()} == \
        {n: bytes(s.data) for n, s in b.sections.items()}
    assert a.relocations == b.relocations and a.symbols == b.symbols
