"""Rendering jobs in this process or in forked workers that inherit the publication; outcomes come back as data."""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from backpub.errors import BackpubError, PluginError, RenderError

if TYPE_CHECKING:
    from backpub.engine import PlannedJob
    from backpub.formats import Format, Job
    from backpub.publication import Publication

Outcome = tuple[str, Any, float]
"""(status, payload, seconds): plain data, so it crosses processes."""

_WORKER: dict[str, Any] = {}


def run_jobs(
    dirty: list[PlannedJob], publication: Publication, instances: dict[str, Format], workers: int
) -> Iterator[tuple[PlannedJob, Outcome]]:
    """Yield (planned job, outcome) as jobs finish; outcomes are plain data so they cross processes."""
    _WORKER.update(publication=publication, instances=instances, prepared=set())
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        for item in dirty:
            yield item, _render_one(item.format_name, item.job)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # Big jobs first (a clinic pack, the book), so no long job starts last and leaves a core idle.
        by_size = sorted(dirty, key=lambda item: len(item.job.entities), reverse=True)
        futures = [(item, pool.submit(_render_one, item.format_name, item.job)) for item in by_size]
        for item, future in futures:
            yield item, future.result()


def _render_one(format_name: str, job: Job) -> Outcome:
    """Render one job in whatever process this is; never raises (errors come back as data)."""
    started = time.perf_counter()
    instance: Format = _WORKER["instances"][format_name]
    publication: Publication = _WORKER["publication"]
    try:
        if format_name not in _WORKER["prepared"]:
            instance.prepare(publication)
            _WORKER["prepared"].add(format_name)
        data = instance.render(job, publication)
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"render returned {type(data).__name__}, not bytes")
        return "ok", bytes(data), time.perf_counter() - started
    except RenderError as exc:
        return "render-error", vars(exc.located(format_name=format_name, output=job.output)), 0.0
    except BackpubError as exc:
        return "backpub-error", str(exc), 0.0
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
