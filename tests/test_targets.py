"""`mochic build` for the targets no runner here can run, checked by reading the files.

The conformance corpus runs on the targets that have a runner (tests/tiers.py:
qemu-user, wine, wasmtime).  The others are read with small readers written
here, independently of the writers in mochic:

- macOS (x86_64, aarch64): a Mach-O 64 executable for the right CPU, with the
  load commands dyld needs to start it (LC_MAIN, LC_LOAD_DYLINKER,
  LC_LOAD_DYLIB of libSystem, the __PAGEZERO, __TEXT and __LINKEDIT
  segments) and an ad-hoc code signature whose page hashes match the file;
- aarch64 Windows: a PE32+ console executable for ARM64 with the 256 MiB
  stack the emitted code counts on (x86_64 Windows too, as wine does not
  check it);
- Linux with glibc (the corpus runs the static `--portable` builds under
  qemu): an ELF for the right machine asking for the right dynamic loader.

Each is built from two programs, in both modes.  Deep recursion, which
depends on each target's stack, runs on every target that has a runner.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

import pytest

from mochic import targets
from tests import runners
from tests.tiers import BUILD_TIMEOUT, ROOT, RUN_HERE, TIMEOUT, mochic

PROGRAMS = [ROOT / "tests" / "programs" / "realistic" / "tiny_interpreter.mochi"]
HELLO = 'print("hello", 1 + 2, 2.5, [1, 2], true)\n'


def build(tmp_path: Path, target: str, mode: str, *flags: str) -> list[bytes]:
    """The executables of hello world and PROGRAMS for ``target``."""
    hello = tmp_path / "hello.mochi"
    hello.write_text(HELLO)
    out = []
    for src in [hello, *PROGRAMS]:
        exe = tmp_path / f"{src.stem}-{target}-{mode}"
        res = mochic(["build", src.name, "--target", target, "--mode", mode, *flags,
                      "-o", str(exe)], src.parent, timeout=BUILD_TIMEOUT)
        assert res.status == 0, res.stderr
        out.append(exe.read_bytes())
    return out


# ---------------------------------------------------------------- Mach-O

LC_SEGMENT_64 = 0x19
LC_LOAD_DYLIB = 0xC
LC_LOAD_DYLINKER = 0xE
LC_CODE_SIGNATURE = 0x1D
LC_MAIN = 0x80000028
CPU_TYPE = {"x86_64-macos": 0x01000007, "aarch64-macos": 0x0100000C}  # CPU_ARCH_ABI64 | x86, arm


@dataclass
class LoadCommand:
    cmd: int
    body: bytes  # the whole command, cmd and cmdsize included

    def string_at(self, field: int) -> str:
        """A load command string: an offset at ``field``, the text at that offset."""
        (offset,) = struct.unpack_from("<I", self.body, field)
        return self.body[offset:].split(b"\0")[0].decode()


def load_commands(data: bytes) -> list[LoadCommand]:
    ncmds, sizeofcmds = struct.unpack_from("<II", data, 16)
    out, off = [], 32
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", data, off)
        out.append(LoadCommand(cmd, data[off:off + size]))
        off += size
    assert off == 32 + sizeofcmds
    return out


def segments(commands: list[LoadCommand]) -> dict[str, tuple[int, int, int, int]]:
    """name -> (vmaddr, vmsize, fileoff, filesize)"""
    return {c.body[8:24].rstrip(b"\0").decode(): struct.unpack_from("<QQQQ", c.body, 24)
            for c in commands if c.cmd == LC_SEGMENT_64}


def check_signature(data: bytes, dataoff: int, datasize: int) -> None:
    """An embedded signature holding an ad-hoc SHA-256 CodeDirectory of the whole file
    before it, every page hash right."""
    magic, length, count = struct.unpack_from(">III", data, dataoff)
    assert magic == 0xFADE0CC0  # CSMAGIC_EMBEDDED_SIGNATURE
    assert 12 + 8 * count <= length <= datasize and dataoff + datasize <= len(data)
    blobs = dict(struct.unpack_from(">II", data, dataoff + 12 + 8 * i) for i in range(count))
    cd = dataoff + blobs[0]  # CSSLOT_CODEDIRECTORY
    (cd_magic, _, version, flags, hash_offset, ident_offset, _, n_code, code_limit, hash_size,
     hash_type, _, page_log2) = struct.unpack_from(">IIIIIIIIIBBBB", data, cd)
    assert cd_magic == 0xFADE0C02  # CSMAGIC_CODEDIRECTORY
    assert version >= 0x20000 and flags & 0x2  # CS_ADHOC
    assert hash_type == 2 and hash_size == 32  # SHA-256
    assert data[cd + ident_offset:].split(b"\0")[0]  # an identifier
    assert code_limit == dataoff  # everything before the signature is covered
    page = 1 << page_log2
    assert n_code == (code_limit + page - 1) // page
    for i in range(n_code):
        want = hashlib.sha256(data[i * page:min((i + 1) * page, code_limit)]).digest()
        got = data[cd + hash_offset + 32 * i:cd + hash_offset + 32 * (i + 1)]
        assert got == want, f"page {i}"


def check_macho(data: bytes, target: str) -> None:
    magic, cputype, _, filetype, _, _, flags = struct.unpack_from("<IiiIIII", data)
    assert magic == 0xFEEDFACF  # MH_MAGIC_64
    assert cputype == CPU_TYPE[target]
    assert filetype == 2  # MH_EXECUTE
    assert flags & 0x200000  # MH_PIE
    commands = load_commands(data)
    by_cmd: dict[int, list[LoadCommand]] = {}
    for c in commands:
        by_cmd.setdefault(c.cmd, []).append(c)
    segs = segments(commands)
    assert {"__PAGEZERO", "__TEXT", "__LINKEDIT"} <= set(segs)
    _, _, text_off, text_size = segs["__TEXT"]
    (entry,) = struct.unpack_from("<Q", by_cmd[LC_MAIN][0].body, 8)
    assert text_off <= entry < text_off + text_size  # the entry point is code
    assert by_cmd[LC_LOAD_DYLINKER][0].string_at(8) == "/usr/lib/dyld"
    assert "/usr/lib/libSystem.B.dylib" in [c.string_at(8) for c in by_cmd[LC_LOAD_DYLIB]]
    (signature,) = by_cmd[LC_CODE_SIGNATURE]
    dataoff, datasize = struct.unpack_from("<II", signature.body, 8)
    _, _, link_off, link_size = segs["__LINKEDIT"]
    assert link_off <= dataoff and dataoff + datasize <= link_off + link_size == len(data)
    check_signature(data, dataoff, datasize)


@pytest.mark.parametrize("mode", ["dev", "release"])
@pytest.mark.parametrize("target", ["x86_64-macos", "aarch64-macos"])
def test_macos_executables_are_signed_macho(tmp_path: Path, target: str, mode: str) -> None:
    for data in build(tmp_path, target, mode):
        check_macho(data, target)


# ---------------------------------------------------------------- PE/COFF

PE_MACHINE = {"x86_64-windows": 0x8664, "aarch64-windows": 0xAA64}


@pytest.mark.parametrize("mode", ["dev", "release"])
@pytest.mark.parametrize("target", ["x86_64-windows", "aarch64-windows"])
def test_windows_executables_are_pe32plus(tmp_path: Path, target: str, mode: str) -> None:
    for data in build(tmp_path, target, mode):
        assert data[:2] == b"MZ"
        (pe,) = struct.unpack_from("<I", data, 0x3C)
        assert data[pe:pe + 4] == b"PE\0\0"
        machine, _, _, _, _, optional_size, characteristics = struct.unpack_from(
            "<HHIIIHH", data, pe + 4)
        assert machine == PE_MACHINE[target]
        assert characteristics & 0x2  # IMAGE_FILE_EXECUTABLE_IMAGE
        opt = pe + 24
        assert optional_size >= 112 and struct.unpack_from("<H", data, opt)[0] == 0x20B  # PE32+
        (subsystem,) = struct.unpack_from("<H", data, opt + 68)
        (stack_reserve,) = struct.unpack_from("<Q", data, opt + 72)
        assert subsystem == 3  # IMAGE_SUBSYSTEM_WINDOWS_CUI: a console program
        assert stack_reserve == 256 << 20


# ---------------------------------------------------------------- ELF with glibc

ELF = {"aarch64-linux": (183, "/lib/ld-linux-aarch64.so.1"),
       "riscv64-linux": (243, "/lib/ld-linux-riscv64-lp64d.so.1")}


def elf_interpreter(data: bytes) -> str | None:
    (phoff,) = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", data,
                                                                 phoff + i * phentsize)
        if p_type == 3:  # PT_INTERP
            return data[p_offset:p_offset + p_filesz].rstrip(b"\0").decode()
    return None


@pytest.mark.parametrize("target", ["aarch64-linux", "riscv64-linux"])
def test_linux_glibc_executables_ask_for_the_targets_loader(tmp_path: Path,
                                                            target: str) -> None:
    machine, loader = ELF[target]
    for data in build(tmp_path, target, "release"):
        assert data[:6] == b"\x7fELF\x02\x01"  # 64-bit, little-endian
        assert struct.unpack_from("<H", data, 18)[0] == machine
        assert elf_interpreter(data) == loader
    for data in build(tmp_path, target, "release", "--portable"):
        assert elf_interpreter(data) is None  # static: what qemu runs in the corpus


# ---------------------------------------------------------------- each target's stack

DEEP = """\
fun depth(n: int): int {
  if n == 0 { return 0 }
  return 1 + depth(n - 1)
}
print(depth(150000))
fun f(n: int): int {
  return f(n + 1) + 1
}
print(f(0))
"""


@pytest.mark.parametrize("target", RUN_HERE)
def test_deep_recursion_runs_and_infinite_recursion_is_a_runtime_error(
        tmp_path: Path, target: str) -> None:
    """As deep as the interpreter allows, on the stack each target gets (a 1 GiB thread
    on Linux, a 256 MiB main stack on Windows, 64 MiB of linear memory on WASI), and
    deeper is the runtime error, not a crash.  A dev build: an optimised one may turn
    the infinite recursion into a loop."""
    why = runners.missing(target)
    if why is not None:
        pytest.skip(why)
    runner, flags = RUN_HERE[target]
    src = tmp_path / "prog.mochi"
    src.write_text(DEEP)
    exe = tmp_path / f"prog{targets.get(target).suffix}"
    res = mochic(["build", src.name, "--target", target, "--mode", "dev", *flags, "-o", str(exe)],
                 tmp_path, timeout=BUILD_TIMEOUT)
    assert res.status == 0, res.stderr
    assert runner(exe, tmp_path, "", TIMEOUT) == (
        "150000\n", "prog.mochi:7: runtime error: stack overflow\n", 1)
