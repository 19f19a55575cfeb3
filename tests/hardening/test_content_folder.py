"""Content never leaves its folder (issue 16, item 4): links out, FIFOs and devices are refused and never read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backpub.files.cache import files_under, folder_digest

BACKPUB = str(Path(sys.executable).with_name("backpub"))


def validate(project: Path) -> subprocess.CompletedProcess:
    """`validate` in a child process with a deadline: a hang (reading /dev/zero, walking /) fails the test."""
    return subprocess.run(
        [BACKPUB, "validate", "--content", "content"], cwd=project, capture_output=True, text=True, timeout=60
    )


def test_an_entity_symlinked_from_outside_the_content_folder_is_refused_and_not_published(project: Path) -> None:
    outside = project / "elsewhere.md"
    text = (project / "content" / "mistakes" / "stretching.md").read_text()
    outside.write_text(text.replace("title:", "title: SMUGGLED", 1))
    (project / "content" / "mistakes" / "smuggled.md").symlink_to(outside)
    result = validate(project)
    assert result.returncode == 1, result.stderr
    assert "content/mistakes/smuggled.md:1:1: error: 'smuggled.md' is a symlink to a place outside" in result.stderr


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("zero", lambda p: p.symlink_to("/dev/zero"), "is a symlink to a place outside the content folder"),
        ("pipe", os.mkfifo, "is a named pipe (FIFO)"),
        (".root", lambda p: p.symlink_to("/"), "is a symlink to a place outside the content folder"),
    ],
)
def test_special_files_and_links_out_are_refused_without_reading_them(project: Path, name, make, says) -> None:
    target = project / "content" / "assets" / name
    make(target)
    result = validate(project)  # would hang (FIFO, /) or run out of memory (/dev/zero) if read
    assert result.returncode == 1, result.stderr
    assert f"content/assets/{name}:1:1: error: '{name}' {says}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_device_inside_the_content_folder_is_refused(project: Path) -> None:
    (project / "content" / "assets" / "dev").symlink_to("/dev")  # a link out, so the walk never enters it
    os.symlink("/dev/null", project / "content" / "assets" / "null")
    result = validate(project)
    assert result.returncode == 1
    assert "'dev' is a symlink to a place outside" in result.stderr and "'null' is a symlink" in result.stderr


def test_digests_never_follow_links_out_or_read_special_files(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    (folder / "inner").mkdir(parents=True)
    (folder / "inner" / "a.txt").write_text("a")
    (folder / "inside-link").symlink_to("inner")
    (folder / "loop").symlink_to(".")
    (folder / "root").symlink_to("/")
    (folder / "zero").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe")
    found = [p.relative_to(folder).as_posix() for p in files_under(folder)]
    assert found == ["inner/a.txt"]  # the linked copy of `inner` is the same folder, walked once
    assert len(folder_digest(folder)) == 64


@pytest.mark.parametrize("command", [["validate"], ["build", "-f", "json"], ["schedule"]])
def test_content_pointing_at_the_project_folder_says_which_folder_to_name(project, run_cli, command):
    result = run_cli(*command, "--content", str(project), cwd=project)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        f"Error: {str(project)!r} is the project folder, not its content folder: use --content {project / 'content'} "
        "(the folder that holds programme.yaml)"
    ]
