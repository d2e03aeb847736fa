"""The stencil generator: stencil sources in, one generated Python module per ISA out.

    python -m mochic.backends.copypatch.generate            # rewrite generated/*.py
    python -m mochic.backends.copypatch.generate --check    # fail if they are stale

Each source in `stencils/` is compiled by the pinned clang of the `ziglang`
package into a relocatable ELF object per ISA, read with the project's own
ELF reader (`mochic/objfile/elf.py`), and every function (one section each)
becomes a `model.Stencil`: its code, its holes (one per relocation) and the
constant data it refers to.  A trailing jump to the continuation is dropped so
that stencils fall through into each other.  The generated modules are
committed, so running the JIT needs no compiler; each is headed by a digest
of everything that went into it, and `--check` (run by the tests) rebuilds
and compares.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mochic.backends.copypatch.model import CODE, OPERANDS, Hole, Stencil
from mochic.backends.copypatch.patch import RELOCATIONS
from mochic.objfile.elf import SHF_ALLOC, SHN_UNDEF, ElfObject, Section, read_elf
from mochic.toolchain.compilers import ToolchainError, compile_many, find_compiler, zig_version

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "stencils"
GENERATED = HERE / "generated"
RUNTIME = HERE.parent.parent / "runtime"


@dataclass(frozen=True)
class Isa:
    name: str  # the module name: x86_64, aarch64
    triple: str
    flags: tuple[str, ...]


# Every flag with why.  Common to both ISAs:
COMMON = (
    "-O2",
    "-std=gnu11",  # statement expressions in jit.h
    "-fno-pic", "-fno-pie",  # absolute holes: the JIT patches values, not GOT entries
    "-fomit-frame-pointer",  # no frame-pointer push/pop in every stencil
    "-fno-asynchronous-unwind-tables", "-fno-unwind-tables",  # no .eh_frame to relocate
    "-fno-stack-protector",  # no canary reads of a thread-local the JIT cannot patch
    "-ffunction-sections",  # one section per stencil: its relocations are its holes
    "-fno-strict-aliasing",  # frame slots and heap slots are read through several types
    "-ffp-contract=off",  # no fused multiply-add: floats round as in every tier
    "-fno-math-errno",  # sqrt and friends inline; errno is never read
    "-fno-jump-tables",  # a jump table is data full of absolute code addresses
    "-Wall", "-Wextra", "-Werror",
)
ISAS = (
    # medium code model: small holes (declared with a size) are 32-bit
    # immediates and displacements, sizeless ones (K, K2) 64-bit immediates
    Isa("x86_64", "x86_64-linux-musl", ("-mcmodel=medium",)),
    # large code model: every hole is a movz/movk sequence, so any 64-bit
    # value fits without a GOT
    Isa("aarch64", "aarch64-linux-musl", ("-mcmodel=large",)),
)
MACHINES = {"x86_64": 62, "aarch64": 183}


class StencilError(RuntimeError):
    """A stencil uses something the JIT cannot patch."""


def _sources() -> list[Path]:
    return sorted(SOURCES.glob("*.c"))


def digest(isa: Isa) -> str:
    h = hashlib.sha256()
    h.update(f"zig {zig_version()}\0{isa.triple}\0{COMMON}\0{isa.flags}\0".encode())
    for p in sorted([*SOURCES.iterdir(), RUNTIME / "mochi.h"]):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def compile_objects(isa: Isa, work: Path) -> list[ElfObject]:
    """Every stencil source compiled for ``isa`` by the pinned clang, read back."""
    sources = _sources()
    flags = ["-target", isa.triple, *COMMON, *isa.flags, "-I", str(RUNTIME), "-I", str(SOURCES)]
    try:
        compile_many(find_compiler("zig"), flags, sources, work)
    except ToolchainError as e:
        raise StencilError(f"compiling the stencils for {isa.name}: {e}") from None
    return [read_elf((work / f"{src.stem}.o").read_bytes()) for src in sources]


def stencils_of(obj: ElfObject, isa: Isa) -> list[Stencil]:
    kinds = RELOCATIONS[obj.machine]
    out = []
    for sym in obj.symbols:
        if sym.type != 2 or sym.section == SHN_UNDEF:  # STT_FUNC defined here
            continue
        sec = obj.sections[sym.section]
        if sym.value != 0 or sym.size != sec.size:
            raise StencilError(f"{sym.name}: not alone in its section {sec.name}")
        out.append(_stencil(obj, sec, sym.name, kinds, isa))
    return out


def _stencil(obj: ElfObject, sec: Section, name: str,
             kinds: dict[int, tuple[str, object]], isa: Isa) -> Stencil:
    data = bytearray()
    placed: dict[int, int] = {}  # data section index -> offset in data
    align = 1
    holes = []
    for r in sec.relocations:
        if r.type not in kinds:
            raise StencilError(f"stencil {name}: relocation type {r.type} at {r.offset:#x} "
                               f"(against {r.symbol.name}) is not one the JIT can patch; "
                               f"add it to patch.RELOCATIONS or change the stencil")
        kind = kinds[r.type][0]
        s = r.symbol
        if s.section == SHN_UNDEF:
            if s.name.startswith("_JIT_"):
                value = s.name[5:]
                if value not in OPERANDS and value not in CODE:
                    raise StencilError(f"stencil {name}: unknown hole {s.name}")
            else:
                if kind not in ("R_X86_64_PLT32", "R_AARCH64_CALL26", "R_AARCH64_JUMP26"):
                    raise StencilError(f"stencil {name}: refers to {s.name} as data ({kind}); "
                                       f"pass its address through a hole (K)")
                value = "sym:" + s.name
            holes.append(Hole(r.offset, kind, value, r.addend))
            continue
        target = obj.sections[s.section]
        if target.is_code or not target.flags & SHF_ALLOC:
            raise StencilError(f"stencil {name}: refers to {s.name} in {target.name}; "
                               f"stencils may call only runtime functions and holes")
        if target.relocations:
            raise StencilError(f"stencil {name}: its data {target.name} has relocations")
        if target.index not in placed:
            align = max(align, target.align)
            data.extend(b"\0" * (-len(data) % target.align))
            placed[target.index] = len(data)
            data.extend(target.data)
        holes.append(Hole(r.offset, kind, "data", placed[target.index] + s.value + r.addend))
    holes.sort(key=lambda h: h.offset)
    code, holes = _fall_through(isa, bytearray(sec.data), holes)
    return Stencil(name, bytes(code), tuple(holes), bytes(data), align)


def _fall_through(isa: Isa, code: bytearray, holes: list[Hole]) -> tuple[bytearray, list[Hole]]:
    """Make the stencil end by falling into its continuation.

    x86_64: clang ends a two-way stencil with `jcc CONTINUE; jmp TARGET`
    whichever way it is hinted; that becomes `j!cc TARGET` (the condition's
    low bit inverted).  Then a final jump to the continuation is dropped."""
    if isa.name == "x86_64" and len(holes) >= 2 and len(code) >= 11:
        jcc, jmp = holes[-2], holes[-1]
        if jcc.value == "CONTINUE" and jcc.offset == len(code) - 9 and \
                code[-11] == 0x0F and 0x80 <= code[-10] <= 0x8F and \
                jmp.offset == len(code) - 4 and code[-5] == 0xE9 and jmp.value != "CONTINUE":
            code[-10] ^= 1
            holes = [*holes[:-2], Hole(jcc.offset, jmp.kind, jmp.value, jmp.addend)]
            return code[:-5], holes
    last = holes[-1] if holes else None
    if last is not None and last.value == "CONTINUE" and last.offset == len(code) - 4:
        if isa.name == "x86_64" and code[-5] == 0xE9:
            return code[:-5], holes[:-1]
        if isa.name == "aarch64" and last.kind == "R_AARCH64_JUMP26":
            return code[:-4], holes[:-1]
    return code, holes


def generate(isa: Isa) -> str:
    with tempfile.TemporaryDirectory(prefix="mochic-stencils-") as tmp:
        objects = compile_objects(isa, Path(tmp))
    stencils: dict[str, Stencil] = {}
    for obj in objects:
        if obj.machine != MACHINES[isa.name]:
            raise StencilError(f"{isa.name}: clang made an object for machine {obj.machine}")
        for st in stencils_of(obj, isa):
            if st.name in stencils:
                raise StencilError(f"stencil {st.name} is defined twice")
            stencils[st.name] = st
    return render(isa, stencils)


def render(isa: Isa, stencils: dict[str, Stencil]) -> str:
    out = [f'"""Stencils for {isa.name}, generated by mochic/backends/copypatch/generate.py',
           "from mochic/backends/copypatch/stencils/*.c.  Do not edit.",
           '"""',
           "# ruff: noqa: E501",
           "from mochic.backends.copypatch.model import Hole as H",
           "from mochic.backends.copypatch.model import Stencil as S",
           "",
           f'DIGEST = "{digest(isa)}"',
           f'MACHINE = "{isa.name}"',
           "STENCILS = {"]
    for name in sorted(stencils):
        st = stencils[name]
        holes = ", ".join(f'H({h.offset}, "{h.kind}", "{h.value}", {h.addend})' for h in st.holes)
        extra = f', bytes.fromhex("{st.data.hex()}"), {st.data_align}' if st.data else ""
        out.append(f'    "{name}": S("{name}", bytes.fromhex("{st.code.hex()}"), '
                   f"({holes}{',' if len(st.holes) == 1 else ''}){extra}),")
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mochic.backends.copypatch.generate",
                                 description="Regenerate the JIT's stencil modules.")
    ap.add_argument("--check", action="store_true",
                    help="fail if a generated module differs from a fresh build")
    args = ap.parse_args(argv)
    stale = []
    for isa in ISAS:
        try:
            text = generate(isa)
        except StencilError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        path = GENERATED / f"{isa.name}.py"
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
            print(f"wrote {path} ({text.count(chr(10))} lines)")
    if stale:
        print(f"error: stale generated stencils: {', '.join(stale)}; run "
              f"python -m mochic.backends.copypatch.generate", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
