"""The Wasm backend end to end: `mochic build --backend wasm` modules checked by
independent tools (`wasm-tools validate`, wasmtime's validator,
`llvm-dwarfdump --verify`), what they import and name, that linking runs no
external tool once the runtime is cached, reproducibility, deep recursion, and
the module's size against the C backend's wasm32-wasi build.  The conformance
corpus runs on the `wasm` and `cwasm` tiers (tests/tiers.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mochic.backends.wasm.leb128 import read_uleb
from tests import runners
from tests.tiers import BUILD_TIMEOUT, ROOT, TIMEOUT, mochic

HELLO = 'print("hello", 1 + 2, 2.5)\n'
PROGRAM = """fun square(x: int): int {
  return x * x
}
type Point {
  x: int
  y: int
  fun norm(): int { return x * x + y * y }
}
let p = Point { x: 3, y: 4 }
print(square(7), p.norm())
var xs = [1, 2, 3]
print(xs[5])
"""

pytestmark = pytest.mark.skipif(runners.missing("wasm32-wasi") is not None,
                                reason=str(runners.missing("wasm32-wasi")))


def build(tmp: Path, source: str, *flags: str, name: str = "prog") -> Path:
    src = tmp / f"{name}.mochi"
    src.write_text(source)
    out = tmp / f"{name}.wasm"
    res = mochic(["build", src.name, "--backend", "wasm", *flags, "-o", out.name], tmp,
                 timeout=BUILD_TIMEOUT)
    assert res.status == 0, res.stderr
    return out


def sections(data: bytes) -> list[tuple[int, str, bytes]]:
    """(id, custom name, payload) of each section."""
    out, pos = [], 8
    while pos < len(data):
        sid = data[pos]
        size, pos = read_uleb(data, pos + 1)
        payload = data[pos:pos + size]
        name = ""
        if sid == 0:
            n, start = read_uleb(payload, 0)
            name, payload = payload[start:start + n].decode(), payload[start + n:]
        out.append((sid, name, payload))
        pos += size
    return out


def imports(data: bytes) -> list[tuple[str, str]]:
    payload = next(p for sid, _, p in sections(data) if sid == 2)
    count, pos = read_uleb(payload, 0)
    out = []
    for _ in range(count):
        names = []
        for _ in range(2):
            n, pos = read_uleb(payload, pos)
            names.append(payload[pos:pos + n].decode())
            pos += n
        kind = payload[pos]
        pos += 1
        assert kind == 0, "only functions are imported"
        _, pos = read_uleb(payload, pos)
        out.append((names[0], names[1]))
    return out


def function_names(data: bytes) -> list[str]:
    payload = next(p for sid, name, p in sections(data) if name == "name")
    pos, names = 0, []
    while pos < len(payload):
        kind = payload[pos]
        size, pos = read_uleb(payload, pos + 1)
        if kind == 1:
            count, q = read_uleb(payload, pos)
            for _ in range(count):
                _, q = read_uleb(payload, q)
                n, q = read_uleb(payload, q)
                names.append(payload[q:q + n].decode())
                q += n
        pos += size
    return names


def test_module_validates_imports_only_wasi_and_names_mochi_functions(tmp_path: Path) -> None:
    import wasmtime
    module = build(tmp_path, PROGRAM, "--mode", "release")
    data = module.read_bytes()
    wasmtime.Module.validate(wasmtime.Engine(), data)
    if shutil.which("wasm-tools"):
        p = subprocess.run(["wasm-tools", "validate", str(module)], capture_output=True,
                           text=True)
        assert p.returncode == 0, p.stderr
    assert {m for m, _ in imports(data)} == {"wasi_snapshot_preview1"}
    names = function_names(data)
    assert {"main", "square", "Point.norm", "mochi_print"} <= set(names)
    assert runners.run_wasm(module, tmp_path, "", TIMEOUT) == (
        "49 25\n", "prog.mochi:12: runtime error: index 5 out of range for list of length 3\n",
        1)


@pytest.mark.skipif(shutil.which("llvm-dwarfdump") is None, reason="llvm-dwarfdump is absent")
def test_dev_build_has_a_line_table_in_mochi_lines(tmp_path: Path) -> None:
    module = build(tmp_path, PROGRAM, "--mode", "dev")
    p = subprocess.run(["llvm-dwarfdump", "--verify", str(module)], capture_output=True,
                       text=True)
    assert p.returncode == 0 and "No errors." in p.stdout, p.stdout + p.stderr
    lines = subprocess.run(["llvm-dwarfdump", "--debug-line", str(module)],
                           capture_output=True, text=True).stdout
    assert 'name: "prog.mochi"' in lines
    rows = {int(ln.split()[1]) for ln in lines.splitlines() if ln.startswith("0x")}
    assert {2, 7, 9, 10, 12} <= rows
    info = subprocess.run(["llvm-dwarfdump", "--debug-info", str(module)],
                          capture_output=True, text=True).stdout
    assert 'DW_AT_name\t("Point.norm")' in info
    release = build(tmp_path, PROGRAM, "--mode", "release", name="rel")
    assert not any(name.startswith(".debug") for _, name, _ in sections(release.read_bytes()))


def test_rebuilds_are_byte_identical(tmp_path: Path) -> None:
    a = build(tmp_path, PROGRAM, "--mode", "dev", name="a").read_bytes()
    b = build(tmp_path, PROGRAM, "--mode", "dev", name="b").read_bytes()
    assert a.replace(b"a.mochi", b"b.mochi") == b
    for d in ("c", "d"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "hello.mochi").write_text(HELLO)
        res = mochic(["build", "hello.mochi", "--backend", "wasm", "--emit", "cwasm"],
                     tmp_path / d, timeout=BUILD_TIMEOUT)
        assert res.status == 0, res.stderr
    assert (tmp_path / "c" / "hello.cwasm").read_bytes() == \
        (tmp_path / "d" / "hello.cwasm").read_bytes()
    from mochic.backends.wasm import engine  # Cranelift itself, not the cache
    assert engine._compile(a) == engine._compile(a)


SPY = """import subprocess, os
def _refuse(*a, **k):
    raise RuntimeError("a subprocess was started: " + repr(a[:1]))
subprocess.Popen.__init__ = _refuse
os.execv = os.execve = os.posix_spawn = _refuse
"""


def test_linking_runs_no_external_tool_once_the_runtime_is_cached(tmp_path: Path) -> None:
    build(tmp_path, HELLO, "--mode", "release", name="warm")  # the runtime objects, cached
    spy = tmp_path / "spy"
    spy.mkdir()
    (spy / "sitecustomize.py").write_text(SPY)
    (tmp_path / "prog.mochi").write_text(PROGRAM)
    for mode in ("dev", "release"):
        res = mochic(["build", "prog.mochi", "--backend", "wasm", "--mode", mode, "-o",
                      f"{mode}.wasm"], tmp_path,
                     env={"PYTHONPATH": f"{spy}:{ROOT}"}, timeout=BUILD_TIMEOUT)
        assert res.status == 0, res.stderr
        assert (tmp_path / f"{mode}.wasm").read_bytes()[:4] == b"\0asm"


def test_deep_recursion_runs_and_infinite_recursion_is_a_runtime_error(tmp_path: Path) -> None:
    from tests.test_targets import DEEP
    for mode in ("dev", "release"):
        module = build(tmp_path, DEEP, "--mode", mode, name=mode)
        assert runners.run_wasm(module, tmp_path, "", TIMEOUT) == (
            "150000\n", f"{mode}.mochi:7: runtime error: stack overflow\n", 1)
    src = tmp_path / "prog.mochi"
    src.write_text(DEEP)
    res = mochic(["run", "--tier", "wasm", "prog.mochi"], tmp_path)
    assert (res.stdout, res.stderr, res.status) == (
        "150000\n", "prog.mochi:7: runtime error: stack overflow\n", 1)


def test_hello_world_is_smaller_than_the_c_backends_wasm32_build(tmp_path: Path) -> None:
    ours = build(tmp_path, HELLO, "--mode", "release").stat().st_size
    res = mochic(["build", "prog.mochi", "--target", "wasm32-wasi", "--mode", "release",
                  "-o", "c.wasm"], tmp_path, timeout=BUILD_TIMEOUT)
    assert res.status == 0, res.stderr
    theirs = (tmp_path / "c.wasm").stat().st_size
    assert ours < theirs, f"{ours} bytes against the C backend's {theirs}"


def test_cli_defaults_and_errors(tmp_path: Path) -> None:
    (tmp_path / "prog.mochi").write_text(HELLO)
    res = mochic(["build", "prog.mochi", "--backend", "wasm"], tmp_path, timeout=BUILD_TIMEOUT)
    assert res.status == 0 and (tmp_path / "prog.wasm").exists(), res.stderr
    res = mochic(["build", "prog.mochi", "--backend", "wasm", "--target", "x86_64-linux"],
                 tmp_path)
    assert res.status == 1
    assert "does not build for x86_64-linux; it builds for: wasm32-wasi" in res.stderr
    res = mochic(["build", "prog.mochi", "--backend", "wasm", "--emit", "c"], tmp_path)
    assert res.status == 1 and "it emits: wasm, cwasm" in res.stderr


def test_examples_build_and_validate(tmp_path: Path) -> None:
    import wasmtime
    engine = wasmtime.Engine()
    for src in sorted((ROOT / "bench" / "kernels").glob("*.mochi")):
        out = tmp_path / f"{src.stem}.wasm"
        res = mochic(["build", src.name, "--backend", "wasm", "--mode", "release", "-o",
                      str(out)], src.parent, timeout=BUILD_TIMEOUT)
        assert res.status == 0, res.stderr
        wasmtime.Module.validate(engine, out.read_bytes())
        if shutil.which("wasm-tools"):
            p = subprocess.run(["wasm-tools", "validate", str(out)], capture_output=True,
                               text=True)
            assert p.returncode == 0, p.stderr
