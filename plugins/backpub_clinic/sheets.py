"""Sheets made warm: the programme loaded once, the renderer prepared once, each prescription rendered on request.

The format that renders prescriptions (`Format.on_request`; the PDF format ships one) is found among the
installed ones, prepared once (its heavy imports, templates, fonts), and warmed up with a sample sheet of no one,
so the first clinician does not wait for it. A command renders in its own process. A service renders in `workers`
processes, started with it, so that as many sheets render at once as there are workers (rendering is CPU work that
threads of one process cannot share): each loads the programme once, prepares the format and renders the sample
sheet before the service answers its first request.

The workers are new processes (the `spawn` start method), not copies of the service's: a renderer may run threads of
its own once it has rendered (Typst does), and a copy of a process with threads can hang in its first render.

A worker that dies (a crash, the out-of-memory killer) fails the requests it was rendering (503) and is replaced
at once, with the others, by new warm workers: the next request is served.

A prescription travels to a worker and its sheet back through pipes, in memory: nothing of it is written anywhere.
A failure is reported by its kind alone (never its message, which may quote what was prescribed).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from backpub import BackpubError, ConfigError, Format, Prescription, PrescriptionError, Publication, Session

WORKER_START_SECONDS = 120
"""How long the render workers may take to start, load the programme and render their sample sheet (a second or
two each, on an idle machine)."""

_WORKER: dict[str, Sheets] = {}
"""In a render worker: its own Sheets, rendering in that process."""


class SheetFailed(BackpubError):
    """A sheet could not be rendered; says only what kind of failure it was."""


def renderer_of(session: Session, name: str | None) -> Format:
    """The installed format that renders prescriptions on request (`name` chooses among several)."""
    instances = session.formats(None)
    able = sorted(found for found, instance in instances.items() if Prescription.kind in instance.on_request)
    if name is not None:
        if name not in able:
            raise ConfigError(f"format {name!r} does not render prescriptions (these do: {', '.join(able) or 'none'})")
        return instances[name]
    if not able:
        raise ConfigError("no installed format renders prescriptions (the pdf plugin does: is it installed?)")
    return instances[able[0]]


class Sheets:
    """Renders prescriptions with one format, kept warm; in `workers` processes (0: in this process)."""

    def __init__(self, session: Session, format_name: str | None = None, *, workers: int = 0, warm: bool = True):
        self.publication: Publication = session.publication
        self.format = renderer_of(session, format_name)
        self.format.prepare(self.publication)
        self.workers = workers
        self._content_dir = session.paths.content_dir
        self._format_name = format_name
        self._warm = warm
        self._lock = threading.Lock()  # one render at a time in this process (the renderer is not shared by threads)
        self._pool: ProcessPoolExecutor | None = None
        if workers:
            self._pool = self._start_pool()
        elif warm:
            self._warm_up(session)

    def render(self, prescribed: Any) -> bytes:
        """The sheet's bytes. SheetFailed (naming only the kind of failure) when it cannot be made."""
        pool = self._pool
        if pool is None:
            with self._lock:
                return _render(self.format, prescribed, self.publication)
        try:
            outcome = pool.submit(_render_in_worker, prescribed).result()
        except BrokenProcessPool:
            self._replace(pool)
            raise SheetFailed("a worker process stopped; it was started again") from None
        if isinstance(outcome, str):
            raise SheetFailed(outcome)
        return outcome

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _warm_up(self, session: Session) -> None:
        """Render a sheet for no one (the first clinic and protocol that may be printed), then forget it."""
        for clinic in self.publication.clinics:
            for protocol in self.publication.protocols:
                sample = {"clinic": clinic.id, "clinician": clinic.title, "exercises": [{"protocol": protocol.id}]}
                try:
                    prescribed = session.prescription(sample)
                except PrescriptionError:
                    continue
                _render(self.format, prescribed, self.publication)
                return

    def _start_pool(self) -> ProcessPoolExecutor:
        """The workers, started now, each warm before it answers `_ready` (one `_ready` a worker: the spawn start
        method starts a worker for each task while none is idle)."""
        before = set(multiprocessing.active_children())
        pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._content_dir, self._format_name, self._warm),
        )
        try:
            for future in [pool.submit(_ready) for _ in range(self.workers)]:
                future.result(timeout=WORKER_START_SECONDS)
        except (TimeoutError, BrokenProcessPool):
            # A worker that cannot start (the programme no longer loads, say) or hangs stops the service.
            for worker in set(multiprocessing.active_children()) - before:
                worker.kill()
            pool.shutdown(wait=False, cancel_futures=True)
            raise SheetFailed(f"the render workers did not start within {WORKER_START_SECONDS} s") from None
        return pool

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """New workers for a pool one of whose workers died (once, however many requests found it broken)."""
        with self._lock:
            if self._pool is broken:
                broken.shutdown(wait=False, cancel_futures=True)
                self._pool = self._start_pool()


def _render(renderer: Format, prescribed: Any, publication: Publication) -> bytes:
    return renderer.render_on_request(Prescription.kind, prescribed, publication)


def _start_worker(content_dir: Path, format_name: str | None, warm: bool) -> None:
    """A new render worker: quiet (Ctrl-C stops the service, which stops it; renderers' warnings go nowhere), the
    programme loaded, the format prepared and warm."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    quiet_renderer_logs()
    _WORKER["sheets"] = Sheets(Session(content_dir), format_name, warm=warm)


def _render_in_worker(prescribed: Any) -> bytes | str:
    """In a worker: the sheet's bytes, or the kind of failure (an exception's message may quote the request)."""
    try:
        return _WORKER["sheets"].render(prescribed)
    except Exception as exc:  # (reported by kind only, whatever it was)
        return type(exc).__name__


def _ready() -> bool:
    return True


def quiet_renderer_logs() -> None:
    """A renderer's or a font tool's warning could quote a sheet's text: theirs go nowhere (their errors still fail
    the render, which the service reports by kind)."""
    for name in ("weasyprint", "fontTools", "PIL"):
        logger = logging.getLogger(name)
        logger.propagate = False
        logger.addHandler(logging.NullHandler())
