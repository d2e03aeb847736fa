"""The stencil generator: stencil sources in, one stencil file per ISA out.

    python -m mochic.backends.copypatch.generate            # rewrite generated/*.stencils
    python -m mochic.backends.copypatch.generate --check    # fail if they are stale

Each source in `stencils/` is compiled by the pinned clang of the `ziglang`
package into a relocatable ELF object per ISA, read with the project's own
ELF reader (`mochic/objfile/elf.py`), and every function (one section each)
becomes a `model.Stencil`: its code, its holes (one per relocation) and the
constant data it refers to.  A trailing jump to the continuation is dropped so
that stencils fall through into each other.  The stencil files
(`stencilfile.py`: data, read with one read) are committed, so running the
JIT needs no compiler; each is headed by a digest of everything that went
into it, and `--check` (run by the tests) rebuilds and compares.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mochic.backends.copypatch.model import CODE, OPERANDS, Hole, Stencil
from mochic.backends.copypatch.patch import RELOCATIONS, WIDE_KINDS
from mochic.backends.copypatch.stencilfile import encode
from mochic.backends.copypatch.stencilfile import path as stencil_path
from mochic.objfile.cfi import FRAMES, CfiError, Row, read_eh_frame
from mochic.objfile.elf import SHF_ALLOC, SHN_UNDEF, ElfObject, Section, read_elf
from mochic.objfile.fields import WRITERS as FIELD_WRITERS
from mochic.toolchain.compilers import ToolchainError, compile_many, find_compiler, zig_version

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "stencils"
RUNTIME = HERE.parent.parent / "runtime"


@dataclass(frozen=True)
class Isa:
    name: str  # the stencil file's name: x86_64, aarch64, riscv64
    triple: str
    flags: tuple[str, ...]


# Every flag with why.  Common to both ISAs:
COMMON = (
    "-O2",
    "-std=gnu11",  # statement expressions in jit.h
    "-fno-pic", "-fno-pie",  # absolute holes: the JIT patches values, not GOT entries
    "-fomit-frame-pointer",  # no frame-pointer push/pop in every stencil
    # unwind tables: each stencil's call frame information, which the native
    # backend's debug frames are made of (the code is the same; the JIT copies none)
    "-fasynchronous-unwind-tables",
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
    # RV64GC (zig's baseline_rv64) with the double-float ABI, what riscv64 Linux
    # runs; medany: the code's own references pc-relative (the holes are absolute
    # by jit.h's assembly); no relaxation, so R_RISCV_RELAX and R_RISCV_ALIGN never
    # appear and code offsets are final
    Isa("riscv64", "riscv64-linux-musl",
        ("-mcpu=baseline_rv64", "-mabi=lp64d", "-mcmodel=medany", "-mno-relax")),
)
MACHINES = {"x86_64": 62, "aarch64": 183, "riscv64": 243}
CALLS = ("R_X86_64_PLT32", "R_AARCH64_CALL26", "R_AARCH64_JUMP26", "R_RISCV_CALL_PLT")


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
    frames = _frames(obj, isa)
    out = []
    for sym in obj.symbols:
        if sym.type != 2 or sym.section == SHN_UNDEF:  # STT_FUNC defined here
            continue
        sec = obj.sections[sym.section]
        if sym.value != 0 or sym.size != sec.size:
            raise StencilError(f"{sym.name}: not alone in its section {sec.name}")
        st = _stencil(obj, sec, sym.name, kinds, isa)
        if sec.name not in frames:
            raise StencilError(f"stencil {st.name}: no call frame information")
        rows = [r for r in frames[sec.name] if r.offset < len(st.code)]
        if rows and rows[0].state() == FRAMES[isa.name].initial.state():
            rows = rows[1:]
        out.append(st._replace(cfi=tuple(rows)))
    return out


def _frames(obj: ElfObject, isa: Isa) -> dict[str, list[Row]]:
    """Each function section's call frame rows, from the object's `.eh_frame`."""
    eh = obj.section(".eh_frame")
    if eh is None:
        return {}
    # each FDE's start is relocated against its function's section (or a label at its
    # start, on RISC-V)
    targets = {r.offset: obj.sections[r.symbol.section].name for r in eh.relocations
               if 0 < r.symbol.section < len(obj.sections)}
    try:
        frames = read_eh_frame(eh.data, targets)
    except CfiError as e:
        raise StencilError(f"{isa.name}: the stencils' unwind tables: {e}") from None
    frame = FRAMES[isa.name]
    for name, (cie, _) in frames.items():
        if (cie.initial.state(), cie.ra) != (frame.initial.state(), frame.ra):
            raise StencilError(f"{name}: its call frames start from {cie.initial}, not "
                               f"from the {isa.name} convention {frame.initial}")
    return {name: rows for name, (_, rows) in frames.items()}


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
                high = value.endswith("_HI")
                if high:
                    value = value[:-3]
                if value not in OPERANDS and value not in CODE:
                    raise StencilError(f"stencil {name}: unknown hole {s.name}")
                if isa.name == "riscv64" and value in ("K", "K2"):
                    if (kind, high) not in WIDE_KINDS:
                        raise StencilError(f"stencil {name}: {kind} on {s.name}, not a "
                                           f"lui/addiw half of a 64-bit constant")
                    kind = WIDE_KINDS[(kind, high)]
            else:
                if kind not in CALLS:
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
    if isa.name == "riscv64":
        return _fall_through_riscv64(code, holes)
    last = holes[-1] if holes else None
    if last is not None and last.value == "CONTINUE" and last.offset == len(code) - 4:
        if isa.name == "x86_64" and code[-5] == 0xE9:
            return code[:-5], holes[:-1]
        if isa.name == "aarch64" and last.kind == "R_AARCH64_JUMP26":
            return code[:-4], holes[:-1]
    return code, holes


TAIL = 8  # auipc t1 + jr t1: a tail call to a hole (R_RISCV_CALL_PLT)


def _fall_through_riscv64(code: bytearray,
                          holes: list[Hole]) -> tuple[bytearray, list[Hole]]:
    """riscv64: clang ends a two-way stencil with `b<cc> L; tail CONTINUE; L: tail
    TARGET`; that becomes `b<!cc> END; tail TARGET` (the condition's low funct3
    bit inverted, the branch retargeted past the tail).  Then a final tail call of
    the continuation is dropped."""
    n = len(code)
    if len(holes) >= 2:
        cont, target = holes[-2], holes[-1]
        if cont.value == "CONTINUE" and cont.offset == n - 2 * TAIL and \
                target.offset == n - TAIL and target.value != "CONTINUE" and \
                cont.kind == target.kind == "R_RISCV_CALL_PLT":
            branch = _branch_to(code, n - 2 * TAIL, n - TAIL)
            if branch is not None and not _jumps_into(code, {n - 2 * TAIL, n - TAIL},
                                                      branch[0]):
                at, width = branch
                out = code[:n - 2 * TAIL] + code[n - TAIL:]
                if width == 4:
                    out[at + 1] ^= 0x10  # funct3 bit 0 is bit 12 of the word
                    FIELD_WRITERS["R_RISCV_BRANCH"](out, at, n - TAIL, at)
                else:
                    out[at + 1] ^= 0x20  # c.beqz <-> c.bnez: bit 13
                    FIELD_WRITERS["R_RISCV_RVC_BRANCH"](out, at, n - TAIL, at)
                return out, [*holes[:-2], target._replace(offset=n - 2 * TAIL)]
    last = holes[-1] if holes else None
    if last is not None and last.value == "CONTINUE" and last.offset == n - TAIL and \
            last.kind == "R_RISCV_CALL_PLT":
        return code[:-TAIL], holes[:-1]
    return code, holes


def _jumps_into(code: bytearray, targets: set[int], but: int) -> bool:
    """Does a direct branch or jump other than the one at ``but`` go to ``targets``?"""
    import capstone
    md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
    md.detail = True
    for i in md.disasm(bytes(code), 0):
        if i.address == but or not i.operands:
            continue
        op = i.operands[-1]
        jumps = i.mnemonic.startswith(("b", "c.b", "j", "c.j"))
        if jumps and op.type == capstone.riscv.RISCV_OP_IMM and i.address + op.imm in targets:
            return True
    return False


def _branch_to(code: bytearray, end: int, target: int) -> tuple[int, int] | None:
    """The conditional branch that ends at ``end`` and jumps to ``target``, as
    (offset, width), or None."""
    if end >= 4:
        w = int.from_bytes(code[end - 4:end], "little")
        if w & 0x7F == 0x63:  # B-type
            imm = ((w >> 31) & 1) << 12 | ((w >> 7) & 1) << 11 | ((w >> 25) & 0x3F) << 5 \
                | ((w >> 8) & 0xF) << 1
            imm -= (imm & 0x1000) << 1
            if end - 4 + imm == target:
                return end - 4, 4
    if end >= 2:
        h = int.from_bytes(code[end - 2:end], "little")
        if h & 0x3 == 0x1 and (h >> 13) in (6, 7):  # c.beqz, c.bnez
            imm = ((h >> 12) & 1) << 8 | ((h >> 5) & 3) << 6 | ((h >> 2) & 1) << 5 \
                | ((h >> 10) & 3) << 3 | ((h >> 3) & 3) << 1
            imm -= (imm & 0x100) << 1
            if end - 2 + imm == target:
                return end - 2, 2
    return None


def generate(isa: Isa) -> bytes:
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
    return encode(isa.name, digest(isa), stencils)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mochic.backends.copypatch.generate",
                                 description="Regenerate the JIT's stencil files.")
    ap.add_argument("--check", action="store_true",
                    help="fail if a stencil file differs from a fresh build")
    args = ap.parse_args(argv)
    stale = []
    for isa in ISAS:
        try:
            data = generate(isa)
        except StencilError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        path = stencil_path(isa.name)
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(path.name)
        else:
            path.write_bytes(data)
            print(f"wrote {path} ({len(data)} bytes)")
    if stale:
        print(f"error: stale generated stencils: {', '.join(stale)}; run "
              f"python -m mochic.backends.copypatch.generate", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
