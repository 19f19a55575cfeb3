"""`backpub build`: load and validate, plan every format's jobs, render what changed, commit atomically."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import json
import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from backpub import markdown, stamp
from backpub.errors import BackpubError, ConfigError, ContentError, PluginError, Problem, RenderError
from backpub.formats import BuildContext, Format, Job
from backpub.output import OutputWriter, ProjectLock, remove_stale_siblings, safe_relative
from backpub.plugins import PluginHost, make_host
from backpub.publication import Publication
from backpub.validation import Validation, load

STATE_FOLDER = ".backpub"
MANIFEST_VERSION = 2
MARKDOWN_FACTS = "markdown-facts.pickle"


@dataclass
class FormatReport:
    """What one format did in a build."""

    name: str
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    bytes: int = 0
    seconds: float = 0.0


@dataclass
class BuildReport:
    """What a build did: per-format figures, the outputs rendered, and the warnings it passed over."""

    output_dir: Path
    formats: dict[str, FormatReport] = field(default_factory=dict)
    rendered: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "output_dir": str(self.output_dir),
            "seconds": round(self.seconds, 3),
            "formats": {name: vars(report) for name, report in self.formats.items()},
            "rendered": self.rendered,
            "warnings": [problem.as_dict() for problem in self.warnings],
            "counts": self.counts,
        }


class Progress:
    """Receives progress events; the CLI shows them, tests ignore them."""

    def start(self, total: int) -> None:
        """`total` jobs will be rendered."""

    def advance(self, output: str) -> None:
        """One job finished."""

    def stop(self) -> None:
        """Rendering is over."""


@dataclass(frozen=True)
class PlannedJob:
    """A job with its format and fingerprint."""

    format_name: str
    job: Job
    fingerprint: str

    @property
    def path(self) -> str:
        return f"{self.format_name}/{self.job.output}"


def state_dir(project_dir: Path) -> Path:
    """The project's `.backpub/` folder (cache, state, lock)."""
    return project_dir / STATE_FOLDER


def build_time_for(publication: Publication, as_of: date) -> datetime:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else the start of `as_of` in the programme's timezone."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=UTC)
        except ValueError:
            raise ConfigError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {epoch!r}") from None
    return publication.at(as_of, datetime.min.time())


def load_checked(content_dir: Path, *, as_of: date | None, strict: bool, cache_dir: Path | None = None) -> Validation:
    """Load content (reusing the cached model in `cache_dir` when nothing changed); raise ContentError on errors
    (and on warnings under strict)."""
    validation = load(content_dir, as_of=as_of, cache_dir=cache_dir)
    failing = validation.errors + (validation.warnings if strict else [])
    if failing or validation.publication is None:
        raise ContentError([_strict(p) for p in validation.problems] if strict else validation.problems)
    return validation


def _strict(problem: Problem) -> Problem:
    if problem.severity == "warning":
        return Problem(problem.path, problem.line, problem.col, "error", problem.message, problem.entity)
    return problem


def make_context(
    publication: Publication, content_dir: Path, as_of: date, formats: Iterable[str], strict: bool
) -> BuildContext:
    """The build context every format sees."""
    project_dir = content_dir.resolve().parent
    return BuildContext(
        project_dir=project_dir,
        content_dir=content_dir.resolve(),
        as_of=as_of,
        build_time=build_time_for(publication, as_of),
        formats=tuple(formats),
        strict=strict,
        state_dir=state_dir(project_dir) / "state",
    )


def select_formats(available: dict[str, type[Format]], requested: Iterable[str] | None) -> list[str]:
    """The formats to build, in a stable order; an unknown name is an error with a suggestion."""
    if not requested:
        return sorted(available)
    chosen = []
    for name in requested:
        if name not in available:
            close = difflib.get_close_matches(name, list(available), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(available)) or "none"
            raise ConfigError(f"unknown format {name!r}{hint} (available: {known})")
        if name not in chosen:
            chosen.append(name)
    return chosen


def build(
    content_dir: Path,
    *,
    output_dir: Path | None = None,
    formats: Iterable[str] | None = None,
    as_of: date | None = None,
    strict: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
    host: PluginHost | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Build the requested formats (default: all) of a content folder into outputs/."""
    started = time.perf_counter()
    content_dir = Path(content_dir)
    if not content_dir.is_dir():
        raise ConfigError(f"content folder {str(content_dir)!r} does not exist")
    project_dir = content_dir.resolve().parent
    output_dir = Path(output_dir) if output_dir else project_dir / "outputs"
    host = host or make_host(project_dir=project_dir)
    names = select_formats(host.formats(), formats)
    requested_as_of = as_of
    with ProjectLock(state_dir(project_dir) / "build.lock"):
        stamp.forget(project_dir)
        cache_dir = state_dir(project_dir) / "cache" if use_cache else None
        if cache_dir:
            markdown.load_facts(cache_dir / MARKDOWN_FACTS)
        validation = load_checked(content_dir, as_of=as_of, strict=strict, cache_dir=cache_dir)
        publication = validation.publication
        assert publication is not None
        as_of = as_of or publication.today()
        context = make_context(publication, content_dir, as_of, names, strict)
        publication = dataclasses.replace(publication, links=host.links(publication, context))
        instances = {name: host.formats()[name](context, publication.programme.formats.get(name)) for name in names}
        warnings = _check(host, instances, publication, context, validation.warnings, strict)
        engine = _Engine(publication, context, instances, output_dir, project_dir, use_cache)
        report = engine.run(jobs or os.cpu_count() or 1, progress or Progress())
        if cache_dir:
            markdown.save_facts(cache_dir / MARKDOWN_FACTS)
        report.warnings = warnings
        report.counts = validation.counts
        report.seconds = time.perf_counter() - started
        if use_cache:
            folders = [_code_folder(type(instance)) for instance in instances.values()]
            code = [str(folder) for folder in folders if folder is not None]
            stamp.record(content_dir, output_dir, formats, requested_as_of, strict, code, report.as_dict())
    return report


def _check(
    host: PluginHost,
    instances: dict[str, Format],
    publication: Publication,
    context: BuildContext,
    warnings: list[Problem],
    strict: bool,
) -> list[Problem]:
    problems = list(host.check_publication(publication, context)) + run_checks(instances, publication)
    if any(p.severity == "error" for p in problems) or (strict and problems):
        raise ContentError(sorted([_strict(p) if strict else p for p in problems + warnings]))
    return warnings + problems


def run_checks(instances: dict[str, Format], publication: Publication) -> list[Problem]:
    """Every format's own content checks; an unexpected exception is attributed to the format."""
    problems: list[Problem] = []
    for name, instance in instances.items():
        problems.extend(_guard(name, "check", lambda instance=instance: instance.check(publication)))
        problems.extend(instance.theme_problems())
    return problems


class _Engine:
    """Plans jobs, decides which changed, renders them (in parallel when it pays) and commits."""

    def __init__(
        self,
        publication: Publication,
        context: BuildContext,
        instances: dict[str, Format],
        output_dir: Path,
        project_dir: Path,
        use_cache: bool,
    ) -> None:
        self.publication = publication
        self.context = context
        self.instances = instances
        self.output_dir = output_dir
        self.manifest_path = state_dir(project_dir) / "cache" / "manifest.json"
        self.use_cache = use_cache
        self._file_hashes: dict[Path, str] = {}

    def run(self, workers: int, progress: Progress) -> BuildReport:
        remove_stale_siblings(self.output_dir)  # a killed build's trees go even when nothing needs rendering
        planned = self.plan()
        previous = self._load_manifest() if self.use_cache else {}
        report = BuildReport(self.output_dir.resolve())
        report.formats = {name: FormatReport(name) for name in self.instances}
        if self._up_to_date(planned, previous):
            # Nothing to render or remove: leave outputs/ alone rather than re-link and swap every file.
            for item in planned:
                report.formats[item.format_name].unchanged += 1
            self._finish([])
            return report
        with OutputWriter(self.output_dir) as writer:
            self._carry_other_formats(writer)
            dirty = [p for p in planned if previous.get(p.path) != self._entry(p) or not writer.keep(p.path)]
            for item in planned:
                if item not in dirty:
                    report.formats[item.format_name].unchanged += 1
            self._render_all(dirty, writer, report, workers, progress)
            self._count_removed(planned, report)
            writer.commit()
        self._save_manifest(previous, planned)
        self._finish(dirty)
        report.rendered = [p.path for p in dirty]
        return report

    def _finish(self, dirty: list[PlannedJob]) -> None:
        for name, instance in self.instances.items():
            written = [p.job.output for p in dirty if p.format_name == name]
            _guard(
                name, "finish", lambda instance=instance, written=written: instance.finish(self.publication, written)
            )

    def _up_to_date(self, planned: list[PlannedJob], previous: dict[str, str]) -> bool:
        """Whether every job's fingerprint is unchanged and each built format's folder holds exactly its files."""
        if any(previous.get(item.path) != self._entry(item) for item in planned):
            return False
        expected = {item.path for item in planned}
        found: set[str] = set()
        for name in self.instances:
            folder = self.output_dir / name
            for root, folders, files in os.walk(folder):
                if any(Path(root, entry).is_symlink() for entry in folders):
                    return False  # a build never writes symlinks: something else changed outputs/
                found.update(Path(root, entry).relative_to(self.output_dir).as_posix() for entry in files)
        return found == expected and all((self.output_dir / path).is_file() for path in expected)

    # -- planning --------------------------------------------------------------------------------

    def plan(self) -> list[PlannedJob]:
        planned: list[PlannedJob] = []
        for name, instance in self.instances.items():
            jobs = _guard(name, "jobs", lambda instance=instance: instance.jobs(self.publication))
            seen: set[str] = set()
            for job in jobs:
                safe_relative(job.output)
                if job.output in seen:
                    raise PluginError(name, f"two jobs declare the same output {job.output!r}")
                seen.add(job.output)
                planned.append(PlannedJob(name, job, self.fingerprint(instance, job)))
        return planned

    def fingerprint(self, instance: Format, job: Job) -> str:
        """A hash of everything the job declared it uses; equal fingerprints mean equal bytes."""
        hashes = self.publication.hashes
        unknown = sorted(set(job.entities) - hashes.keys())
        if unknown:
            raise PluginError(instance.name, f"job {job.output!r} depends on unknown entities {unknown}")
        payload = {
            "format": [
                instance.name,
                instance.version,
                _code_hash(type(instance)),
                instance.options.model_dump(mode="json"),
            ],
            "job": [job.output, _jsonable(job.args), _jsonable(job.values)],
            "programme": self.publication.programme_hash,
            "entities": {entity_id: hashes[entity_id] for entity_id in sorted(job.entities)},
            "assets": {path: self._hash_file(self.publication.asset(path)) for path in sorted(job.assets)},
            "templates": {str(path): self._hash_file(Path(path)) for path in sorted(job.templates, key=str)},
        }
        data = json.dumps(payload, sort_keys=True, default=str).encode()
        return hashlib.sha256(data).hexdigest()

    def _hash_file(self, path: Path) -> str:
        if path not in self._file_hashes:
            try:
                self._file_hashes[path] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                self._file_hashes[path] = "missing"
        return self._file_hashes[path]

    # -- rendering -------------------------------------------------------------------------------

    def _carry_other_formats(self, writer: OutputWriter) -> None:
        if not self.output_dir.is_dir():
            return
        for child in sorted(self.output_dir.iterdir()):
            if child.name not in self.instances:
                if child.is_dir():
                    writer.keep_tree(child.name)
                elif child.is_file():
                    writer.keep(child.name)

    def _render_all(
        self, dirty: list[PlannedJob], writer: OutputWriter, report: BuildReport, workers: int, progress: Progress
    ) -> None:
        if not dirty:
            return
        workers = max(1, min(workers, len(dirty)))
        progress.start(len(dirty))
        try:
            for item, outcome in _run_jobs(dirty, self.publication, self.instances, workers):
                data, seconds = _unwrap(item, outcome)
                writer.write(item.path, data)
                stats = report.formats[item.format_name]
                stats.written += 1
                stats.bytes += len(data)
                stats.seconds += seconds
                progress.advance(item.path)
        finally:
            progress.stop()

    def _count_removed(self, planned: list[PlannedJob], report: BuildReport) -> None:
        planned_paths = {p.path for p in planned}
        for name in self.instances:
            folder = self.output_dir / name
            if folder.is_dir():
                for path in folder.rglob("*"):
                    if path.is_file() and path.relative_to(self.output_dir).as_posix() not in planned_paths:
                        report.formats[name].removed += 1

    # -- the cache manifest ----------------------------------------------------------------------

    def _entry(self, item: PlannedJob) -> str | None:
        """The manifest entry for a job's output as it is now: its fingerprint and the file's size and mtime.

        An output edited or replaced behind backpub's back no longer matches, so it is rendered again.
        """
        try:
            info = (self.output_dir / item.path).stat()
        except OSError:
            return None
        return f"{item.fingerprint}:{info.st_size}:{info.st_mtime_ns}"

    def _load_manifest(self) -> dict[str, str]:
        try:
            data = json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            return {}
        if data.get("version") != MANIFEST_VERSION:
            return {}
        return dict(data.get("outputs", {}))

    def _save_manifest(self, previous: dict[str, str], planned: list[PlannedJob]) -> None:
        outputs = {path: fp for path, fp in previous.items() if path.split("/", 1)[0] not in self.instances}
        outputs.update({p.path: self._entry(p) for p in planned})
        self.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.manifest_path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"version": MANIFEST_VERSION, "outputs": outputs}, sort_keys=True))
        os.replace(temporary, self.manifest_path)


def _code_folder(cls: type) -> Path | None:
    """The folder of the package that defines a format (None for a single-module plugin)."""
    module = sys.modules.get(cls.__module__)
    source = Path(getattr(module, "__file__", "") or "")
    return source.parent if source.name == "__init__.py" else None


@functools.cache
def _code_hash(cls: type) -> str:
    """A hash of the files of the package that defines a format (code, templates, styles), so changes re-render."""
    module = sys.modules.get(cls.__module__)
    source = Path(getattr(module, "__file__", "") or "")
    if not source.is_file():
        return ""
    folder = _code_folder(cls)
    return stamp.folder_digest(folder)[:20] if folder else hashlib.sha256(source.read_bytes()).hexdigest()[:20]


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _guard(format_name: str, step: str, call: Callable[[], Any]) -> Any:
    """Run a format's lifecycle step, attributing any unexpected exception to the format."""
    try:
        return call()
    except BackpubError:
        raise
    except Exception as exc:
        raise PluginError(format_name, f"{step} raised {type(exc).__name__}: {exc}") from exc


# ---------------------------------------------------------------------------------------------
# Running jobs: in this process or in forked workers that inherit the publication.

_WORKER: dict[str, Any] = {}


def _run_jobs(dirty: list[PlannedJob], publication: Publication, instances: dict[str, Format], workers: int):
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


def _render_one(format_name: str, job: Job) -> tuple[str, Any, float]:
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


def _unwrap(item: PlannedJob, outcome: tuple[str, Any, float]) -> tuple[bytes, float]:
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
