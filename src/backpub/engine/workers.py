"""Rendering jobs in this process or in forked workers that inherit the publication; outcomes come back as data.

The engine renders through an `Executor`: `LocalPool` (this module, the default) or a Dask cluster
(`backpub.engine.cluster`); both yield the same outcomes, and only the engine writes them."""

from __future__ import annotations

import functools
import gc
import heapq
import multiprocessing
import os
import signal
import time
import traceback
from collections.abc import Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from backpub.errors import BackpubError, PluginError, RenderError
from backpub.files.output import libc_function
from backpub.formats import SERVICE_FOLDER, inputs_from

if TYPE_CHECKING:
    from backpub.content.publication import Publication
    from backpub.formats import Format, Job


@dataclass(frozen=True)
class PlannedJob:
    """A job with its format and fingerprint."""

    format_name: str
    job: Job
    fingerprint: str

    @property
    def path(self) -> str:
        """Where the file goes in outputs/: `<format>/<output>`, or `service/<format>/<output>` for the
        subscription service's files (`Job.audience` "members")."""
        if self.job.for_members:
            return f"{SERVICE_FOLDER}/{self.format_name}/{self.job.output}"
        return f"{self.format_name}/{self.job.output}"

    @property
    def input_paths(self) -> list[str]:
        """The paths (like `path`) of the outputs this job is made from."""
        return [f"{self.format_name}/{output}" for output in self.job.inputs]


Outcome = tuple[str, Any, float]
"""(status, payload, seconds): plain data, so it crosses processes."""

_WORKER: dict[str, Any] = {}


class Executor(Protocol):
    """Where render jobs run. Whatever the place, outcomes come back as data to the one process that writes."""

    def run(
        self, dirty: list[PlannedJob], publication: Publication, instances: dict[str, Format], inputs: Path
    ) -> Iterator[tuple[PlannedJob, Outcome]]:
        """Yield (planned job, outcome) as jobs finish, as `run_jobs` does (its contract on inputs included)."""
        ...


@dataclass(frozen=True)
class LocalPool:
    """This machine's worker processes (forked, so they inherit the publication): the default executor."""

    workers: int

    def run(
        self, dirty: list[PlannedJob], publication: Publication, instances: dict[str, Format], inputs: Path
    ) -> Iterator[tuple[PlannedJob, Outcome]]:
        workers = max(1, min(self.workers, len(dirty)))
        return run_jobs(dirty, publication, instances, workers, inputs)


def run_jobs(
    dirty: list[PlannedJob], publication: Publication, instances: dict[str, Format], workers: int, inputs: Path
) -> Iterator[tuple[PlannedJob, Outcome]]:
    """Yield (planned job, outcome) as jobs finish; outcomes are plain data so they cross processes.

    A job made from other outputs (`Job.inputs`) starts once those among `dirty` were yielded: the caller writes
    each yielded output into `inputs` (the outputs being built, where every other input already is)."""
    _WORKER.update(publication=publication, instances=instances, prepared=set(), inputs=inputs)
    waiting = Waiting(dirty)
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        while (item := waiting.take()) is not None:
            yield item, _render_one(item.format_name, item.job)
            waiting.done(item)
        return
    context = multiprocessing.get_context("fork")
    initializer = functools.partial(_die_with_parent, os.getpid())
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=initializer) as pool:
        running: dict[Future[Outcome], PlannedJob] = {}
        while running or waiting:
            # A few jobs queued per worker, not all: a job whose inputs just finished (a pack) goes next.
            while len(running) < 2 * workers and (item := waiting.take()) is not None:
                try:
                    running[pool.submit(_render_one, item.format_name, item.job)] = item
                except BrokenProcessPool:
                    break  # a worker died since the last submit: its job's future, below, says which one
            if not running:  # cannot happen for a planned build (plan() refuses cycles): never wait for ever
                raise RuntimeError(f"jobs wait for each other: {[item.path for item in waiting.jobs]}")
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                item = running.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    raise PluginError(item.format_name, _died(item)) from None
                yield item, outcome
                waiting.done(item)


class Waiting:
    """The jobs not started yet, each ready once the dirty jobs it is made from are done; `take` gives the first
    ready job in this order:

    1. a job made from others, as soon as they are done (a clinic's pack once its editions are: its inputs are
       fresh, and its clinic complete), the bigger first;
    2. a job others are made from (an edition of a pack, a layout many editions share), by its first user's
       place, so the jobs made from it can start early;
    3. the rest, big jobs first (the book), so no long job starts last and leaves a core idle.
    """

    def __init__(self, dirty: list[PlannedJob]) -> None:
        making = {item.path for item in dirty}
        used_by: dict[str, int] = {}  # an input's path: the first job made from it
        for index, item in enumerate(dirty):
            for needed in item.input_paths:
                used_by.setdefault(needed, index)
        self.needs = {item.path: set(item.input_paths) & making for item in dirty}

        def rank(index: int) -> tuple[int, int]:
            item = dirty[index]
            if self.needs[item.path]:
                return (0, -len(item.job.entities))
            if item.path in used_by:
                return (1, used_by[item.path])
            return (2, -len(item.job.entities))

        self.order = list(dirty)
        self.ranks = {item.path: (*rank(index), index) for index, item in enumerate(dirty)}
        self.taken: set[str] = set()
        self.made_from: dict[str, list[str]] = {}  # a dirty input's path: the jobs waiting for it
        for path, needs in self.needs.items():
            for needed in needs:
                self.made_from.setdefault(needed, []).append(path)
        self.ready = [self.ranks[path] for path, needs in self.needs.items() if not needs]
        heapq.heapify(self.ready)
        self.left = len(dirty)

    def __bool__(self) -> bool:
        return self.left > 0

    @property
    def jobs(self) -> list[PlannedJob]:
        """The jobs not taken yet."""
        return [item for item in self.order if item.path not in self.taken]

    def take(self) -> PlannedJob | None:
        """The first ready job (see the class), no longer waiting; None when none is ready, yet or at all."""
        if not self.ready:
            return None
        *_, index = heapq.heappop(self.ready)
        self.left -= 1
        item = self.order[index]
        self.taken.add(item.path)
        return item

    def done(self, finished: PlannedJob) -> None:
        for path in self.made_from.get(finished.path, ()):
            needs = self.needs[path]
            needs.discard(finished.path)
            if not needs:
                heapq.heappush(self.ready, self.ranks[path])


def _died(item: PlannedJob) -> str:
    return (
        f"a worker process died while rendering {item.path} (killed by the system, for example when memory ran "
        "out, or crashed in a library); try again with --jobs 1 to see which step fails"
    )


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """In a worker: be killed when the build that forked it dies, however it dies (`kill -9` included).

    Without this a killed build's workers are re-parented to PID 1 and block for ever on a pipe nobody reads."""
    prctl = libc_function("prctl")
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the build died before the request above took effect
        os._exit(1)


def _render_one(format_name: str, job: Job) -> Outcome:
    """Render one job in whatever process this is; never raises (errors come back as data)."""
    return render_in(_WORKER, format_name, job, _WORKER["inputs"])


def render_in(state: dict[str, Any], format_name: str, job: Job, inputs: Path | Mapping[str, bytes]) -> Outcome:
    """Render one job with a worker's `state` (its publication, format instances and the formats it prepared),
    reading the job's inputs from `inputs` (see `inputs_from`); never raises (errors come back as data)."""
    started = time.perf_counter()
    instance: Format = state["instances"][format_name]
    publication: Publication = state["publication"]
    if job.for_members:  # the service's files, and only they, show members-only content in full
        publication = publication.members
    try:
        if format_name not in state["prepared"]:
            instance.prepare(publication)
            state["prepared"].add(format_name)
            # What prepare() loaded (a renderer's modules, fonts, stylesheets) lives as long as the process: out
            # of the collector's sight, the collections each render sets off do not walk it again and again.
            gc.collect()
            gc.freeze()
        with inputs_from(inputs):
            data = instance.render(job, publication)
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"render returned {type(data).__name__}, not bytes")
        return "ok", bytes(data), time.perf_counter() - started
    except RenderError as exc:
        return "render-error", vars(exc.located(format_name=format_name, output=job.output)), 0.0
    except BackpubError as exc:
        return "backpub-error", str(exc), 0.0
    except SystemExit as exc:  # a plugin calling sys.exit() must not end the build silently with its code
        return "crash", f"called exit({exc.code!r})\n{traceback.format_exc()}", 0.0
    except Exception as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return "crash", f"{detail}\n{traceback.format_exc()}", 0.0


def unwrap(item: PlannedJob, outcome: Outcome) -> tuple[bytes, float]:
    """The rendered bytes and seconds, or the failure raised as a located error naming the format."""
    status, payload, seconds = outcome
    if status == "ok":
        return payload, seconds
    if status == "render-error":
        fields = {key: payload[key] for key in ("format_name", "output", "path", "line", "entity")}
        raise RenderError(payload["message"], **fields)
    if status == "backpub-error":
        raise PluginError(item.format_name, f"{payload} (while rendering {item.path})")
    summary, _, trace = payload.partition("\n")
    error = PluginError(item.format_name, f"crashed while rendering {item.path}: {summary}")
    error.traceback = trace  # type: ignore[attr-defined]
    raise error
