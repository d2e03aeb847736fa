"""The user cache directory and the atomic way things are put into it."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    env = os.environ.get("MOCHIC_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mochic"


def key(*parts: object) -> str:
    """A cache key: the hash of everything that goes into an entry."""
    h = hashlib.sha256()
    for p in parts:
        h.update(repr(p).encode() + b"\0")
    return h.hexdigest()[:32]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def intact(path: Path) -> bool:
    """Is ``path`` byte for byte the file that was made (the digest recorded beside
    it, in ``path``.sha256)?"""
    try:
        return sha256(path) == path.with_name(path.name + ".sha256").read_text().strip()
    except OSError:
        return False


def workdir(key: str) -> Path:
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


def publish(work: Path, final: Path) -> None:
    """Move a finished work directory into place (another process may have won)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(work, final)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
        if not final.exists():
            raise


def prune(d: Path, keep: int) -> None:
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
        if e.is_dir(follow_symlinks=False):
            shutil.rmtree(e.path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(e.path)
