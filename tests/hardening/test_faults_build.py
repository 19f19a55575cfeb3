"""Faults during `backpub build`: a plugin that raises, SIGKILL at many points, a full disk, two builds at once.

After each, outputs/ is byte-for-byte what it was (or, once the swap happened, wholly the new build), the error
names the format and the job, and the next build leaves no staging or old trees behind.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import backpub.files.output
from backpub.build import build
from backpub.errors import BackpubError, PluginError

BACKPUB = str(Path(sys.executable).with_name("backpub"))
PROBE = Path(__file__).with_name("fault_probe.py")
AS_OF = "2026-11-25"


def tree(folder: Path) -> dict[str, str]:
    """Every file under a folder with the hash of its bytes (the listing is part of the comparison)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def leftovers(project: Path) -> list[str]:
    return sorted(p.name for p in project.glob(".outputs.*"))


@pytest.fixture
def probe_project(project: Path) -> Path:
    """The minimal project with the probe plugin and a first good build of `probe` and `json`."""
    (project / "local_plugins").mkdir()
    shutil.copy(PROBE, project / "local_plugins" / "fault_probe.py")
    build(project / "content", formats=["probe", "json"], jobs=1, as_of=_as_of())
    return project


def _as_of():
    from datetime import date

    return date.fromisoformat(AS_OF)


def start_build(project: Path, *formats: str, **env: str) -> subprocess.Popen:
    command = [BACKPUB, "build", "--as-of", AS_OF, "--output", "outputs", "--jobs", "1", "-q"]  # a preview, in outputs/
    for name in formats or ("probe",):
        command += ["-f", name]
    environment = {**os.environ, **{key: str(value) for key, value in env.items()}}
    return subprocess.Popen(command, cwd=project, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the build ended (exit {process.returncode}) before {path.name}: {out!r} {err!r}")
        assert time.monotonic() < deadline, f"the build never reached {path.name}"
        time.sleep(0.02)


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL


def probe_files(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((project / "outputs" / "probe").glob("*.txt"))}


def test_a_plugin_that_raises_part_way_names_format_and_job_and_changes_nothing(probe_project, tmp_path, run_cli):
    before = tree(probe_project / "outputs")
    log = tmp_path / "rendered.log"
    env = {"PROBE_GEN": "second", "PROBE_RAISE": "4", "PROBE_LOG": str(log)}
    result = run_cli(
        "build", "--as-of", AS_OF, "--output", "outputs", "--jobs", "1", "-q", "-f", "probe", cwd=probe_project, env=env
    )
    assert result.exit_code == 1
    assert log.read_text().split() == ["part-1.txt", "part-2.txt", "part-3.txt"]  # it failed part-way
    message = result.stderr
    assert "plugin 'probe': crashed while rendering probe/part-4.txt: RuntimeError: probe failure in part 4" in message
    assert "Traceback" not in message
    assert tree(probe_project / "outputs") == before
    assert leftovers(probe_project) == []


@pytest.mark.parametrize("point", ["render:1", "render:4", "before-swap"])
def test_a_build_killed_before_the_swap_leaves_outputs_exactly_as_they_were(probe_project, tmp_path, point):
    before = tree(probe_project / "outputs")
    reached = tmp_path / "reached"
    process = start_build(probe_project, PROBE_GEN="second", PROBE_PAUSE=point, PROBE_REACHED=reached)
    wait_for(reached, process)
    assert leftovers(probe_project), "the staging tree should exist while the build runs"
    kill(process)
    assert tree(probe_project / "outputs") == before

    # The next build cleans up after the killed one and renders the new generation whole.
    build(probe_project / "content", formats=["probe"], jobs=1, as_of=_as_of())
    assert leftovers(probe_project) == []
    assert tree(probe_project / "outputs")["json/programme.json"] == before["json/programme.json"]
    assert {data.split()[0] for data in probe_files(probe_project).values()} == {b"first"}  # PROBE_GEN unset


@pytest.mark.parametrize("point", ["after-swap", "fallback-after-renames"])
def test_a_build_killed_after_the_swap_leaves_the_whole_new_outputs(probe_project, tmp_path, point):
    before = tree(probe_project / "outputs")
    reached = tmp_path / "reached"
    process = start_build(probe_project, PROBE_GEN="second", PROBE_PAUSE=point, PROBE_REACHED=reached)
    wait_for(reached, process)
    kill(process)
    after = tree(probe_project / "outputs")
    assert set(after) == set(before)
    assert after["json/programme.json"] == before["json/programme.json"]  # the other format carried over
    assert {data.split()[0] for data in probe_files(probe_project).values()} == {b"second"}  # never a mix
    assert leftovers(probe_project), "the previous tree is still beside outputs/ (it was being removed)"

    build(probe_project / "content", formats=["json"], jobs=1, as_of=_as_of())
    assert leftovers(probe_project) == []
    assert tree(probe_project / "outputs") == after


def test_an_interrupted_fallback_swap_is_undone_by_the_next_build(probe_project, monkeypatch):
    """Without renameat2 the swap is two renames; killed between them, outputs/ is missing until the next build."""
    before = tree(probe_project / "outputs")
    outputs = probe_project / "outputs"
    os.rename(outputs, probe_project / ".outputs.old-99999")
    (probe_project / ".outputs.staging-99999").mkdir()
    monkeypatch.setenv("PROBE_GEN", "second")
    monkeypatch.setenv("PROBE_RAISE", "2")
    with pytest.raises(PluginError, match="part-2"):
        build(probe_project / "content", formats=["probe"], jobs=1, as_of=_as_of())
    assert tree(outputs) == before
    assert leftovers(probe_project) == []


def test_no_space_left_on_device_names_the_output_and_changes_nothing(probe_project, monkeypatch):
    before = tree(probe_project / "outputs")
    real_open = open
    opened: list[str] = []

    class FullDisk:
        def __init__(self, path, mode):
            self.handle = real_open(path, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def open_for_staging(path, mode="r", *args, **kwargs):
        if ".staging-" in str(path):
            opened.append(Path(path).name)
        if len(opened) == 3 and ".staging-" in str(path):
            return FullDisk(path, mode)  # the third file written runs out of space
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(backpub.files.output, "open", open_for_staging, raising=False)
    monkeypatch.setenv("PROBE_GEN", "second")
    with pytest.raises(BackpubError) as caught:
        build(probe_project / "content", formats=["probe"], jobs=1, as_of=_as_of())
    assert "cannot write probe/part-3.txt: No space left on device" in str(caught.value)
    assert tree(probe_project / "outputs") == before
    assert leftovers(probe_project) == []


def test_a_really_full_filesystem_fails_cleanly_and_keeps_outputs(project, tmp_path, run_cli):
    """A real 256 KiB tmpfs: the first build fits, a filler leaves too little room for the next one."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()}); the patched test covers ENOSPC")
    try:
        outputs = disk / "outputs"
        args = ["build", "--content", "content", "--output", str(outputs), "-f", "json", "-f", "feed", "--as-of"]
        first = run_cli(*args, AS_OF, "--jobs", "1", cwd=project)
        assert first.exit_code == 0, first.output
        before = tree(outputs)
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        (disk / "filler").write_bytes(b"\0" * (free - 4096))
        second = run_cli(*args, AS_OF, "--jobs", "1", "--no-cache", cwd=project)
        assert second.exit_code == 1, second.output
        assert "No space left on device" in second.output
        assert "json/programme.json" in second.output or "feed/podcast.xml" in second.output
        assert "Traceback" not in second.output
        assert second.exception is None or isinstance(second.exception, SystemExit)
        assert tree(outputs) == before
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "outputs"]
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_two_builds_at_once_the_second_is_refused_and_outputs_are_never_mixed(probe_project, tmp_path):
    reached, release = tmp_path / "reached", tmp_path / "release"
    first = start_build(
        probe_project, PROBE_GEN="second", PROBE_PAUSE="render:3", PROBE_REACHED=reached, PROBE_RELEASE=release
    )
    wait_for(reached, first)
    second = start_build(probe_project, "probe", "json", PROBE_GEN="third")
    _, err = second.communicate(timeout=60)
    assert second.returncode == 1
    holder = reached.read_text()
    assert f"another backpub build is running on this project (pid {holder})" in err.decode()
    assert "Traceback" not in err.decode()
    release.touch()
    first.communicate(timeout=60)
    assert first.returncode == 0
    assert {data.split()[0] for data in probe_files(probe_project).values()} == {b"second"}
    assert leftovers(probe_project) == []


def test_a_killed_build_does_not_leave_the_project_locked(probe_project, tmp_path):
    reached = tmp_path / "reached"
    process = start_build(probe_project, PROBE_GEN="second", PROBE_PAUSE="render:2", PROBE_REACHED=reached)
    wait_for(reached, process)
    kill(process)
    report = build(probe_project / "content", formats=["probe"], jobs=1, as_of=_as_of(), use_cache=False)
    assert report.formats["probe"].written == 6
