"""The build engine: plans every format's jobs, fingerprints them, renders what changed (in worker processes
when it pays), places published files into the website and commits outputs/ in one atomic step."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backpub.content.publication import Publication
from backpub.engine.reports import BuildReport, FormatReport, Progress
from backpub.engine.workers import Executor, LocalPool, PlannedJob, unwrap
from backpub.errors import PluginError, Problem, in_plugin
from backpub.files.cache import Store, atomic_write, folder_digest
from backpub.files.output import OutputWriter, remove_stale_siblings, safe_relative
from backpub.formats import SERVICE_FOLDER, Format, Job

MANIFEST_ENTRY = "manifest.pickle"
INTERMEDIATES = "intermediates"
"""The build cache's folder of intermediate jobs' files, one folder per format, each file named by its job's
fingerprint."""


@dataclass(frozen=True)
class Website:
    """Which format's folder is the website, and where every installed format publishes its files in it."""

    folder: str | None = None
    publishers: Mapping[str, Callable[[str, Publication], str | None]] = field(default_factory=dict)

    @classmethod
    def of(cls, formats: Mapping[str, Format]) -> Website:
        hosts = [name for name, instance in formats.items() if instance.hosts_website]
        if len(hosts) > 1:
            raise PluginError(hosts[1], f"hosts the website, but format {hosts[0]!r} already does")
        folder = hosts[0] if hosts else None
        publishers = {name: instance.website_path for name, instance in formats.items() if name != folder}
        return cls(folder, publishers)

    def placements(self, files_by_format: Mapping[str, list[str]], publication: Publication) -> dict[str, str]:
        """{path in outputs/: the published file it is a copy of} for every file other formats publish."""
        if self.folder is None:
            return {}
        placed: dict[str, str] = {}
        for name, outputs in sorted(files_by_format.items()):
            publish = self.publishers.get(name)
            if publish is None:
                continue
            for output in outputs:
                target = in_plugin(name, "website_path", functools.partial(publish, output, publication))
                if target:
                    placed[f"{self.folder}/{safe_relative(target)}"] = f"{name}/{output}"
        return placed


class Engine:
    """Plans jobs, decides which changed, renders them (in parallel when it pays) and commits."""

    def __init__(
        self,
        publication: Publication,
        instances: dict[str, Format],
        output_dir: Path,
        store: Store,
        website: Website | None = None,
        rerender: bool = False,
    ) -> None:
        self.publication = publication
        self.instances = instances
        self.output_dir = output_dir
        self.store = store
        self.website = website or Website()
        self.rerender = rerender
        """Render every job of these formats whatever the cache says (`--no-cache`); other formats' records stay."""
        self._file_hashes: dict[Path, str] = {}
        self._digests: dict[Any, str] = {}

    def run(self, executor: Executor | int, progress: Progress) -> BuildReport:
        """Render what changed where `executor` says (a number: that many local worker processes) and commit."""
        if isinstance(executor, int):
            executor = LocalPool(executor)
        remove_stale_siblings(self.output_dir)  # a killed build's trees go even when nothing needs rendering
        planned = self.plan()
        published = [item for item in planned if not item.job.intermediate]
        previous = self._load_manifest()
        placed = self.website.placements(self._published_files(published), self.publication)
        report = BuildReport(self.output_dir.resolve())
        report.formats = {name: FormatReport(name) for name in self.instances}
        if not self.rerender and self._up_to_date(published, previous, placed):
            # Nothing to render or remove: leave outputs/ alone rather than re-link and swap every file.
            for item in published:
                report.formats[item.format_name].unchanged += 1
            report.warnings = self._finish([])
            return report
        with OutputWriter(self.output_dir) as writer:
            self._carry_other_formats(writer, set(previous.get("placed", ())))
            outputs = previous.get("outputs", {})
            dirty = [
                p
                for p in published
                if self.rerender or outputs.get(p.path) != self._entry(p) or not writer.keep(p.path)
            ]
            rendering = {id(item) for item in dirty}  # a set: `item in dirty` made planning quadratic
            for item in published:
                if id(item) not in rendering:
                    report.formats[item.format_name].unchanged += 1
            dirty = self._intermediates_for(dirty, planned, writer) + dirty
            self._render_all(dirty, writer, report, executor, progress)
            self._count_removed(published, placed, report)
            for target, source in placed.items():
                writer.place(target, source)
            writer.commit()
        self._save_manifest(previous, published, placed)
        self._prune_intermediates(planned)
        report.warnings = self._finish([item for item in dirty if not item.job.intermediate])
        return report

    # -- intermediate jobs (`Job.intermediate`) ------------------------------------------------------

    def _intermediates_for(
        self, dirty: list[PlannedJob], planned: list[PlannedJob], writer: OutputWriter
    ) -> list[PlannedJob]:
        """The intermediate jobs to render for `dirty` (in plan order): those some job being rendered is made from
        whose file the build cache does not hold. The cached ones are put where their jobs read them."""
        by_path = {item.path: item for item in planned}
        seen: set[str] = set()
        rendered: set[str] = set()
        waiting = list(dirty)
        while waiting:
            for path in waiting.pop().input_paths:
                source = by_path[path]
                if not source.job.intermediate or path in seen:
                    continue
                seen.add(path)
                cached = self._intermediate_file(source)
                if not self.rerender and cached is not None and cached.is_file():
                    writer.stage(path, source=cached)
                else:
                    rendered.add(path)
                    waiting.append(source)
        return [item for item in planned if item.path in rendered]

    def _intermediate_file(self, item: PlannedJob) -> Path | None:
        """Where the build cache keeps an intermediate job's file (None without a cache)."""
        if self.store.folder is None:
            return None
        return self.store.folder / INTERMEDIATES / item.format_name / item.fingerprint

    def _keep_intermediate(self, item: PlannedJob, data: bytes) -> None:
        cached = self._intermediate_file(item)
        if cached is not None:
            with contextlib.suppress(OSError):  # (a cache that cannot be written costs the next build its shortcut)
                atomic_write(cached, data)

    def _prune_intermediates(self, planned: list[PlannedJob]) -> None:
        """Drop the cached intermediate files of the built formats that this build's plan no longer has."""
        if self.store.folder is None:
            return
        current = {(item.format_name, item.fingerprint) for item in planned if item.job.intermediate}
        for name in self.instances:
            folder = self.store.folder / INTERMEDIATES / name
            for path in folder.iterdir() if folder.is_dir() else ():
                if (name, path.name) not in current:
                    path.unlink(missing_ok=True)

    def _finish(self, dirty: list[PlannedJob]) -> list[Problem]:
        """Each format's finishing step; the warnings its rendering found."""
        found: list[Problem] = []
        for name, instance in self.instances.items():
            written = [p.job.output for p in dirty if p.format_name == name]
            warnings = in_plugin(name, "finish", functools.partial(instance.finish, self.publication, written))
            found += warnings or []
        return found

    def _published_files(self, planned: list[PlannedJob]) -> dict[str, list[str]]:
        """Every format's output files after this build: planned ones for built formats, the rest as they are."""
        files: dict[str, list[str]] = {name: [] for name in self.website.publishers}
        for item in planned:
            if not item.job.for_members:  # the service's files are never on the website
                files.setdefault(item.format_name, []).append(item.job.output)
        for name in files:
            folder = self.output_dir / name
            if name not in self.instances and folder.is_dir():
                files[name] = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        return files

    def _up_to_date(self, planned: list[PlannedJob], previous: dict[str, Any], placed: dict[str, str]) -> bool:
        """Whether every job's fingerprint is unchanged, each built format's folder holds exactly its files, and
        the website holds every published file."""
        outputs = previous.get("outputs", {})
        if any(outputs.get(item.path) != self._entry(item) for item in planned):
            return False
        if set(previous.get("placed", ())) != set(placed):
            return False
        expected = {item.path for item in planned} | {p for p in placed if p.split("/", 1)[0] in self.instances}
        found: set[str] = set()
        for folder in self._folders():
            for root, folders, files in os.walk(folder):
                if any(Path(root, entry).is_symlink() for entry in folders):
                    return False  # a build never writes symlinks: something else changed outputs/
                found.update(Path(root, entry).relative_to(self.output_dir).as_posix() for entry in files)
        if found != expected:
            return False
        return all(_same_file(self.output_dir / target, self.output_dir / source) for target, source in placed.items())

    # -- planning --------------------------------------------------------------------------------

    def plan(self) -> list[PlannedJob]:
        planned: list[PlannedJob] = []
        for name, instance in self.instances.items():
            jobs = in_plugin(name, "jobs", functools.partial(instance.jobs, self.publication))
            by_output: dict[str, Job] = {}
            for job in jobs:
                safe_relative(job.output)
                if job.output in by_output:
                    raise PluginError(name, f"two jobs declare the same output {job.output!r}")
                by_output[job.output] = job
            fingerprints = self._fingerprints(instance, by_output)
            planned.extend(PlannedJob(name, job, fingerprints[job.output]) for job in jobs)
        return planned

    def _fingerprints(self, instance: Format, jobs: Mapping[str, Job]) -> dict[str, str]:
        """Every job's fingerprint, a job's inputs first: a job made from other outputs changes with them."""
        done: dict[str, str] = {}

        def visit(output: str, chain: tuple[str, ...]) -> str:
            if output in chain:
                cycle = " -> ".join((*chain[chain.index(output) :], output))
                raise PluginError(instance.name, f"jobs are made from each other's outputs in a cycle: {cycle}")
            if output not in done:
                job = jobs[output]
                missing = [needed for needed in job.inputs if needed not in jobs]
                if missing:
                    raise PluginError(instance.name, f"job {output!r} is made from {missing[0]!r}, which no job makes")
                private = [needed for needed in job.inputs if jobs[needed].for_members]
                if private:
                    raise PluginError(
                        instance.name, f"job {output!r} is made from {private[0]!r}, a members' file: inputs are public"
                    )
                inputs = {needed: visit(needed, (*chain, output)) for needed in job.inputs}
                done[output] = self.fingerprint(instance, job, inputs)
            return done[output]

        for output in jobs:
            visit(output, ())
        return done

    def fingerprint(self, instance: Format, job: Job, inputs: Mapping[str, str] | None = None) -> str:
        """A hash of everything the job declared it uses; equal fingerprints mean equal bytes.

        `inputs` are the fingerprints of the outputs the job is made from (`Job.inputs`)."""
        inputs = dict(inputs or {})
        if set(inputs) != set(job.inputs):
            raise ValueError(f"the fingerprints of {job.output!r}'s inputs are needed: {sorted(job.inputs)}")
        hashes = self.publication.hashes
        unknown = sorted((set(job.entities) | set(job.fields)) - hashes.keys())
        if unknown:
            raise PluginError(instance.name, f"job {job.output!r} depends on unknown entities {unknown}")
        payload = {
            "format": self._format_digest(instance),
            "job": [job.output, _jsonable(job.args), _jsonable(job.values)],
            "programme": self.publication.programme_hash,
            "links": self._links_hash,
            "entities": {entity_id: hashes[entity_id] for entity_id in sorted(job.entities)},
            "fields": self._field_payload(instance, job),
            "assets": self._files_digest(frozenset(job.assets), self.publication.asset),
            "templates": self._files_digest(frozenset(job.templates), Path),
        }
        if job.inputs:  # (only then, so jobs made from nothing keep the fingerprints they had before inputs)
            payload["inputs"] = [[output, inputs[output]] for output in job.inputs]
        if job.for_members:  # (likewise: public jobs keep their fingerprints)
            payload["audience"] = job.audience
        data = json.dumps(payload, sort_keys=True, default=str).encode()
        return hashlib.sha256(data).hexdigest()

    def _field_payload(self, instance: Format, job: Job) -> dict[str, dict[str, str]]:
        """The digests of the fields a job declared, for the entities it does not depend on whole."""
        payload: dict[str, dict[str, str]] = {}
        for entity_id in sorted(set(job.fields) - set(job.entities)):
            digests = self.publication.field_hashes(entity_id)
            names = job.fields[entity_id]
            unknown = sorted(set(names) - digests.keys())
            if unknown:  # a misspelt field would silently drop a dependency
                raise PluginError(
                    instance.name, f"job {job.output!r} depends on unknown fields {unknown} of {entity_id!r}"
                )
            payload[entity_id] = {name: digests[name] for name in sorted(names)}
        return payload

    def _format_digest(self, instance: Format) -> str:
        """The format's name, version, code and options: the same for all its jobs, so worked out once."""
        if instance.name not in self._digests:
            described = [
                instance.name,
                instance.version,
                _code_hash(type(instance)),
                instance.options.model_dump(mode="json"),
            ]
            self._digests[instance.name] = _digest(described)
        return self._digests[instance.name]

    def _files_digest(self, files: frozenset[Any], locate: Callable[[Any], Path]) -> str:
        """A digest of some files' contents by name; jobs of a format share their sets, so each set once."""
        key = (locate, files)
        if key not in self._digests:
            self._digests[key] = _digest({str(name): self._hash_file(locate(name)) for name in sorted(files, key=str)})
        return self._digests[key]

    @functools.cached_property
    def _links_hash(self) -> str:
        """Where formats publish: a moved file changes every page that may link to it."""
        return hashlib.sha256(json.dumps(dict(self.publication.links), sort_keys=True).encode()).hexdigest()

    def _hash_file(self, path: Path) -> str:
        if path not in self._file_hashes:
            try:
                self._file_hashes[path] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                self._file_hashes[path] = "missing"
        return self._file_hashes[path]

    # -- rendering -------------------------------------------------------------------------------

    def _folders(self) -> list[Path]:
        """The folders of outputs/ this build's formats own: their own, and theirs in the service's folder."""
        return [folder for name in self.instances for folder in (self.output_dir / name, self._service(name))]

    def _service(self, name: str) -> Path:
        return self.output_dir / SERVICE_FOLDER / name

    def _carry_other_formats(self, writer: OutputWriter, placed_before: set[str]) -> None:
        if not self.output_dir.is_dir():
            return
        for child in sorted(self.output_dir.iterdir()):
            if child.name in self.instances:
                continue
            if child.name == SERVICE_FOLDER and child.is_dir():
                for own in sorted(child.iterdir()):
                    if own.name not in self.instances and own.is_dir():
                        writer.keep_tree(f"{SERVICE_FOLDER}/{own.name}")
                continue
            if child.is_dir():
                writer.keep_tree(child.name, skip=placed_before)
            elif child.is_file():
                writer.keep(child.name)

    def _render_all(
        self, dirty: list[PlannedJob], writer: OutputWriter, report: BuildReport, executor: Executor, progress: Progress
    ) -> None:
        if not dirty:
            return
        progress.start(len(dirty))
        try:
            # Wherever jobs run, their bytes come back here: this writer alone writes outputs/.
            for item, outcome in executor.run(dirty, self.publication, self.instances, writer.staging):
                data, seconds = unwrap(item, outcome)
                stats = report.formats[item.format_name]
                stats.seconds += seconds
                if item.job.intermediate:
                    writer.stage(item.path, data)  # for the jobs made from it, in this build only
                    self._keep_intermediate(item, data)
                    stats.intermediate += 1
                else:
                    writer.write(item.path, data)
                    report.rendered.append(item.path)  # in the order they were made
                    stats.written += 1
                    stats.bytes += len(data)
                progress.advance(item.path)
        finally:
            progress.stop()

    def _count_removed(self, planned: list[PlannedJob], placed: Mapping[str, str], report: BuildReport) -> None:
        """Count the files of each built format that this build drops: neither planned nor placed into it (the
        website holds other formats' files, which are carried, not removed)."""
        planned_paths = {p.path for p in planned} | set(placed)
        for name in self.instances:
            for folder in (self.output_dir / name, self._service(name)):
                for path in folder.rglob("*") if folder.is_dir() else ():
                    if path.is_file() and path.relative_to(self.output_dir).as_posix() not in planned_paths:
                        report.formats[name].removed += 1

    # -- the manifest ----------------------------------------------------------------------------

    def _entry(self, item: PlannedJob) -> str | None:
        """The manifest entry for a job's output as it is now: its fingerprint and the file's size and mtime.

        An output edited or replaced behind backpub's back no longer matches, so it is rendered again.
        """
        try:
            info = (self.output_dir / item.path).stat()
        except OSError:
            return None
        return f"{item.fingerprint}:{info.st_size}:{info.st_mtime_ns}"

    def _load_manifest(self) -> dict[str, Any]:
        manifest = self.store.get(MANIFEST_ENTRY, str(self.output_dir.resolve()))
        if isinstance(manifest, dict) and isinstance(manifest.get("outputs"), dict):
            return manifest
        return {"outputs": {}, "placed": []}

    def _save_manifest(self, previous: dict[str, Any], planned: list[PlannedJob], placed: dict[str, str]) -> None:
        kept = {p: fp for p, fp in previous["outputs"].items() if _format_of(p) not in self.instances}
        kept.update({p.path: self._entry(p) for p in planned})
        self.store.put(MANIFEST_ENTRY, str(self.output_dir.resolve()), {"outputs": kept, "placed": sorted(placed)})


def _format_of(path: str) -> str:
    """The format an outputs/ path belongs to (`<format>/...` or `service/<format>/...`)."""
    first, _, rest = path.partition("/")
    return rest.partition("/")[0] if first == SERVICE_FOLDER else first


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def code_folder(cls: type) -> Path | None:
    """The folder of the top-level package that defines a format, wherever in it the class is (None for a
    single-module plugin)."""
    package = sys.modules.get(cls.__module__.partition(".")[0])
    source = Path(getattr(package, "__file__", "") or "")
    return source.parent if source.name == "__init__.py" else None


@functools.cache
def _code_hash(cls: type) -> str:
    """A hash of the files of the package that defines a format (code, templates, styles), so changes re-render."""
    module = sys.modules.get(cls.__module__)
    source = Path(getattr(module, "__file__", "") or "")
    if not source.is_file():
        return ""
    folder = code_folder(cls)
    return folder_digest(folder)[:20] if folder else hashlib.sha256(source.read_bytes()).hexdigest()[:20]


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str))
