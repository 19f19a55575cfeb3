"""Rendering on a Dask distributed cluster: `backpub build --executor dask://HOST:PORT` (docs/scale.md).

The build stays where it is: it loads and validates the content, plans the jobs, and is the only process that
writes outputs/ (its atomic writer). The cluster only renders. What a worker needs travels with the build, so
no folder is shared: one `Snapshot` (the validated publication and the format instances, pickled once, plus the
content assets the jobs declare and the project's theme) is scattered to every worker, and each job is a task
that takes the snapshot, the job, and the outputs it is made from (`Job.inputs`: the futures of those rendered
in this build, so Dask moves their bytes from worker to worker; the bytes of those kept from the last build).
Outcomes come back as the same plain data the local pool returns, so the outputs are byte for byte the same.

A worker that dies takes its tasks with it; the scheduler runs them again on the others (up to Dask's
`distributed.scheduler.allowed-failures`), after which the build fails as it does when a local worker dies.
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import pickle
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from backpub.engine.workers import Executor, LocalPool, Outcome, PlannedJob, Waiting, render_in
from backpub.errors import ConfigError, PluginError

if TYPE_CHECKING:
    from backpub.content.publication import Publication
    from backpub.formats import Format, Job

SCHEMES = {"dask": "tcp", "dask+tls": "tls"}
"""The executor URL's scheme: Dask's own address scheme for it."""

CONNECT_TIMEOUT = "20s"


def executor_for(spec: str | None, jobs: int) -> Executor:
    """The executor a build asked for: `local` (or nothing) for this machine's pool of `jobs` processes, or
    `dask://HOST:PORT` (`dask+tls://HOST:PORT` with TLS) for a Dask cluster's scheduler."""
    if not spec or spec == "local":
        return LocalPool(jobs)
    return DaskExecutor(scheduler_address(spec))


def scheduler_address(spec: str) -> str:
    """The Dask address (`tcp://HOST:PORT`, `tls://HOST:PORT`) of an executor URL, or a ConfigError."""
    parts = urlsplit(spec)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in SCHEMES or not parts.hostname or port is None or parts.path not in ("", "/"):
        raise ConfigError(
            f"executor {spec!r}: expected 'local', dask://HOST:PORT or dask+tls://HOST:PORT (a Dask scheduler)"
        )
    return f"{SCHEMES[parts.scheme]}://{parts.netloc}"


@dataclass(frozen=True)
class Snapshot:
    """What a worker needs to render this build's jobs, sent once: the model and the files the jobs read."""

    digest: str
    model: bytes
    """pickle of (publication, format instances): validated in the build, never again on a worker."""
    files: Mapping[str, bytes]
    """Project-relative path: bytes of the content assets the jobs declare and every file of the theme."""
    content: str
    """The content folder's path relative to the project folder."""
    code: Mapping[str, str]
    """The digest of backpub's code and of each format's: a worker with other code would make other bytes."""

    @classmethod
    def of(cls, dirty: list[PlannedJob], publication: Publication, instances: dict[str, Format]) -> Snapshot:
        project = publication.content_dir.resolve().parent
        content = publication.content_dir.resolve()
        wanted: set[Path] = set()
        for item in dirty:
            wanted.update(publication.asset(name).resolve() for name in item.job.assets)
            wanted.update(Path(template).resolve() for template in item.job.templates)
        theme = project / "theme"
        if theme.is_dir():
            wanted.update(path.resolve() for path in theme.rglob("*") if path.is_file())
        files = {
            path.relative_to(project).as_posix(): path.read_bytes()
            for path in sorted(wanted)
            if path.is_relative_to(project) and path.is_file()  # (a format's own templates come with backpub)
        }
        model = pickle.dumps((publication, instances), protocol=pickle.HIGHEST_PROTOCOL)
        digest = hashlib.sha256(model)
        for name, data in files.items():
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        return cls(digest.hexdigest(), model, files, content.relative_to(project).as_posix(), code_digests(instances))


def code_digests(instances: Mapping[str, Format]) -> dict[str, str]:
    """The digests of backpub's code (the core's package) and of each format's, as the fingerprints see them."""
    from backpub.engine.engine import _code_hash

    return {"backpub": _code_hash(Snapshot)} | {
        name: _code_hash(type(instance)) for name, instance in instances.items()
    }


@dataclass(frozen=True)
class DaskExecutor:
    """Render on the Dask cluster whose scheduler is at `address`; the build's process gathers and writes."""

    address: str

    def run(
        self, dirty: list[PlannedJob], publication: Publication, instances: dict[str, Format], inputs: Path
    ) -> Iterator[tuple[PlannedJob, Outcome]]:
        from distributed import as_completed

        client = self._connect()
        futures: dict[Any, PlannedJob] = {}
        try:
            snapshot = client.scatter(Snapshot.of(dirty, publication, instances), broadcast=True, hash=False)
            futures = self._submit_all(client, snapshot, dirty, inputs)
            for future in as_completed(list(futures), loop=client.loop):
                item = futures[future]
                yield item, self._outcome(future, item)
                future.release()  # (the scheduler keeps what a job still waiting for it needs)
        finally:
            client.cancel(list(futures), force=True)
            client.close()

    def _connect(self) -> Any:
        try:
            from distributed import Client
        except ImportError:
            raise ConfigError(
                "the Dask executor needs Dask: install backpub with its extra, pip install 'backpub[dask]'"
            ) from None
        try:
            return Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {self.address}: {exc}") from None

    def _submit_all(self, client: Any, snapshot: Any, dirty: list[PlannedJob], inputs: Path) -> dict[Any, PlannedJob]:
        """Every job as a task, a job's inputs before it (they are its task's dependencies)."""
        build = uuid.uuid4().hex[:12]
        by_path: dict[str, Any] = {}
        futures: dict[Any, PlannedJob] = {}
        waiting = Waiting(dirty)
        while (item := waiting.take()) is not None:
            for path in item.input_paths:
                if path not in by_path:  # kept from the last build (or the build cache): sent once for all its users
                    by_path[path] = self._kept(client, inputs / path)
            sent = {path: by_path[path] for path in item.input_paths}
            future = client.submit(
                render_task,
                snapshot,
                item.format_name,
                item.job,
                sent,
                key=f"backpub-{build}-{item.path}",
                # The local pool's order (`Waiting`) among the tasks ready to run: a pack as soon as its editions are
                # done, the jobs others are made from next.
                priority=-len(futures),
                pure=False,
            )
            by_path[item.path] = future
            futures[future] = item
            waiting.done(item)  # submitted is enough: Dask starts it once its inputs are done
        return futures

    @staticmethod
    def _kept(client: Any, path: Path) -> Any:
        """An input kept from the last build, sent to the cluster by itself (never all of them at once)."""
        return client.scatter(path.read_bytes(), hash=False)

    @staticmethod
    def _outcome(future: Any, item: PlannedJob) -> Outcome:
        from distributed import KilledWorker

        try:
            return future.result()
        except KilledWorker:
            raise PluginError(
                item.format_name,
                f"Dask workers died while rendering {item.path}, each time it was tried "
                "(killed by the system, for example when memory ran out, or crashed in a library); try again "
                "with the local pool (--executor local) to see which step fails",
            ) from None
        except Exception as exc:  # a task that failed on the worker before the render's own handling
            return "crash", f"{type(exc).__name__}: {exc} (on a Dask worker)\n", 0.0


# -- on a worker ---------------------------------------------------------------------------------

_LOADED: dict[str, dict[str, Any]] = {}
_LOADING = threading.Lock()


def render_task(snapshot: Snapshot, format_name: str, job: Job, inputs: Mapping[str, Any]) -> Outcome:
    """A Dask task: render one job from the build's snapshot; errors come back as data, as in the local pool."""
    state = _loaded(snapshot)
    if state["code"] != snapshot.code:
        return "backpub-error", _other_code(state["code"], snapshot.code), 0.0
    sent: dict[str, bytes] = {}
    for path, value in inputs.items():
        if isinstance(value, tuple):  # the outcome of an input rendered in this build
            status, payload, _seconds = value
            if status != "ok":
                return "backpub-error", f"its input {path} failed", 0.0
            value = payload
        sent[path] = value
    return render_in(state, format_name, job, sent)


def _loaded(snapshot: Snapshot) -> dict[str, Any]:
    """This worker's state for a snapshot: unpacked once (its files in a folder of their own), then reused."""
    with _LOADING:
        if snapshot.digest not in _LOADED:
            for old in list(_LOADED):  # one build at a time: free the last one's model and files
                shutil.rmtree(_LOADED.pop(old)["folder"], ignore_errors=True)
            _LOADED[snapshot.digest] = _unpack(snapshot)
        return _LOADED[snapshot.digest]


def _unpack(snapshot: Snapshot) -> dict[str, Any]:
    import gc

    folder = Path(tempfile.mkdtemp(prefix="backpub-snapshot-"))
    atexit.register(shutil.rmtree, folder, True)
    for name, data in snapshot.files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    content = folder / snapshot.content
    content.mkdir(parents=True, exist_ok=True)
    publication, instances = pickle.loads(snapshot.model)
    publication = dataclasses.replace(publication, content_dir=content)
    for instance in instances.values():
        # The formats read the project's files (assets, theme) where this worker unpacked them; no state here.
        instance.context = dataclasses.replace(
            instance.context, project_dir=folder, content_dir=content, state_dir=None
        )
    gc.collect()
    gc.freeze()  # the model lives as long as the build: out of the collector's sight, as in the local pool
    return {
        "publication": publication,
        "instances": instances,
        "prepared": set(),
        "folder": folder,
        "code": code_digests(instances),
    }


def _other_code(theirs: Mapping[str, str], ours: Mapping[str, str]) -> str:
    differing = sorted(name for name in ours if theirs.get(name) != ours[name])
    return (
        f"a Dask worker runs other code than this build ({', '.join(differing)} differ): install the same "
        "backpub version, with the same plugins, on every worker (docs/scale.md)"
    )
