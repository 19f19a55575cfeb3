"""Content never leaves its folder: one walk that follows symlinks only within a root and never opens a special file.

A symlink that resolves outside the content folder, and anything that is not a regular file or folder (a FIFO,
a device such as /dev/zero, a socket), is refused with a located error; the digests that decide whether a build
can be skipped use the same walk, so they never read a device or wander through `ln -s / content/.root`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Refused:
    """An entry the walk would not enter or read, and why."""

    path: Path
    reason: str


def walk(root: Path) -> Iterator[Path | Refused]:
    """Every regular file below `root` (sorted, loop-safe), and a Refused for each entry that is a symlink out
    of `root`, a dangling symlink or not a regular file or folder. Symlinks within `root` are followed."""
    real_root = Path(os.path.realpath(root))
    seen: set[str] = set()
    yield from _walk(Path(root), real_root, seen)


def _walk(folder: Path, real_root: Path, seen: set[str]) -> Iterator[Path | Refused]:
    real = os.path.realpath(folder)
    if real in seen:
        return  # a symlink loop, or a folder reached twice
    seen.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        kind = _kind(path, real_root)
        if isinstance(kind, Refused):
            yield kind
        elif kind == "folder":
            yield from _walk(path, real_root, seen)
        else:
            yield path


def _kind(path: Path, real_root: Path) -> str | Refused:
    """'file', 'folder' or why the entry is refused; never opens it."""
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            target = Path(os.path.realpath(path))
            if not target.is_relative_to(real_root):
                return Refused(path, "is a symlink to a place outside the content folder; refused")
            info = os.stat(path)
    except OSError:
        return Refused(path, "is a symlink to nothing (or cannot be read); refused")
    if stat.S_ISREG(info.st_mode):
        return "file"
    if stat.S_ISDIR(info.st_mode):
        return "folder"
    return Refused(path, f"is {_special(info.st_mode)}, not a regular file or folder; refused")


def _special(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def files(root: Path) -> Iterator[Path]:
    """Only the regular files below `root` that stay inside it."""
    return (item for item in walk(root) if isinstance(item, Path))


def refused(root: Path) -> list[Refused]:
    """Every entry below `root` that content may not be."""
    return [item for item in walk(root) if isinstance(item, Refused)]
