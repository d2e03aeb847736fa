"""The toolchain driver: C compilers, the cached runtime library, cached builds.

The default compiler and linker is the `ziglang` package (`python -m ziglang
cc`): a clang with every target's C library and LLD inside, so `pip install`
alone can build for all eight targets from any host.  `--cc` picks another
(`cc`, `gcc`, `clang`, `tcc`), which builds for the host only.

Everything lives in one user cache directory, `$MOCHIC_CACHE` or
`~/.cache/mochic` (`$XDG_CACHE_HOME/mochic`):

    zig/            zig's own caches (ZIG_GLOBAL_CACHE_DIR, ZIG_LOCAL_CACHE_DIR):
                    each target's libc, compiled on its first use ($MOCHIC_ZIG_CACHE
                    moves them)
    runtime/KEY/    libmochi.a, the runtime library for one (target, mode,
                    portable, compiler, flags, runtime sources) combination
    builds/KEY/     a finished executable, keyed by the hash of its C source,
                    flags and runtime: a second build of a program is a copy
    tmp/            work directories, renamed into place when complete, so
                    concurrent builds (parallel tests) never see half a file

Builds are reproducible: the same program, target and mode give the same
bytes.  Compilation runs inside a fresh work directory on relative file names,
`-ffile-prefix-map` rewrites that directory and the runtime's to fixed names,
and no timestamp or build id is embedded.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mochic.objfile import codesign
from mochic.targets import Target, host_name

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
COMPILERS = ("zig", "cc", "gcc", "clang", "tcc")

# Install hints, shown by `mochic doctor` and in errors about a missing tool.
HINTS = {
    "zig": "pip install ziglang==0.17.0 (a dependency of mochic)",
    "cc": "apt-get install build-essential (or any C compiler as cc)",
    "gcc": "apt-get install gcc",
    "clang": "apt-get install clang",
    "tcc": "apt-get install tcc",
    "qemu-aarch64": "apt-get install qemu-user",
    "qemu-riscv64": "apt-get install qemu-user",
    "wine": "apt-get install wine wine64",
    "wasmtime": "pip install wasmtime",
    "gdb": "apt-get install gdb",
}

Log = Callable[[str], None]


class ToolchainError(RuntimeError):
    """A compiler is missing, cannot build for the target, or failed."""


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cache_dir() -> Path:
    env = os.environ.get("MOCHIC_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mochic"


# ---------------------------------------------------------------- compilers

@dataclass(frozen=True)
class Compiler:
    name: str  # as given to --cc
    cc: tuple[str, ...]  # the command that compiles and links
    ar: tuple[str, ...] | None  # the command that makes an archive, if any
    identity: str  # the compiler's version text, part of every cache key

    @property
    def is_zig(self) -> bool:
        return self.name == "zig"

    @property
    def gnu_flags(self) -> bool:
        """Does it take gcc's flags (-ffile-prefix-map, -ffunction-sections ...)?"""
        return self.name != "tcc"


def zig_version() -> str | None:
    try:
        from importlib.metadata import version
        return version("ziglang")
    except Exception:
        return None


def find_compiler(name: str) -> Compiler:
    """The compiler called ``name``, or a ToolchainError that says how to install it."""
    if name not in COMPILERS:
        raise ToolchainError(f"unknown compiler '{name}'; valid compilers are: "
                             f"{', '.join(COMPILERS)}")
    if name == "zig":
        v = zig_version()
        if v is None:
            raise ToolchainError(f"the ziglang package is not installed: {HINTS['zig']}")
        zig = (sys.executable, "-m", "ziglang")
        return Compiler("zig", (*zig, "cc"), (*zig, "ar"), f"zig {v}")
    path = shutil.which(name)
    if path is None:
        raise ToolchainError(f"compiler '{name}' not found: {HINTS[name]}")
    if name == "tcc":
        ar: tuple[str, ...] | None = (path, "-ar")
        probe = [path, "-v"]
    else:
        found = shutil.which("ar")
        ar = (found,) if found else None
        probe = [path, "--version"]
    try:
        text = subprocess.run(probe, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise ToolchainError(f"compiler '{name}' does not run: {e}") from None
    first = text.strip().splitlines()[0] if text.strip() else name
    return Compiler(name, (path,), ar, first)


# ---------------------------------------------------------------- options and flags

@dataclass(frozen=True)
class Options:
    target: Target
    mode: str  # dev | release
    portable: bool
    compiler: Compiler

    @property
    def triple(self) -> str:
        return self.target.zig_triple(self.portable)


def check_target(opts: Options) -> None:
    """Compilers other than zig build for the host only."""
    if not opts.compiler.is_zig and opts.target.name != host_name():
        raise ToolchainError(f"--cc {opts.compiler.name} builds only for the host "
                             f"({host_name() or 'unknown'}); use --cc zig to build for "
                             f"{opts.target.name}")


_TRANSCENDENTAL = ("sin", "cos", "tan", "asin", "acos", "atan", "atan2", "exp", "log", "log2",
                   "log10", "sinh", "cosh", "tanh", "pow", "hypot")


def compile_flags(opts: Options) -> list[str]:
    """Flags for compiling one C file (the program or a runtime source), each with its why."""
    c = opts.compiler
    flags = ["-std=c11"]
    if c.is_zig:
        flags += ["-target", opts.triple]
    if opts.mode == "dev":
        flags += ["-O0", "-g"]  # debug info whose lines are the #line'd Mochi lines
    else:
        flags += ["-O2"]
    if c.gnu_flags:
        flags += [
            "-fno-strict-aliasing",  # heap objects are read through several struct types
            "-ffp-contract=off",  # no fused multiply-add: floats round as in every tier
            "-fno-math-errno",  # libm calls may be inlined; errno is never read
            "-ffunction-sections", "-fdata-sections",  # let the linker drop unused code
        ]
        # The compiler would evaluate these on constants with its own libm (or MPFR),
        # which may differ from the target's libm in the last bit: leave them to run time.
        # (sqrt, fabs, floor, ceil, trunc are exact and stay inline.)
        flags += [f"-fno-builtin-{f}" for f in _TRANSCENDENTAL]
        if opts.portable and opts.target.os == "linux":
            flags += ["-fPIE"]  # linked as a static PIE
    if c.is_zig:
        flags += ["-fno-sanitize=undefined"]  # zig cc turns UBSan traps on at -O0
    flags += ["-I", str(RUNTIME_DIR)]
    return flags


def link_flags(opts: Options) -> list[str]:
    c, t = opts.compiler, opts.target
    flags: list[str] = []
    if opts.mode == "release":
        flags += ["-s"]  # stripped
    if t.os == "linux":
        if c.gnu_flags:
            flags += ["-Wl,--gc-sections"]
        if opts.portable:
            flags += ["-static", "-pie"] if c.is_zig else ["-static"]  # a static PIE
        if c.is_zig and not opts.portable:
            flags += ["-Wl,--build-id=none"]
    elif t.os == "macos":
        flags += ["-Wl,-dead_strip"]
    elif t.os == "windows":
        flags += ["-Wl,--stack,268435456"]  # 256 MiB: emit.STACK_PRELUDE counts on it
    elif t.os == "wasi":
        flags += ["-Wl,-z,stack-size=67108864"]  # 64 MiB: emit.STACK_PRELUDE counts on it
    if t.os in ("linux", "macos"):
        flags += ["-pthread"]  # the program runs on a thread with a big stack
    if not c.is_zig or t.os == "linux":
        flags += ["-lm"]
    return flags


def zig_cache_dir() -> Path:
    """zig's caches: under the mochic cache, unless $MOCHIC_ZIG_CACHE puts them elsewhere
    (the tests give each build a fresh mochic cache but share one zig cache)."""
    env = os.environ.get("MOCHIC_ZIG_CACHE")
    return Path(env) if env else cache_dir() / "zig"


def zig_env() -> dict[str, str]:
    """The environment for zig: its caches shared by every build on this machine."""
    z = str(zig_cache_dir())
    return {**os.environ, "ZIG_GLOBAL_CACHE_DIR": z, "ZIG_LOCAL_CACHE_DIR": z}


def _run(cmd: list[str], cwd: Path, opts: Options) -> None:
    env = zig_env() if opts.compiler.is_zig else None
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    except OSError as e:
        raise ToolchainError(f"cannot run {cmd[0]}: {e}") from None
    if p.returncode != 0:
        out = (p.stderr + p.stdout).strip()
        raise ToolchainError(f"{opts.compiler.name} failed ({' '.join(cmd[:4])} ...):\n{out}")


def _first_use_note(opts: Options, log: Log) -> Path | None:
    """Say that zig is about to build the target's C library (slow, once per target);
    return the marker to create when that is done."""
    if not opts.compiler.is_zig:
        return None
    marker = zig_cache_dir() / f".mochic-ready-{opts.triple}"
    if marker.exists():
        return None
    log(f"mochic: preparing the {opts.target.name}"
        f"{' (portable)' if opts.portable and opts.target.os == 'linux' else ''} "
        "toolchain (first use, about a minute)...")
    return marker


# ---------------------------------------------------------------- the runtime library

def runtime_sources() -> list[Path]:
    return sorted(RUNTIME_DIR.glob("*.c"))


def runtime_hash() -> str:
    h = hashlib.sha256()
    for p in sorted([*RUNTIME_DIR.glob("*.c"), *RUNTIME_DIR.glob("*.h")]):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _key(*parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(repr(p).encode() + b"\0")
    return h.hexdigest()[:32]


def _workdir(key: str) -> Path:
    """A fresh work directory named after the cache key, so that the paths a Mach-O
    debug map records are the same for every build of the same thing; another
    process building the same key at the same moment gets a random name."""
    tmp = cache_dir() / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    work = tmp / key
    try:
        work.mkdir()
    except FileExistsError:
        return Path(tempfile.mkdtemp(dir=tmp))
    return work


def _publish(work: Path, final: Path) -> None:
    """Move a finished work directory into place (another process may have won)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(work, final)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
        if not final.exists():
            raise


def _prefix_maps(opts: Options, work: Path) -> list[str]:
    if not opts.compiler.gnu_flags:
        return []
    return [f"-ffile-prefix-map={work}=.", f"-ffile-prefix-map={RUNTIME_DIR}=mochi-runtime"]


def runtime_library(opts: Options, log: Log = _stderr) -> list[Path]:
    """The runtime library for ``opts`` (an archive, or its objects when the compiler
    has no archiver), compiled once and cached."""
    flags = compile_flags(opts)
    key = _key("runtime", opts.triple, opts.mode, opts.portable, opts.compiler.identity,
               flags, runtime_hash())
    final = cache_dir() / "runtime" / key
    if final.exists():
        return _library_files(final)
    sources = runtime_sources()
    if not sources:
        raise ToolchainError(f"the runtime library has no sources in {RUNTIME_DIR}")
    marker = _first_use_note(opts, log)
    work = _workdir(key)
    try:
        _compile_many(opts, flags + _prefix_maps(opts, work), sources, work)
        objects = [f"{s.stem}.o" for s in sources]
        if opts.compiler.ar is not None:
            ar = list(opts.compiler.ar)
            mode = "rcs" if opts.compiler.is_zig or opts.compiler.name == "tcc" else "rcsD"
            _run([*ar, mode, "libmochi.a", *objects], work, opts)
            for o in objects:
                (work / o).unlink()
        _publish(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if marker is not None:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    return _library_files(final)


def _library_files(d: Path) -> list[Path]:
    lib = d / "libmochi.a"
    return [lib] if lib.exists() else sorted(d.glob("*.o"))


def _compile_many(opts: Options, flags: list[str], sources: list[Path], work: Path) -> None:
    """Compile the sources to objects in ``work``, a few at a time."""
    env = zig_env() if opts.compiler.is_zig else None
    jobs = max(1, min(len(sources), os.cpu_count() or 1))
    pending = list(sources)
    running: list[tuple[Path, subprocess.Popen]] = []
    errors = []
    while pending or running:
        while pending and len(running) < jobs:
            src = pending.pop(0)
            cmd = [*opts.compiler.cc, *flags, "-c", str(src), "-o", f"{src.stem}.o"]
            running.append((src, subprocess.Popen(cmd, cwd=work, env=env, text=True,
                                                  stdout=subprocess.PIPE,
                                                  stderr=subprocess.STDOUT)))
        src, p = running.pop(0)
        out, _ = p.communicate()
        if p.returncode != 0:
            errors.append(f"{src.name}:\n{out.strip()}")
    if errors:
        raise ToolchainError(f"{opts.compiler.name} failed to compile the runtime library:\n"
                             + "\n".join(errors))


# ---------------------------------------------------------------- programs

def _fix_pdb_guid(exe: Path) -> None:
    """LLD writes a random PDB signature into a PE's CodeView record (`RSDS`, 16 bytes
    of GUID, of which it fills 8 with "LLD PDB."): replace the random half with a hash
    of the rest of the file, so a dev build is reproducible (as lld-link /Brepro)."""
    data = bytearray(exe.read_bytes())
    i = data.find(b"RSDS")
    while i >= 0:
        if data[i + 12:i + 20] == b"LLD PDB.":
            data[i + 4:i + 12] = b"\0" * 8
            data[i + 4:i + 12] = hashlib.sha256(bytes(data)).digest()[:8]
            exe.write_bytes(bytes(data))
            return
        i = data.find(b"RSDS", i + 4)


def _sign_adhoc(exe: Path) -> None:
    """zig's linker signs arm64 macOS executables; sign the others the same way, so
    every macOS output carries an ad-hoc signature (objfile/codesign.py)."""
    data = exe.read_bytes()
    try:
        if not codesign.is_signed(data):
            exe.write_bytes(codesign.sign_adhoc(data, exe.name))
    except codesign.CodesignError as e:
        raise ToolchainError(f"cannot sign {exe.name}: {e}") from None


KEEP_BUILDS = 1000  # cached executables kept, the most recently used


def _prune(d: Path, keep: int) -> None:
    """Remove the least recently used entries of ``d`` beyond ``keep`` (checked rarely:
    only when ``d`` has grown a tenth past it)."""
    try:
        entries = list(os.scandir(d))
    except OSError:
        return
    if len(entries) <= keep + keep // 10:
        return
    entries.sort(key=lambda e: e.stat().st_mtime, reverse=True)
    for e in entries[keep:]:
        shutil.rmtree(e.path, ignore_errors=True)


@dataclass
class BuildResult:
    output: Path
    cached: bool
    seconds: float
    steps: list[str] = field(default_factory=list)


def build(c_source: str, opts: Options, output: Path, log: Log = _stderr) -> BuildResult:
    """Compile the emitted C ``c_source`` and link it with the runtime into ``output``."""
    start = time.monotonic()
    check_target(opts)
    library = runtime_library(opts, log)
    cflags = compile_flags(opts)
    lflags = link_flags(opts)
    # the steps after linking are part of what is cached
    after_link = {"windows": "pdb-signature", "macos": "adhoc-signature"}.get(opts.target.os)
    key = _key("build", opts.triple, opts.mode, opts.portable, opts.compiler.identity,
               cflags, lflags, runtime_hash(), c_source, after_link)
    final = cache_dir() / "builds" / key
    exe_name = "prog" + opts.target.suffix
    cached = (final / exe_name).exists()
    if not cached:
        marker = _first_use_note(opts, log)
        work = _workdir(key)
        try:
            (work / "prog.c").write_text(c_source, encoding="utf-8")
            # the library is linked from the work directory by a relative name: debug
            # info that names object files (Mach-O's, PE's) then names no cache path
            names = []
            for lib in library:
                shutil.copy2(lib, work / lib.name)  # with its time: Mach-O debug maps record it
                names.append(lib.name)
            cmd = [*opts.compiler.cc, *cflags, *_prefix_maps(opts, work), "prog.c",
                   *names, *lflags, "-o", exe_name]
            _run(cmd, work, opts)
            if opts.target.os == "windows":
                _fix_pdb_guid(work / exe_name)
            if opts.target.os == "macos":
                _sign_adhoc(work / exe_name)
            for extra in work.iterdir():  # keep only the executable
                if extra.name != exe_name:
                    if extra.is_dir():
                        shutil.rmtree(extra)
                    else:
                        extra.unlink()
            _publish(work, final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        if marker is not None:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        _prune(final.parent, KEEP_BUILDS)
    else:
        os.utime(final)  # recently used: pruned last
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp{os.getpid()}")
    shutil.copyfile(final / exe_name, tmp)
    os.chmod(tmp, 0o755)
    os.replace(tmp, output)
    return BuildResult(output, cached, time.monotonic() - start)


# ---------------------------------------------------------------- doctor

def doctor_report() -> list[tuple[str, str, bool, str]]:
    """(what, name, present, detail) for every compiler and test runner mochic can use."""
    rows = []
    for name in COMPILERS:
        try:
            c = find_compiler(name)
            rows.append(("compiler", name, True, c.identity))
        except ToolchainError:
            rows.append(("compiler", name, False, HINTS[name]))
    for name in ("qemu-aarch64", "qemu-riscv64", "wine", "wasmtime", "gdb"):
        what = "debugger" if name == "gdb" else "runner"
        path = shutil.which(name)
        if name == "wasmtime" and path is None:
            try:
                from importlib.metadata import version
                rows.append((what, name, True, f"wasmtime {version('wasmtime')} (Python package)"))
                continue
            except Exception:
                pass
        rows.append((what, name, path is not None, path or HINTS[name]))
    return rows
