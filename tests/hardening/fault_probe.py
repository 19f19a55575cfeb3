"""A local format plugin for fault tests: copied into `<project>/local_plugins/`, steered by environment variables.

PROBE_GEN       a word written into every file (and declared in Job.values), so each build's files are recognisable
PROBE_LOG       a file that gets one line per rendered job
PROBE_RAISE     raise RuntimeError while rendering part N (1-based)
PROBE_PAUSE     where to stop and wait: "render:N" (before rendering part N), "before-swap" (all files staged,
                commit starting), "after-swap" (the new tree is in place, the old one not yet removed),
                "fallback-after-renames" (no renameat2: after both renames, before the old tree is removed)
PROBE_REACHED   a file created when the pause point is reached (the test then kills or releases the build)
PROBE_RELEASE   a file whose appearance ends the pause (at most 60 s)
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import backpub.files.output
from backpub import Format, Job, Publication, hookimpl

PARTS = 6


def _pause(point: str) -> None:
    if os.environ.get("PROBE_PAUSE") != point:
        return
    Path(os.environ["PROBE_REACHED"]).write_text(str(os.getpid()))
    release = Path(os.environ.get("PROBE_RELEASE", "/nonexistent"))
    deadline = time.monotonic() + 60
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def _hook_commit() -> None:
    """Widen the commit's windows so a test can kill the build inside them."""
    fsync, exchange, rmtree = (
        backpub.files.output._fsync_files,
        backpub.files.output._exchange,
        backpub.files.output.shutil.rmtree,
    )

    def fsync_then_pause(paths):
        fsync(paths)
        _pause("before-swap")

    def exchange_then_pause(a, b):
        if os.environ.get("PROBE_PAUSE", "").startswith("fallback"):
            return False  # as on a system without renameat2
        swapped = exchange(a, b)
        _pause("after-swap")
        return swapped

    def pause_then_rmtree(path, *args, **kwargs):
        if ".old-" in str(path):
            _pause("fallback-after-renames")
        return rmtree(path, *args, **kwargs)

    backpub.files.output._fsync_files = fsync_then_pause
    backpub.files.output._exchange = exchange_then_pause
    backpub.files.output.shutil.rmtree = pause_then_rmtree


class ProbeFormat(Format):
    """PARTS small text files; rendering part N can raise or pause."""

    name = "probe"

    def jobs(self, publication: Publication) -> list[Job]:
        generation = os.environ.get("PROBE_GEN", "first")
        return [
            Job(f"part-{n}.txt", entities=frozenset(publication.by_id), values=(generation,), args={"n": n})
            for n in range(1, PARTS + 1)
        ]

    def prepare(self, publication: Publication) -> None:
        if os.environ.get("PROBE_PAUSE"):
            _hook_commit()

    def render(self, job: Job, publication: Publication) -> bytes:
        n = job.args["n"]
        if os.environ.get("PROBE_RAISE") == str(n):
            raise RuntimeError(f"probe failure in part {n}")
        _pause(f"render:{n}")
        if os.environ.get("PROBE_LOG"):
            with open(os.environ["PROBE_LOG"], "a") as log:
                log.write(f"{job.output}\n")
        generation = job.values[0]
        return f"{generation} part {n} of {publication.programme.title}\n".encode()


@hookimpl
def register_formats() -> list[type[Format]]:
    return [ProbeFormat]
