"""The compile cache of `mochic run` (backends/copypatch/runcache.py): a second
run of an unchanged program loads the stitched program instead of compiling;
a changed program or compiler never finds an old entry; a damaged entry is
compiled again and rewritten, never loaded; `--no-cache` neither reads nor
writes it."""

from __future__ import annotations

import hashlib
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mochic import cli
from mochic.backends.copypatch import jit, runcache
from mochic.toolchain.cache import cache_dir
from mochic.toolchain.runtime import shared_library

pytestmark = pytest.mark.skipif(jit.host_machine() is None, reason="the JIT runs here only")

ROOT = Path(__file__).resolve().parents[2]
HIT = "from the compile cache"
PROGRAM = 'let xs = [1, 2, 3]\nprint(xs[1] + 40)\nprint("done")\n'


@pytest.fixture
def entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache's entries go to a folder of their own (the runtime library stays
    where it is built once)."""
    folder = tmp_path / "cache"
    monkeypatch.setattr(runcache, "cache_dir", lambda: folder)
    return folder / "run"


def _run(prog: Path, capfd: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str, str]:
    status = cli.main(["run", "--verbose", *flags, str(prog)])
    out, err = capfd.readouterr()
    return status, out, err


def _program(tmp_path: Path, text: str = PROGRAM) -> Path:
    prog = tmp_path / "p.mochi"
    prog.write_text(text)
    return prog


def test_a_second_run_comes_from_the_cache(tmp_path: Path, entries: Path,
                                           capfd: pytest.CaptureFixture[str]) -> None:
    prog = _program(tmp_path)
    first = _run(prog, capfd)
    assert first[:2] == (0, "42\ndone\n") and HIT not in first[2]
    assert len(list(entries.iterdir())) == 1
    second = _run(prog, capfd)
    assert second[:2] == (0, "42\ndone\n") and HIT in second[2]


def test_a_runtime_error_from_the_cache_names_the_program(tmp_path: Path) -> None:
    """In processes of their own (the error ends the process); their cache is a
    fresh one whose runtime library is the one already built."""
    shared_library()
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "jit").symlink_to(cache_dir() / "jit")
    prog = _program(tmp_path, "let xs = [1]\nprint(xs[5])\n")
    env = {**os.environ, "MOCHIC_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    for hit in (False, True):
        p = subprocess.run([sys.executable, "-m", "mochic", "run", "--verbose", str(prog)],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
        assert p.returncode == 1
        assert f"{prog}:2: runtime error" in p.stderr
        assert (HIT in p.stderr) == hit


def test_a_changed_program_is_compiled_again(tmp_path: Path, entries: Path,
                                            capfd: pytest.CaptureFixture[str]) -> None:
    prog = _program(tmp_path)
    _run(prog, capfd)
    prog.write_text(PROGRAM.replace("40", "50"))
    status, out, err = _run(prog, capfd)
    assert (status, out) == (0, "52\ndone\n") and HIT not in err
    assert len(list(entries.iterdir())) == 2


def test_the_key_covers_the_compiler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("x = 1\n")
    (package / "sub" / "b.stencils").write_bytes(b"\0")
    before = runcache.compiler_identity(package)
    assert runcache.compiler_identity(package) == before
    (package / "sub" / "b.stencils").write_bytes(b"\0\1")  # another size
    changed = runcache.compiler_identity(package)
    assert changed != before
    (package / "a.py").write_text("x = 2\n")  # same size, a later mtime
    st = (package / "a.py").stat()
    os.utime(package / "a.py", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert runcache.compiler_identity(package) != changed
    (package / "c.py").write_text("")
    assert runcache.compiler_identity(package) != changed
    identity = runcache.compiler_identity(package)
    monkeypatch.setattr(runcache, "__version__", "99.0")
    assert runcache.compiler_identity(package) != identity
    # and the key: program text, path, machine and compiler each change it
    k = runcache.key("p.mochi", "print(1)", "x86_64", "c1")
    assert len({k, runcache.key("p.mochi", "print(2)", "x86_64", "c1"),
                runcache.key("q.mochi", "print(1)", "x86_64", "c1"),
                runcache.key("p.mochi", "print(1)", "aarch64", "c1"),
                runcache.key("p.mochi", "print(1)", "x86_64", "c2")}) == 5


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage"])
def test_a_damaged_entry_is_compiled_again(tmp_path: Path, entries: Path, damage: str,
                                           capfd: pytest.CaptureFixture[str]) -> None:
    prog = _program(tmp_path)
    _run(prog, capfd)
    (entry,) = entries.iterdir()
    good = entry.read_bytes()
    bad = {"truncate": good[:len(good) // 2], "flip": good[:-1] + bytes([good[-1] ^ 1]),
           "empty": b"", "garbage": runcache.MAGIC + bytes(range(256))}[damage]
    entry.write_bytes(bad)
    assert runcache.load(entry.stem) is None
    status, out, err = _run(prog, capfd)
    assert (status, out) == (0, "42\ndone\n") and HIT not in err
    assert entry.read_bytes() == good  # rewritten
    assert HIT in _run(prog, capfd)[2]


def test_an_entry_whose_digest_holds_but_shape_does_not_is_refused(
        tmp_path: Path, entries: Path) -> None:
    payload = marshal.dumps(("x86_64", "p.mochi", 1, 0, "/nonexistent", (), (), ((1,),)))
    entries.mkdir(parents=True)
    (entries / "k.jit").write_bytes(runcache.MAGIC + hashlib.sha256(payload).digest() + payload)
    assert runcache.load("k") is None


def test_no_cache_neither_reads_nor_writes(tmp_path: Path, entries: Path,
                                           capfd: pytest.CaptureFixture[str]) -> None:
    prog = _program(tmp_path)
    assert _run(prog, capfd, "--no-cache")[:2] == (0, "42\ndone\n")
    assert not entries.exists()
    _run(prog, capfd)
    status, out, err = _run(prog, capfd, "--no-cache")
    assert (status, out) == (0, "42\ndone\n") and HIT not in err


def test_the_interpreter_tier_does_not_use_it(tmp_path: Path, entries: Path,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    prog = _program(tmp_path)
    _run(prog, capfd)
    status, out, err = _run(prog, capfd, "--tier", "interp")
    assert (status, out) == (0, "42\ndone\n") and HIT not in err
