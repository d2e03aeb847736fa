"""The stencil generator (mochic/backends/copypatch/generate.py) and the tables it wrote.

- the committed stencil files are what the generator makes from the
  sources now (CI's check that nobody forgot to regenerate);
- every stencil's holes are well formed, and no stencil ends with a jump to
  its continuation: stencils fall through into each other;
- what the patcher cannot fill is rejected with a message naming the stencil,
  checked on tiny stencils compiled with the generator's own command.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import capstone
import pytest

from mochic.backends.copypatch import generate, patch
from mochic.backends.copypatch.model import CODE, OPERANDS, Stencil
from mochic.backends.copypatch.stencilfile import MACHINES, StencilSet, load
from mochic.objfile.elf import ElfObject

ROOT = Path(__file__).resolve().parents[2]
SETS: dict[str, StencilSet] = {m: load(m) for m in MACHINES}
ISAS = {isa.name: isa for isa in generate.ISAS}
# the width of a hole's field in bytes: the 64-bit absolute kinds and RISC-V's
# auipc+jalr pairs, else 4 (rel32, disp32, imm32, every aarch64 instruction and
# every other RISC-V one)
WIDE = {"R_X86_64_64", "R_AARCH64_ABS64", "R_RISCV_CALL_PLT"}


def test_stencil_files_are_current() -> None:
    p = subprocess.run([sys.executable, "-m", "mochic.backends.copypatch.generate", "--check"],
                       cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 0, p.stderr


def test_every_isa_has_the_same_stencils() -> None:
    # the translator picks stencils by name without knowing the ISA, so a
    # program that translates on one translates on the others
    x86_64, aarch64, riscv64 = (SETS[m].stencils for m in ("x86_64", "aarch64", "riscv64"))
    assert x86_64.keys() == aarch64.keys() == riscv64.keys()
    assert "enter" in x86_64


@pytest.mark.parametrize("machine", SETS)
def test_holes_are_well_formed(machine: str) -> None:
    mod = SETS[machine]
    assert mod.machine == machine
    kinds = {name for name, _ in patch.RELOCATIONS[generate.MACHINES[machine]].values()}
    if machine == "riscv64":
        kinds |= set(patch.WIDE_KINDS.values())
    for name, st in mod.stencils.items():
        assert st.name == name
        end = 0
        for h in st.holes:
            where = f"{machine} stencil {name} hole {h}"
            assert h.kind in kinds, where
            assert h.offset >= end, f"{where} overlaps the hole before it or is unsorted"
            end = h.offset + (8 if h.kind in WIDE else 4)
            assert end <= len(st.code), f"{where} runs past the code"
            if machine == "aarch64":
                assert h.offset % 4 == 0, where
            if machine == "riscv64":
                assert h.offset % 2 == 0, where
            if h.value.startswith("sym:"):
                assert re.fullmatch(r"sym:[A-Za-z_]\w*", h.value), where
            else:
                assert h.value in OPERANDS or h.value in CODE or h.value == "data", where
        # constant data is copied only for stencils that refer to it
        assert bool(st.data) == any(h.value == "data" for h in st.holes), name


def _decoder(machine: str) -> capstone.Cs:
    if machine == "x86_64":
        return capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    if machine == "riscv64":
        return capstone.Cs(capstone.CS_ARCH_RISCV,
                           capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
    return capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)


@pytest.mark.parametrize("machine", SETS)
def test_stencils_fall_through(machine: str) -> None:
    """The generator dropped each trailing jump to the continuation: no stencil's
    last instruction is an unconditional jump with a CONTINUE hole in it."""
    md = _decoder(machine)
    jump = {"x86_64": "jmp", "aarch64": "b", "riscv64": "jr"}[machine]
    ends_with_continue = []
    for name, st in SETS[machine].stencils.items():
        insns = list(md.disasm(st.code, 0))
        # all of the code decodes: no data or cut instruction at its end
        assert sum(i.size for i in insns) == len(st.code), f"{machine} stencil {name}"
        last = insns[-1]
        # (on riscv64 a tail call is auipc + jr, the hole at the auipc)
        start = insns[-2].address if machine == "riscv64" and len(insns) > 1 else last.address
        if last.mnemonic == jump and any(
                h.value == "CONTINUE" and start <= h.offset < last.address + last.size
                for h in st.holes):
            ends_with_continue.append(name)
    assert ends_with_continue == []


# ---------------------------------------------------------------- rejected stencils


def _compile(isa: generate.Isa, source: str, work: Path, monkeypatch: pytest.MonkeyPatch
             ) -> ElfObject:
    """One stencil source compiled by the generator's own compile step: the same
    command and flags, with the stencil directory swapped for one holding only
    jit.h and ``source``."""
    sources = work / "stencils"
    sources.mkdir(exist_ok=True)
    shutil.copy(generate.SOURCES / "jit.h", sources)
    (sources / "t.c").write_text('#include "jit.h"\n' + source)
    monkeypatch.setattr(generate, "SOURCES", sources)
    (obj,) = generate.compile_objects(isa, work)
    return obj


def _stencil_error(isa: generate.Isa, source: str, work: Path,
                   monkeypatch: pytest.MonkeyPatch) -> str:
    obj = _compile(isa, source, work, monkeypatch)
    with pytest.raises(generate.StencilError) as e:
        generate.stencils_of(obj, isa)
    return str(e.value)


EXTERNAL_DATA = "extern long counter;\nSTENCIL(s) { I64(D) = counter; NEXT; }\n"
# position-independent code reaches external data through the GOT, which the
# JIT does not have: x86_64 R_X86_64_REX_GOTPCRELX (42) or GOTPCREL(X) (9, 41),
# aarch64 R_AARCH64_ADR_GOT_PAGE (311); aarch64 has no large PIC code model;
# riscv64 R_RISCV_GOT_HI20 (20)
PIC = {"x86_64": ("-fpic",), "aarch64": ("-mcmodel=small", "-fpic"),
       "riscv64": ("-mno-relax", "-fpic")}
GOT_KINDS = {"x86_64": {9, 41, 42}, "aarch64": {311}, "riscv64": {20}}


@pytest.mark.parametrize("machine", ISAS)
def test_a_good_stencil_compiles(machine: str, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # the control for the rejections below: the same helper, a stencil the JIT can patch
    isa = ISAS[machine]
    obj = _compile(isa, "STENCIL(s) { I64(D) = I64(A) + KS; NEXT; }\n", tmp_path, monkeypatch)
    (st,) = generate.stencils_of(obj, isa)
    assert isinstance(st, Stencil)
    assert st.name == "s"
    assert {h.value for h in st.holes} == {"D", "A", "KS"}  # the trailing NEXT is gone


@pytest.mark.parametrize("machine", ISAS)
def test_unknown_relocation_kind(machine: str, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    pic = generate.Isa(machine, ISAS[machine].triple, PIC[machine])
    obj = _compile(pic, EXTERNAL_DATA, tmp_path, monkeypatch)
    known = patch.RELOCATIONS[obj.machine]
    sec = obj.section(".text.s")
    assert sec is not None
    first = next(r for r in sec.relocations if r.type not in known)
    assert first.type in GOT_KINDS[machine]
    with pytest.raises(generate.StencilError) as e:
        generate.stencils_of(obj, pic)
    assert str(e.value).startswith(
        f"stencil s: relocation type {first.type} at {first.offset:#x} "
        f"(against {first.symbol.name}) is not one the JIT can patch")


@pytest.mark.parametrize("machine", ISAS)
def test_external_data_not_through_a_hole(machine: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    msg = _stencil_error(ISAS[machine], EXTERNAL_DATA, tmp_path, monkeypatch)
    assert re.match(r"stencil s: refers to counter as data \(R_(X86_64|AARCH64|RISCV)_\w+\)", msg)


@pytest.mark.parametrize("machine", ISAS)
def test_unknown_hole_name(machine: str, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    src = "extern char _JIT_Q[8];\nSTENCIL(s) { I64(D) = (intptr_t)_JIT_Q; NEXT; }\n"
    msg = _stencil_error(ISAS[machine], src, tmp_path, monkeypatch)
    assert msg == "stencil s: unknown hole _JIT_Q"


@pytest.mark.parametrize("machine", ISAS)
def test_call_to_code_in_the_object(machine: str, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # a helper the stencil calls would not be copied with it
    src = ("__attribute__((noinline)) static int64_t twice(int64_t x) { return 2 * x + 1; }\n"
           "STENCIL(s) { I64(D) = twice(I64(A)); NEXT; }\n")
    msg = _stencil_error(ISAS[machine], src, tmp_path, monkeypatch)
    assert msg.startswith("stencil s: refers to ")
    assert msg.endswith("stencils may call only runtime functions and holes")


@pytest.mark.parametrize("machine", ISAS)
def test_constant_data_with_relocations(machine: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # a table of pointers is data the JIT would copy without patching it
    src = ('static const char *const names[] = {"a", "b", "c"};\n'
           "STENCIL(s) { I64(D) = (intptr_t)names[I64(A)]; NEXT; }\n")
    msg = _stencil_error(ISAS[machine], src, tmp_path, monkeypatch)
    assert re.fullmatch(r"stencil s: its data \S+ has relocations", msg)


def test_generator_fails_with_the_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The command itself (what CI runs) exits 1 and says which stencil is wrong."""
    _compile(ISAS["x86_64"], EXTERNAL_DATA, tmp_path, monkeypatch)
    assert generate.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: stencil s: refers to counter as data"), err
