"""Every failure is named (issue 16, item 8): no raw traceback, no silent exit, no forged line."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

BACKPUB = str(Path(sys.executable).with_name("backpub"))
AS_OF = "2026-11-25"


@pytest.mark.parametrize("garbage", [b"null", b"[1, 2]", b"\x80\x04\x95garbage", b"", b"\x80\x04N."])
def test_a_corrupt_cache_file_of_any_shape_is_discarded(project: Path, run_cli, garbage: bytes) -> None:
    # In-process: the cache is read from its files on every build, so a subprocess would add only start-up time.
    def backpub(*args: str):
        result = run_cli(*args, cwd=project)
        assert result.exit_code == 0 and result.exception is None, result.output
        assert "Traceback" not in result.output
        return result

    backpub("build", "--as-of", AS_OF, "-q", "-j", "1", "-f", "json")
    cache = project / ".backpub" / "cache"
    files = [path for path in cache.rglob("*") if path.is_file()]  # (the PDF layout records are a folder's files)
    assert files, "the first build fills the cache"
    for path in files:
        path.write_bytes(garbage)
    for _ in range(2):  # the damaged entries are rebuilt, then used
        backpub("build", "--as-of", AS_OF, "-q", "-j", "1", "-f", "json")
    backpub("validate")


def test_a_read_only_output_folder_gives_one_line(project: Path, run_cli, monkeypatch) -> None:
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if ".staging-" in self.name:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    result = run_cli("build", "-f", "json", "--as-of", AS_OF, "-q", cwd=project)
    assert result.exit_code == 1
    assert "Error: cannot write beside the output folder" in result.output
    assert "Read-only file system" in result.output
    assert len(result.output.strip().splitlines()) == 1


EXITING_PLUGIN = '''
"""A format that calls sys.exit(3) in one step."""
import os
import sys

from backpub import Format, Job, hookimpl


class Exiting(Format):
    name = "exiting"

    def jobs(self, publication):
        return [Job("a.txt")]

    def check(self, publication):
        if os.environ.get("EXIT_IN") == "check":
            sys.exit(3)
        return []

    def render(self, job, publication):
        sys.exit(3)


@hookimpl
def register_formats():
    return [Exiting]
'''


@pytest.mark.parametrize(("step", "jobs"), [("render", "1"), ("render", "2"), ("check", "1")])
def test_a_plugin_calling_exit_is_a_plugin_error(project: Path, step: str, jobs: str) -> None:
    (project / "local_plugins").mkdir()
    (project / "local_plugins" / "exiting.py").write_text(EXITING_PLUGIN)
    env = {**os.environ, "EXIT_IN": step}
    command = [BACKPUB, "build", "--as-of", AS_OF, "-q", "-j", jobs, "-f", "exiting"]
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 1, result.stderr
    assert "plugin 'local:exiting'" in result.stderr or "plugin 'exiting'" in result.stderr
    assert "exit(3)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_name_cannot_forge_a_line_in_validate_output(project: Path, run_cli) -> None:
    forged = project / "content" / "mistakes" / "x\nFORGED-LINE: content is valid.md"
    forged.write_text("not front matter\n")
    result = run_cli("validate", cwd=project)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert not any(line.startswith("FORGED-LINE") for line in lines), lines
    assert "x\\nFORGED-LINE: content is valid" in result.stderr
