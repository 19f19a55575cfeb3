"""The project's state folder and the one keyed cache every step uses: one layout, one digest, atomic writes.

    .backpub/build.lock      held by the build that is running
    .backpub/cache/          derived data, safe to delete (`backpub clean` does): the no-op stamp, the validated
                             model, Markdown facts, the output manifest
    .backpub/state/          what must survive `clean` (the newsletter's send ledgers)

Everything in the cache is an optimisation: a missing, damaged or foreign entry is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE_FOLDER = ".backpub"
_HASHED_FILE_LIMIT = 2_000_000
"""Files up to this size are hashed; larger ones (audio) are identified by their stat details."""


@dataclass(frozen=True)
class StateLayout:
    """Where a project keeps its lock, its cache and its lasting state."""

    root: Path

    @classmethod
    def of(cls, project_dir: Path) -> StateLayout:
        return cls(Path(project_dir) / STATE_FOLDER)

    @property
    def cache(self) -> Path:
        """Derived data, safe to delete."""
        return self.root / "cache"

    @property
    def state(self) -> Path:
        """Data that must survive `backpub clean` (ledgers of sends)."""
        return self.root / "state"

    @property
    def lock(self) -> Path:
        """The build lock."""
        return self.root / "build.lock"


def atomic_write(path: Path, data: bytes) -> None:
    """Replace a file in one step: readers see the old bytes or the new, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def files_under(folder: Path) -> Iterable[Path]:
    """Every regular file below a folder, following symlinks that stay inside it, never in a loop, never a
    device, a FIFO or a link out of the folder (see backpub.files.contentfs)."""
    from backpub.files.contentfs import files

    return files(folder)


BYTECODE_FOLDER = "__pycache__"
"""Python's compiled copies of the code beside them: derived, written whenever a process first imports a module, so
never part of a digest (a digest of the code reads the code)."""


def folder_digest(folder: Path) -> str:
    """A digest of every file in a folder: names and bytes (stat details for large files); Python's bytecode caches
    left out (another process importing a module for the first time must not look like a change of code)."""
    digest = hashlib.sha256()
    if not folder.is_dir():
        return "absent"
    for path in sorted(files_under(folder)):
        if BYTECODE_FOLDER in path.relative_to(folder).parts:
            continue
        try:
            info = path.stat()
            data = _read_limited(path) if info.st_size <= _HASHED_FILE_LIMIT else None
        except OSError:
            continue
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        if data is not None:
            digest.update(hashlib.sha256(data).digest())
        else:
            digest.update(f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}".encode())
    return digest.hexdigest()


def _read_limited(path: Path) -> bytes:
    """A small regular file's bytes; a FIFO swapped in since the walk cannot block the read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(_HASHED_FILE_LIMIT + 1)
    finally:
        os.close(fd)


OWN_DISTRIBUTION = "backpub"


def installed_state() -> list[tuple[str, int]]:
    """Every entry of the import path's package folders with its modification time, except backpub's own: installing,
    upgrading or removing any other package changes it. `pip install -e .` rewrites backpub's own records (its
    dist-info, its .pth) and so the folder's time, but not its code, which `code_digest` reads by content: the
    cache survives it."""
    state = []
    for entry in sys.path:
        if "site-packages" not in entry and "dist-packages" not in entry:
            continue  # the working folder and source folders are covered by digests, not by mtimes
        with contextlib.suppress(OSError):
            own = own_install_records(Path(entry))
            for child in os.scandir(entry):
                if child.name not in own:
                    state.append((child.path, child.stat(follow_symlinks=False).st_mtime_ns))
    return sorted(state)


def own_install_records(folder: Path) -> set[str]:
    """The top-level names backpub's own installation has in a package folder: its dist-info and what its RECORD
    lists (the editable install's .pth and finder, or a wheel's packages)."""
    own: set[str] = set()
    for info in folder.glob(f"{OWN_DISTRIBUTION}-*.dist-info"):
        own.add(info.name)
        with contextlib.suppress(OSError):
            for line in (info / "RECORD").read_text(encoding="utf-8").splitlines():
                own.add(line.partition(",")[0].split("/")[0])
    return own


@functools.cache
def code_digest() -> str:
    """One digest of backpub's own code, the installed packages and the Python running them: any change
    invalidates every cache entry."""
    parts = [sys.version, folder_digest(Path(__file__).resolve().parents[1]), repr(installed_state())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class Store:
    """A keyed cache in `.backpub/cache/`: an entry is returned only for the key it was stored under.

    A store without a folder (`--no-cache`) remembers nothing and returns nothing."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def get(self, name: str, key: str) -> Any | None:
        """The value stored under `name` for `key`, or None (missing, damaged, another key or another code)."""
        if self.folder is None:
            return None
        try:
            with open(self.folder / name, "rb") as handle:
                stored_code, stored_key, value = pickle.load(handle)
        except Exception:  # a missing, truncated or foreign file is just a miss
            return None
        return value if (stored_code, stored_key) == (code_digest(), key) else None

    def put(self, name: str, key: str, value: Any) -> None:
        """Store a value; failing to write only costs the next run its shortcut."""
        if self.folder is None:
            return
        with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
            atomic_write(self.folder / name, pickle.dumps((code_digest(), key, value), pickle.HIGHEST_PROTOCOL))

    def forget(self, name: str) -> None:
        """Drop an entry."""
        if self.folder is not None:
            with contextlib.suppress(OSError):
                (self.folder / name).unlink(missing_ok=True)
