"""The one writer that owns outputs/: builds a staging copy, then swaps it in atomically.

A failed or killed build leaves the previous outputs/ exactly as it was: nothing is written into
outputs/ itself. Unchanged files are hard-linked from the previous outputs, so they keep their inode
and modification time.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import functools
import os
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from backpub.errors import BackpubError, BuildLockedError, ConfigError

SERVICE_FOLDER = "service"
"""The folder of outputs/ that holds what only the subscription service serves (`Job.audience` "members"): never
the website's, never deployed; no format may have this name."""

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def safe_relative(output: str) -> str:
    """Check an output path declared by a format: relative, forward slashes, no '..'."""
    path = PurePosixPath(output)
    if not output or path.is_absolute() or ".." in path.parts or "\\" in output or output != str(path):
        raise ConfigError(
            f"invalid output path {output!r}: use a plain relative path (forward slashes; no '..', '.', '//' or "
            "trailing '/')"
        )
    return output


class OutputWriter:
    """Stages a new outputs/ tree next to the current one and commits it with one atomic exchange."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = Path(output_dir).resolve()
        self.staging = self.output_dir.with_name(f".{self.output_dir.name}.staging-{os.getpid()}")
        self.written: set[str] = set()
        self.new_files: list[Path] = []
        self.staged: list[Path] = []
        """Files the build reads while it runs but never commits (intermediate jobs' files)."""
        self._folders: set[Path] = set()  # folders made in the staging tree (a big build writes thousands of files)

    def __enter__(self) -> OutputWriter:
        try:
            remove_stale_siblings(self.output_dir)
            self.output_dir.parent.mkdir(parents=True, exist_ok=True)
            self.staging.mkdir()
        except OSError as exc:  # a read-only mount, a full disk, no permission: one line, not a traceback
            raise BackpubError(
                f"cannot write beside the output folder {self.output_dir}: {exc.strerror or exc}"
            ) from None
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.staging.exists():
            shutil.rmtree(self.staging, ignore_errors=True)

    def keep_tree(self, relative: str, skip: set[str] | frozenset[str] = frozenset()) -> None:
        """Carry a whole folder of the current outputs over unchanged (formats not in this build), except the
        files listed in `skip` (paths relative to outputs/)."""
        source = self.output_dir / relative
        if not source.is_dir():
            return

        def link_unless_skipped(src: str, dst: str) -> None:
            if Path(src).relative_to(self.output_dir).as_posix() not in skip:
                os.link(src, dst)

        shutil.copytree(source, self.staging / relative, copy_function=link_unless_skipped, dirs_exist_ok=True)

    def place(self, relative: str, source: str) -> None:
        """Publish a file of this build's tree at a second path too (a hard link: the same bytes, never rendered
        twice); both paths are outputs/-relative."""
        target = self._claim(relative)
        target.unlink(missing_ok=True)  # a copy carried over from the previous website gives way to this build's
        os.link(self.staging / source, target)

    def keep(self, relative: str) -> bool:
        """Carry one unchanged file over from the current outputs; False if it is not there."""
        source = self.output_dir / relative
        if not source.is_file():
            return False
        target = self._claim(relative)
        os.link(source, target)
        return True

    def write(self, relative: str, data: bytes) -> None:
        """Write one new file into the staging tree; a path can be written once per build."""
        target = self._claim(relative)
        self.new_files.append(target)
        try:
            with open(target, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise BackpubError(f"cannot write {relative}: {os.strerror(exc.errno or 0) or exc}") from exc

    def stage(self, relative: str, data: bytes | None = None, source: Path | None = None) -> None:
        """Put a file the build's jobs read but outputs/ never holds (an intermediate job's) into the staging tree:
        `data`, or a link to (else a copy of) the file `source`. `commit` removes it."""
        target = self._claim(relative)
        self.staged.append(target)
        try:
            if source is None:
                target.write_bytes(data or b"")
                return
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)  # (another filesystem)
        except OSError as exc:
            raise BackpubError(f"cannot write {relative}: {os.strerror(exc.errno or 0) or exc}") from exc

    def _claim(self, relative: str) -> Path:
        safe_relative(relative)
        if relative in self.written:
            raise BackpubError(f"two jobs write the same output file {relative!r}")
        self.written.add(relative)
        target = self.staging / relative
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        return target

    def commit(self) -> None:
        """Make the staging tree the new outputs/ in one step, then remove the old tree."""
        try:
            self._swap()
        except OSError as exc:
            raise BackpubError(f"cannot replace the output folder {self.output_dir}: {exc.strerror or exc}") from None

    def _swap(self) -> None:
        for path in self.staged:
            path.unlink(missing_ok=True)
        _remove_empty_folders(self.staging, {path.parent for path in self.staged})
        _fsync_files(self.new_files)
        if not self.output_dir.exists():
            os.rename(self.staging, self.output_dir)
            return
        if _exchange(self.staging, self.output_dir):
            shutil.rmtree(self.staging, ignore_errors=True)  # now holds the previous outputs
            return
        old = self.output_dir.with_name(f".{self.output_dir.name}.old-{os.getpid()}")
        os.rename(self.output_dir, old)
        os.rename(self.staging, self.output_dir)
        shutil.rmtree(old, ignore_errors=True)


def _remove_empty_folders(root: Path, folders: set[Path]) -> None:
    """Remove those of `folders` (below `root`) that are empty, and their parents that become empty."""
    for folder in sorted(folders, key=lambda path: len(path.parts), reverse=True):
        while folder != root and folder.is_relative_to(root):
            try:
                folder.rmdir()
            except OSError:
                break  # not empty (or gone): its parents are not empty either
            folder = folder.parent


def remove_stale_siblings(output_dir: Path) -> None:
    """Clean up after killed builds: restore outputs/ from an interrupted swap, drop old staging trees."""
    parent = output_dir.parent
    if not parent.is_dir():
        return
    olds = sorted(parent.glob(f".{output_dir.name}.old-*"))
    if olds and not output_dir.exists():
        os.rename(olds.pop(), output_dir)
    for stale in [*olds, *parent.glob(f".{output_dir.name}.staging-*")]:
        shutil.rmtree(stale, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False where unsupported."""
    return _system_call("renameat2", _AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE, path=b)


@functools.cache
def libc_function(name: str) -> Any | None:
    """A function of the C library (Linux calls Python does not wrap), or None where there is none."""
    libc_name = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(libc_name, use_errno=True), name, None) if libc_name else None


def _system_call(name: str, *args: Any, path: Path) -> bool:
    """Call a C library function that returns 0 on success: False where the system lacks or refuses it; an
    OSError naming `path` when it fails for real."""
    function = libc_function(name)
    if function is None:
        return False
    if function(*args) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(path))


_SYNC_WHOLE_FILESYSTEM_FROM = 16
"""From this many new files, one syncfs() of the output's filesystem is far cheaper than a fsync() per file
(2,500 files: 0.1 s against 9 s on the CI machine's disk)."""


def _fsync_files(paths: list[Path]) -> None:
    """Flush new files to disk before the swap, so a power cut cannot leave empty files behind."""
    if len(paths) >= _SYNC_WHOLE_FILESYSTEM_FROM and _syncfs(paths[0].parent):
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _syncfs(folder: Path) -> bool:
    """Flush every file of the filesystem holding `folder` (Linux syncfs(2)); False where unsupported."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        return _system_call("syncfs", fd, path=folder)  # an OSError is a write error: the files may not be on disk
    finally:
        os.close(fd)


_HELD_LOCKS: set[int] = set()
"""Descriptors of the project locks this process holds; a forked child closes them at once."""


def _drop_locks_in_child() -> None:
    """In a forked child (a render worker): never hold the build's lock. A child holding it would keep the
    project locked after its build was killed."""
    for fd in _HELD_LOCKS:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_drop_locks_in_child)


class ProjectLock:
    """An exclusive lock on a project for the length of a build; a second build fails with a clear message.

    The lock is the kernel's (flock): it is released when the process holding it dies, however it dies. It is
    taken on a close-on-exec descriptor that forked workers close at once, so only the build itself holds it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def __enter__(self) -> ProjectLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 100, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise BuildLockedError(
                f"another backpub build is running on this project ({holder}); try again when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
        self.fd = fd
        _HELD_LOCKS.add(fd)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            _HELD_LOCKS.discard(self.fd)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
