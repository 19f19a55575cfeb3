"""The output folder is only ever backpub's (issue 16, item 2): `build --output .` once swapped out the project."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

AS_OF = "2026-11-25"


def tree_hash(folder: Path) -> str:
    """A hash of every entry under a folder: its name, its kind, a file's bytes, a link's target."""
    digest = hashlib.sha256()
    for root, folders, files in sorted(os.walk(folder)):
        folders.sort()
        for name in sorted(folders + files):
            path = Path(root, name)
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            if path.is_symlink():
                digest.update(b"link:" + os.readlink(path).encode())
            elif path.is_fifo():
                digest.update(b"fifo")
            elif path.is_file():
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@pytest.fixture
def furnished(project: Path) -> Path:
    """The minimal project with what the attack lost: a FIFO, a symlink to a folder, a file of the author's."""
    os.mkfifo(project / "pipe")
    (project / "notes").mkdir()
    (project / "notes" / "todo.txt").write_text("mine\n")
    (project / "notes-link").symlink_to("notes")
    return project


@pytest.mark.parametrize("output", [".", "..", "content", "content/out", ".backpub/x"])
def test_build_refuses_an_output_folder_that_overlaps_the_project(furnished: Path, run_cli, output: str) -> None:
    before = tree_hash(furnished)
    result = run_cli("build", "--output", output, "-f", "json", "--as-of", AS_OF, cwd=furnished)
    assert result.exit_code == 1, result.output
    assert "refusing to build into" in result.output
    assert "Traceback" not in result.output
    assert tree_hash(furnished) == before
    assert (furnished / "pipe").is_fifo() and (furnished / "notes-link").is_symlink()


def test_build_refuses_a_folder_of_someone_elses_files(furnished: Path, run_cli) -> None:
    before = tree_hash(furnished)
    result = run_cli("build", "--output", "notes", "-f", "json", "--as-of", AS_OF, cwd=furnished)
    assert result.exit_code == 1, result.output
    assert "holds files backpub did not write ('todo.txt')" in result.output
    assert tree_hash(furnished) == before


def test_a_new_or_backpub_written_folder_is_accepted(furnished: Path, run_cli, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    for _ in range(2):  # a second build into a folder backpub wrote is accepted
        result = run_cli("build", "--output", str(target), "-f", "json", "--as-of", AS_OF, "-q", cwd=furnished)
        assert result.exit_code == 0, result.output
    assert (target / "json").is_dir()


@pytest.mark.parametrize(("count", "fsyncs", "syncfs_calls"), [(3, 3, 0), (40, 0, 1)])
def test_new_files_are_flushed_to_disk_before_the_swap(tmp_path: Path, monkeypatch, count, fsyncs, syncfs_calls):
    """A few files are flushed one by one; many with one syncfs of their filesystem (cheaper by far)."""
    import backpub.files.output as output

    calls = {"fsync": 0, "syncfs": 0}
    real_fsync = os.fsync

    def counted_fsync(fd: int) -> None:
        calls["fsync"] += 1
        real_fsync(fd)

    def counted_syncfs(folder: Path) -> bool:
        calls["syncfs"] += 1
        assert folder == tmp_path
        return True

    monkeypatch.setattr(output.os, "fsync", counted_fsync)
    monkeypatch.setattr(output, "_syncfs", counted_syncfs)
    paths = []
    for number in range(count):
        paths.append(tmp_path / f"file-{number}")
        paths[-1].write_bytes(b"x")
    output._fsync_files(paths)
    assert calls == {"fsync": fsyncs, "syncfs": syncfs_calls}


def test_syncfs_flushes_a_real_folder_on_linux(tmp_path: Path):
    from backpub.files.output import _syncfs

    (tmp_path / "file").write_bytes(b"x")
    assert _syncfs(tmp_path) is True  # CI runs on Linux; elsewhere the caller falls back to a fsync per file
