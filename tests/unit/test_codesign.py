"""The ad-hoc Mach-O signer (mochic/objfile/codesign.py) against zig's linker, which
signs arm64 executables itself: strip zig's signature and sign again, and the bytes
must come back the same.  (tests/test_targets.py checks the signatures of both macOS
targets' executables with its own reader.)"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from mochic.objfile import codesign
from tests.tiers import BUILD_TIMEOUT, mochic


def _zig_signed(tmp_path: Path, mode: str) -> bytes:
    (tmp_path / "prog.mochi").write_text('print("signed", [1.5], {"k": 2})\n')
    res = mochic(["build", "prog.mochi", "--target", "aarch64-macos", "--mode", mode,
                  "-o", "prog"], tmp_path, timeout=BUILD_TIMEOUT)
    assert res.status == 0, res.stderr
    return (tmp_path / "prog").read_bytes()


def _strip(signed: bytes) -> bytes:
    """The executable as zig's linker had it before signing: no LC_CODE_SIGNATURE (the
    last load command), __LINKEDIT and the file ending where the signature began."""
    data = bytearray(signed)
    ncmds, sizeofcmds = struct.unpack_from("<II", data, 16)
    last = 32 + sizeofcmds - 16
    cmd, _, dataoff, _ = struct.unpack_from("<IIII", data, last)
    assert cmd == codesign.LC_CODE_SIGNATURE
    data[last:last + 16] = bytes(16)
    struct.pack_into("<II", data, 16, ncmds - 1, sizeofcmds - 16)
    off = 32
    for _ in range(ncmds - 1):
        cmd, size = struct.unpack_from("<II", data, off)
        if cmd == codesign.LC_SEGMENT_64 and data[off + 8:off + 24].rstrip(b"\0") == b"__LINKEDIT":
            (fileoff,) = struct.unpack_from("<Q", data, off + 40)
            struct.pack_into("<Q", data, off + 48, dataoff - fileoff)
        off += size
    return bytes(data[:dataoff])


@pytest.mark.parametrize("mode", ["dev", "release"])
def test_signing_again_gives_zigs_arm64_signature(tmp_path: Path, mode: str) -> None:
    signed = _zig_signed(tmp_path, mode)
    assert codesign.is_signed(signed)
    unsigned = _strip(signed)
    assert not codesign.is_signed(unsigned)
    assert codesign.sign_adhoc(unsigned, "prog", page_size=16384) == signed


def test_what_cannot_be_signed(tmp_path: Path) -> None:
    signed = _zig_signed(tmp_path, "release")
    with pytest.raises(codesign.CodesignError, match="already signed"):
        codesign.sign_adhoc(signed, "prog")
    with pytest.raises(codesign.CodesignError, match="not a 64-bit little-endian Mach-O"):
        codesign.sign_adhoc(b"\x7fELF" + bytes(60), "prog")
    unsigned = _strip(signed)
    with pytest.raises(codesign.CodesignError, match="does not end the file"):
        codesign.sign_adhoc(unsigned + b"junk", "prog")
    # load commands said to reach the first section: no room for one more
    full = bytearray(unsigned)
    (sizeofcmds,) = struct.unpack_from("<I", full, 20)
    struct.pack_into("<I", full, 20, sizeofcmds + 0x10000)
    with pytest.raises(codesign.CodesignError, match="no room"):
        codesign.sign_adhoc(bytes(full), "prog")
