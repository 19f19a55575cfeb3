"""`kill -9` of a `-j 2` build at random moments never wedges the project (issue 16, item 1).

Each kill is followed by a build that must succeed at once: the killed build's workers die with it (they are
not re-parented to PID 1 holding the lock), and no staging folder outlives the next build.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor, wait
from pathlib import Path

import pytest

from backpub.engine import workers

BACKPUB = str(Path(sys.executable).with_name("backpub"))
AS_OF = "2026-11-25"
PREVIEW_IN_OUTPUTS = ("--as-of", AS_OF, "--output", "outputs")
"""A build of a fixed day, written to outputs/ as asked (a preview would otherwise go to outputs/preview-<day>/)."""
KILLS = 10  # issue 16: ten kill -9 at random moments, each followed by a build that succeeds at once


def processes_mentioning(marker: str) -> list[int]:
    """Live processes whose command line names `marker` (the project's unique path), read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def children_of(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def staging(project: Path) -> list[Path]:
    return sorted(project.glob(".outputs.*"))


def run(project: Path, *args: str) -> subprocess.CompletedProcess:
    command = [BACKPUB, "build", "--content", str(project / "content"), *PREVIEW_IN_OUTPUTS, "-q", *args]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=120)


def build_here(run_cli, project: Path, *args: str):
    """A build in this test's process: what the builds around the kills are checked for is the state the killed
    build left in the project (its lock, its staging folder), which a process of its own would only start slower."""
    return run_cli("build", "--content", str(project / "content"), *PREVIEW_IN_OUTPUTS, "-q", *args, cwd=project)


def start(project: Path) -> subprocess.Popen:
    command = [BACKPUB, "build", "--content", str(project / "content"), *PREVIEW_IN_OUTPUTS, "-q"]
    command += ["-j", "2", "-f", "pdf", "--no-cache"]  # --no-cache: every job renders, in two workers
    return subprocess.Popen(command, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_until(condition, process: subprocess.Popen, timeout: float = 30) -> bool:
    """Wait for a sign of progress; False if the build ended first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the build made no progress"
        time.sleep(0.01)
    return True


def wait_gone(marker: str, timeout: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := processes_mentioning(marker)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return left


def test_kill_9_at_random_moments_never_wedges_the_next_build(project: Path, run_cli) -> None:
    marker = str(project / "content")
    first = build_here(run_cli, project, "-j", "2", "-f", "pdf", "-f", "json")
    assert first.exit_code == 0, first.output
    seed = random.randrange(1 << 30)
    chooser = random.Random(seed)
    lock = project / ".backpub" / "build.lock"
    for kill in range(KILLS):
        process = start(project)
        signs = {
            "locked": lambda process=process: lock.exists() and lock.read_text() == f"pid {process.pid}",
            "staging": lambda: bool(staging(project)),
            "workers": lambda process=process: len(children_of(process.pid)) >= 2,
        }
        sign = chooser.choice(sorted(signs))
        reached = wait_until(signs[sign], process)
        time.sleep(chooser.uniform(0, 0.6))
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
        where = f"kill {kill + 1} (seed {seed}, after {sign!r}, reached={reached})"

        orphans = wait_gone(marker)
        assert orphans == [], f"{where}: the killed build's processes live on: {orphans}"
        started = time.monotonic()
        after = build_here(run_cli, project, "-j", "2", "-f", "json")
        assert after.exit_code == 0, f"{where}: the next build failed: {after.output}"
        assert "another backpub build" not in after.output
        assert time.monotonic() - started < 30, f"{where}: the next build did not start at once"
        assert staging(project) == [], f"{where}: a staging folder outlived the next build"

    final = build_here(run_cli, project, "-j", "2", "-f", "pdf")
    assert final.exit_code == 0, final.output
    assert staging(project) == []
    assert processes_mentioning(marker) == []
    assert sorted(p.name for p in (project / "outputs" / "pdf").iterdir())


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_a_worker_that_dies_names_its_job_and_plugin(project: Path, how: str) -> None:
    """A segfault or the out-of-memory killer in a worker: a one-line error naming the job, not BrokenProcessPool."""
    plugins = project / "local_plugins"
    plugins.mkdir()
    (plugins / "dying.py").write_text(DYING_PLUGIN.replace("HOW", how))
    result = run(project, "-j", "2", "-f", "dying")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "BrokenProcessPool" not in result.stderr
    assert "plugin 'dying': a worker process died while rendering dying/" in result.stderr
    assert processes_mentioning(str(project / "content")) == []


DYING_PLUGIN = '''
"""A format whose render kills the worker process."""
import os
import signal

from backpub import Format, Job, hookimpl


class Dying(Format):
    name = "dying"

    def jobs(self, publication):
        return [Job(f"part-{n}.txt", args={"n": n}) for n in range(3)]

    def render(self, job, publication):
        if "HOW" == "exit":
            os._exit(7)
        os.kill(os.getpid(), signal.SIGKILL)


@hookimpl
def register_formats():
    return [Dying]
'''


class SubmitsOnlyOnceTheFirstWorkerDied(ProcessPoolExecutor):
    """A pool whose next submit waits until the first job is over: what a loaded machine does by chance when it
    leaves the build's main process off the CPU between two submits while a worker dies."""

    first: Future | None = None

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if self.first is not None:
            wait([self.first])
        future = super().submit(fn, *args, **kwargs)
        self.first = self.first or future
        return future


def test_a_worker_that_dies_before_the_next_job_is_handed_out_is_named_too(
    project: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool is broken when the build hands out its next job: the same one-line error, never a traceback."""
    monkeypatch.setattr(workers, "ProcessPoolExecutor", SubmitsOnlyOnceTheFirstWorkerDied)
    (project / "local_plugins").mkdir()
    (project / "local_plugins" / "dying.py").write_text(DYING_PLUGIN.replace("HOW", "exit"))
    result = build_here(run_cli, project, "-j", "2", "-f", "dying")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "BrokenProcessPool" not in result.output
    assert "plugin 'dying': a worker process died while rendering dying/part-0.txt" in result.output
