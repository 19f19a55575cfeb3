"""Sheets made warm: the programme loaded once, the renderer prepared once, each prescription rendered on request.

The format that renders prescriptions (`Format.on_request`; the PDF format ships one) is found among the
installed ones, prepared once (its heavy imports, templates, fonts), and warmed up with a sample sheet of no one,
so the first clinician does not wait for it. A service renders in worker processes forked from that warm process
(`workers` > 0; each inherits the loaded programme and renderer, so none starts cold), since rendering is CPU work
that threads of one process cannot share; a command renders in its own process.

A prescription travels to a worker and its sheet back through pipes, in memory: nothing of it is written anywhere.
A failure is reported by its kind alone (never its message, which may quote what was prescribed).
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from backpub import BackpubError, ConfigError, Format, Prescription, PrescriptionError, Publication, Session

_WARM: dict[str, Any] = {}
"""What a forked worker inherits: the publication and the prepared format."""


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
    """Renders prescriptions with one format, kept warm; `workers` forked processes (0: in this process)."""

    def __init__(self, session: Session, format_name: str | None = None, *, workers: int = 0, warm: bool = True):
        self.publication: Publication = session.publication
        self.format = renderer_of(session, format_name)
        self.format.prepare(self.publication)
        self.workers = workers
        self._lock = threading.Lock()  # one render at a time in this process (the renderer is not shared by threads)
        self._pool: ProcessPoolExecutor | None = None
        if warm:
            self._warm_up(session)
        if workers:
            _WARM.update(publication=self.publication, format=self.format)
            self._pool = self._start_pool()

    def render(self, prescribed: Any) -> bytes:
        """The sheet's bytes. SheetFailed (naming only the kind of failure) when it cannot be made."""
        if self._pool is None:
            with self._lock:
                return _render(self.format, prescribed, self.publication)
        try:
            outcome = self._pool.submit(_render_in_worker, prescribed).result()
        except BrokenProcessPool:
            self._restart()
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
        # Forked now, before the server starts its threads: every worker is a copy of this warm process.
        pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("fork"), initializer=_quiet_worker
        )
        for future in [pool.submit(_ready) for _ in range(self.workers)]:
            future.result()
        return pool

    def _restart(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._start_pool()


def _render(renderer: Format, prescribed: Any, publication: Publication) -> bytes:
    return renderer.render_on_request(Prescription.kind, prescribed, publication)


def _render_in_worker(prescribed: Any) -> bytes | str:
    """In a worker: the sheet's bytes, or the kind of failure (an exception's message may quote the request)."""
    try:
        return _render(_WARM["format"], prescribed, _WARM["publication"])
    except Exception as exc:  # (reported by kind only, whatever it was)
        return type(exc).__name__


def _ready() -> bool:
    return True


def _quiet_worker() -> None:
    """Ctrl-C stops the service, which stops its workers: they do not print a traceback of their own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
