"""`backpub build`: the steps of a build. Finish at once when nothing changed since the last build (the stamp),
else load and check through the session, let the engine render what changed, and keep the stamp.

Only the light modules are imported at the top: an unchanged build loads no model and no renderer."""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from backpub.engine import stamp
from backpub.engine.reports import BuildReport, FormatReport, Progress
from backpub.files.cache import folder_digest
from backpub.session import Session

if TYPE_CHECKING:
    from backpub.plugins import PluginHost

__all__ = ["BuildReport", "FormatReport", "Progress", "build", "build_session"]


def build(
    content_dir: Path | str | None = None,
    *,
    output_dir: Path | None = None,
    formats: Iterable[str] | None = None,
    as_of: date | None = None,
    strict: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
    host: PluginHost | None = None,
    progress: Progress | None = None,
    executor: str | None = None,
) -> BuildReport:
    """Build the requested formats (default: all) of a content folder into outputs/."""
    session = Session(content_dir, output_dir=output_dir, as_of=as_of, strict=strict, use_cache=use_cache, host=host)
    return build_session(session, formats, jobs=jobs, progress=progress, executor=executor)


def build_session(
    session: Session,
    formats: Iterable[str] | None = None,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    executor: str | None = None,
) -> BuildReport:
    """Build with an open session: nothing when nothing changed since the last build (`report.unchanged`, unless
    the session does not use the cache), else check everything, render what changed, commit, keep the stamp.

    `executor` says where jobs render: None or 'local' for `jobs` local processes, `dask://HOST:PORT` for a
    Dask cluster (`backpub.engine.cluster`)."""
    started = time.perf_counter()
    requested = list(formats or [])
    if session.use_cache:
        last = stamp.unchanged_report(
            session.store,
            session.paths.content_dir,
            session.content_digest,
            session.paths.output_dir,
            requested or None,
            session.requested_as_of,
            session.strict,
            session.day_in,
        )
        if last is not None:
            return BuildReport.restated(last, time.perf_counter() - started)
    from backpub.engine.cluster import executor_for
    from backpub.engine.engine import Engine, Website
    from backpub.files.output import ProjectLock
    from backpub.files.outputguard import check_output_folder

    names = session.select(requested)
    paths = session.paths
    check_output_folder(paths.output_dir, paths.content_dir, paths.project_dir, session.host.formats())
    with ProjectLock(session.paths.state.lock):
        stamp.forget(session.store)
        instances = session.formats(names, renders=True)
        warnings = session.check(instances)
        website = Website.of(session.installed)
        engine = Engine(
            session.publication,
            instances,
            session.paths.output_dir,
            session.store,
            website,
            rerender=not session.use_cache,
        )
        where = executor_for(executor, jobs or os.cpu_count() or 1)
        with _model_out_of_the_collectors_sight():
            report = engine.run(where, progress or Progress())
        # What rendering found (`Format.finish`) comes after what the checks found before it.
        report.warnings = sorted([*warnings, *session.graded(report.warnings)])
        report.counts = session.validation.counts
        report.notes = _notes(session) + _unresolved_links(session, names)
        report.seconds = time.perf_counter() - started
        _record(session, requested, instances, report)
    return report


@contextlib.contextmanager
def _model_out_of_the_collectors_sight() -> Iterator[None]:
    """The loaded programme lives as long as the build: frozen, the garbage collections that rendering sets off
    (here and in the workers forked from here) no longer walk all of it each time, which made rendering a large
    programme grow faster than its size. Unfrozen after, so a long-running process (a preview) frees it. No full
    collection first: in a long-running process (a preview, a test run) it walks the whole heap at every build, and
    what garbage it would have found is frozen only until the build ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _notes(session: Session) -> list[str]:
    if session.is_preview:
        return [
            f"a preview as of {session.as_of.isoformat()} (today is {session.today.isoformat()}): nothing recorded; "
            f"written to {session.paths.output_dir}"
        ]
    return []


def _unresolved_links(session: Session, built: list[str]) -> list[str]:
    """A note for each format not built now, and never built, whose links other formats already print."""
    notes = []
    for name, instance in session.installed.items():
        if name in built or (session.paths.output_dir / name).exists():
            continue
        links = sorted(instance.links(session.publication).values())
        if links:
            example = session.publication.absolute(links[0])
            notes.append(f"links to the {name!r} format's files (e.g. {example}) will not resolve until it is built")
    return notes


def _record(session: Session, requested: list[str], instances: dict, report: BuildReport) -> None:
    from backpub.engine.engine import code_folder

    folders = [code_folder(type(instance)) for instance in instances.values()]
    stamp.record(
        session.store,
        session.paths.content_dir,
        folder_digest(session.paths.content_dir),  # afresh: a format's finish step may record into content/
        session.paths.output_dir,
        requested or None,
        requested_as_of=session.requested_as_of,
        as_of=session.as_of,
        timezone=session.timezone,
        strict=session.strict,
        code_folders=[str(folder) for folder in folders if folder is not None],
        report=report.as_dict(),
    )
