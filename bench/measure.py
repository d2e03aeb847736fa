"""One timed run of a program, and the statistics the report draws from runs.

A run is a child process, started through ``peak`` (``peak.c``, built once
per benchmark with ``build_peak``), which forks the program, waits for it
with ``wait4`` and reports its wall time, its CPU time (user + system) and
the ``ru_maxrss`` of that child alone (Linux reports kilobytes, macOS
bytes).  Going through ``peak``
keeps the runner's own memory out of the figure (see ``peak.c``).  Without
``peak``, ``run_once`` times ``Popen`` and ``os.wait4`` itself, and the peak
RSS then has the runner's as its floor.  Output goes to temporary files, so
a chatty program cannot block on a full pipe while it is being timed.
"""

from __future__ import annotations

import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Sample:
    wall_s: float
    maxrss_kb: int
    status: int
    stdout: str
    stderr: str
    timed_out: bool = False
    cpu_s: float = 0.0  # user + system CPU time of the child


PEAK_SOURCE = Path(__file__).resolve().parent / "peak.c"


def build_peak(folder: Path) -> Path:
    """Compile ``peak.c`` into ``folder``; its path."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "peak"
    p = subprocess.run(["gcc", "-O2", "-o", str(out), str(PEAK_SOURCE)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"cannot build {PEAK_SOURCE}:\n{p.stderr}")
    return out


def run_once(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None,
             timeout: float | None = None, peak: Path | None = None) -> Sample:
    """Run ``argv`` once; wall time, peak RSS of the child, exit status and output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "peak"
        command = [str(peak), str(report), *argv] if peak else list(argv)
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err, start_new_session=True)
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            os.killpg(proc.pid, signal.SIGKILL)

        killer = threading.Timer(timeout, kill) if timeout else None
        if killer:
            killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: the child has its own session, so stop it here
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        finally:
            if killer:
                killer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
        rss, code = usage.ru_maxrss, proc.returncode
        cpu = usage.ru_utime + usage.ru_stime
        if peak and report.exists():
            ns, rss, code, cpu_ns = (int(x) for x in report.read_text().split())
            wall, cpu = ns / 1e9, cpu_ns / 1e9
        if sys.platform == "darwin":
            rss //= 1024
        out.seek(0)
        err.seek(0)
        return Sample(wall, rss, code, out.read().decode(errors="replace"),
                      err.read().decode(errors="replace"), fired.is_set(), cpu)


def median(xs: Sequence[float]) -> float:
    if not xs:
        raise ValueError("median of no values")
    return statistics.median(xs)


def quartiles(xs: Sequence[float]) -> tuple[float, float]:
    """First and third quartile (inclusive method); both the value itself for one value."""
    if not xs:
        raise ValueError("quartiles of no values")
    if len(xs) == 1:
        return xs[0], xs[0]
    q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return q1, q3


def geomean(xs: Sequence[float]) -> float:
    """Geometric mean of positive values: the mean that fits ratios."""
    if not xs:
        raise ValueError("geomean of no values")
    if any(x <= 0 for x in xs):
        raise ValueError("geomean needs positive values")
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def summarize(times: Sequence[float], rss_kb: Sequence[int],
              cpu: Sequence[float] | None = None) -> dict[str, float | list | None]:
    """The figures kept for one participant on one kernel."""
    q1, q3 = quartiles(times)
    return {
        "cpu_s": [round(t, 6) for t in cpu] if cpu else None,
        "cpu_median_s": median(cpu) if cpu else None,
        "times_s": [round(t, 6) for t in times],
        "median_s": median(times),
        "min_s": min(times),
        "max_s": max(times),
        "q1_s": q1,
        "q3_s": q3,
        "rss_kb": list(rss_kb),
        "rss_median_kb": median(rss_kb),
        "rss_max_kb": max(rss_kb),
    }
