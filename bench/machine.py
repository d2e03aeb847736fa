"""What a benchmark ran on: CPU, cores, load, operating system, tool versions,
and the state of the mochic checkout, so a reader can judge the numbers."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys

from bench.participant import ROOT, first_line


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_state() -> dict[str, object]:
    def git(*args: str) -> str:
        p = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return p.stdout.strip() if p.returncode == 0 else ""

    changed = [line[3:] for line in git("status", "--porcelain", "--", "mochic", "bench")
               .splitlines() if line[:2] != "??"]
    return {"commit": git("rev-parse", "--short=12", "HEAD") or "unknown",
            "uncommitted_changes": changed}


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages: how busy the machine was."""
    if not hasattr(os, "getloadavg"):
        return None
    return [round(x, 2) for x in os.getloadavg()]


def describe() -> dict[str, object]:
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "load_average_at_start": load_average(),
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "python_executable": sys.executable,
        "gcc": first_line(["gcc", "--version"]),
        "mochic": git_state(),
    }
