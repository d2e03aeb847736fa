"""Running executables built for other targets, on this machine, for the tests.

Each runner takes an executable, the directory to run it in, its standard
input and a time limit, and returns ``(stdout, stderr, exit status)`` decoded
from the exact bytes (no newline translation, so a \\r\\n would show).
``missing(target)`` says why a target's runner cannot run here, if it cannot.

- Linux on aarch64 and riscv64: qemu-user (`qemu-aarch64`, `qemu-riscv64`)
  runs `--portable` builds, which are static, so no foreign C library needs
  to be installed.
- x86_64 Windows: wine, in a private prefix made once per test process (a
  few seconds), with a wineserver kept running until the process ends (else
  every run starts one and wine's services, three seconds).
- wasm32 WASI: the `wasmtime` Python package, with the module's standard
  streams wired to files and its argv[0] the module's name.  Wasm code runs on
  the host thread's stack, so it runs on a thread with a big one: the
  program's own limit (a 64 MiB stack in linear memory, checked by the
  emitted code) must be the one a deep recursion meets, as on the other
  targets, not the engine's native stack.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from mochic.toolchain.compilers import HINTS

Outcome = tuple[str, str, int]
Runner = Callable[[Path, Path, str, float], Outcome]

# what each runner needs, by target, for skip messages
NEEDS = {
    "aarch64-linux": "qemu-aarch64",
    "riscv64-linux": "qemu-riscv64",
    "x86_64-windows": "wine",
    "wasm32-wasi": "wasmtime",
}


def missing(target: str) -> str | None:
    """Why ``target``'s runner cannot run here, or None if it can."""
    tool = NEEDS[target]
    present = (importlib.util.find_spec(tool) is not None if tool == "wasmtime" else
               shutil.which(tool) is not None)
    return None if present else f"{tool} is not installed ({HINTS[tool]})"


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def run_qemu(cpu: str, exe: Path, cwd: Path, stdin: str, timeout: float) -> Outcome:
    p = subprocess.run([f"qemu-{cpu}", str(exe)], cwd=cwd, input=stdin.encode(),
                       capture_output=True, timeout=timeout)
    return decode(p.stdout), decode(p.stderr), p.returncode


# ---------------------------------------------------------------- wine

_wine_lock = threading.Lock()
_wine_env: dict[str, str] | None = None


def _wine_prefix() -> dict[str, str]:
    """The environment of this process's wine prefix, made on first use."""
    global _wine_env
    with _wine_lock:
        if _wine_env is not None:
            return _wine_env
        prefix = Path(tempfile.mkdtemp(prefix="mochic-wine-"))
        env = {**os.environ,
               "WINEPREFIX": str(prefix),
               "WINEDEBUG": "-all",  # no fixme/err lines on stderr, which the tests compare
               "WINEDLLOVERRIDES": "mscoree,mshtml="}  # no offer to install Mono or Gecko
        # A wineserver that stays up between runs; stopped, and the prefix removed, at
        # exit.  Neither it nor wineboot may hold a pipe of ours: the services wineboot
        # starts live as long as the server, and a read would wait for them.
        quiet = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL,
                 "stderr": subprocess.DEVNULL}
        subprocess.run(["wineserver", "--persistent"], env=env, check=True, timeout=60, **quiet)
        atexit.register(_remove_prefix, prefix, env)
        subprocess.run(["wineboot", "--init"], env=env, check=True, timeout=300, **quiet)
        _wine_env = env
        return env


def _remove_prefix(prefix: Path, env: dict[str, str]) -> None:
    subprocess.run(["wineserver", "--kill"], env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)
    shutil.rmtree(prefix, ignore_errors=True)


def run_wine(exe: Path, cwd: Path, stdin: str, timeout: float) -> Outcome:
    env = _wine_prefix()
    p = subprocess.run(["wine", str(exe)], cwd=cwd, input=stdin.encode(), capture_output=True,
                       timeout=timeout, env=env)
    return decode(p.stdout), decode(p.stderr), p.returncode


# ---------------------------------------------------------------- wasmtime

# The engine's stack for wasm code: more than the 64 MiB of linear stack the
# module links with needs (a wasm frame here takes more native stack than
# linear stack), and the thread's stack holds it with room for the host.
WASM_STACK = 512 << 20
HOST_STACK = WASM_STACK + (16 << 20)


def run_wasm(module: Path, cwd: Path, stdin: str, timeout: float) -> Outcome:
    import wasmtime  # a test dependency; missing("wasm32-wasi") says when it is absent

    status, trap = 134, ""
    error: BaseException | None = None

    def run(files: dict[str, Path]) -> None:
        nonlocal status, trap
        config = wasmtime.Config()
        # wasmtime requires the async stack to hold the wasm stack, and the
        # Python API sets only the latter; without this the limit is 2 MiB
        set_async = getattr(wasmtime._ffi, "wasmtime_config_async_stack_size_set", None)
        if set_async is not None:
            set_async(config.ptr(), WASM_STACK + (1 << 20))
            config.max_wasm_stack = WASM_STACK
        config.epoch_interruption = True  # so a run can be stopped at its time limit
        engine = wasmtime.Engine(config)
        store = wasmtime.Store(engine)
        store.set_epoch_deadline(1)
        wasi = wasmtime.WasiConfig()
        wasi.argv = [module.name]
        wasi.stdin_file = str(files["stdin"])
        wasi.stdout_file = str(files["stdout"])
        wasi.stderr_file = str(files["stderr"])
        wasi.preopen_dir(str(cwd), ".")  # the program's folder, as the other runners' cwd
        store.set_wasi(wasi)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        instance = linker.instantiate(store, wasmtime.Module.from_file(engine, str(module)))
        timer = threading.Timer(timeout, engine.increment_epoch)
        timer.start()
        try:
            instance.exports(store)["_start"](store)
            status = 0
        except wasmtime.ExitTrap as e:
            status = e.code
        except wasmtime.Trap as e:  # a crash or the time limit: shown by the test
            trap = f"wasm trap: {e}\n"
        finally:
            timer.cancel()

    def guarded(files: dict[str, Path]) -> None:
        nonlocal error
        try:
            run(files)
        except BaseException as e:  # re-raised in the caller's thread
            error = e

    with tempfile.TemporaryDirectory(prefix="mochic-wasi-") as d:
        files = {name: Path(d) / name for name in ("stdin", "stdout", "stderr")}
        files["stdin"].write_bytes(stdin.encode())
        previous = threading.stack_size(HOST_STACK)
        try:
            thread = threading.Thread(target=guarded, args=(files,), name="wasm")
            thread.start()
        finally:
            threading.stack_size(previous)
        thread.join()
        if error is not None:
            raise error
        return (decode(files["stdout"].read_bytes()),
                decode(files["stderr"].read_bytes()) + trap, status)
