"""The Dask executor (`--executor dask://HOST:PORT`): on a LocalCluster of two worker processes, a build makes
every output byte for byte as the local pool does, packs from their editions included, and a killed worker's
jobs run again elsewhere."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import Client, LocalCluster

from backpub.build import build
from backpub.engine.cluster import Snapshot, render_task, scheduler_address
from backpub.engine.reports import Progress
from backpub.errors import ConfigError
from backpub.session import Session
from backpub_testkit import ROOTS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Recorded(Progress):
    """The progress events a build reports."""

    def __init__(self) -> None:
        self.total = 0
        self.advanced: list[str] = []
        self.stopped = False

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, output: str) -> None:
        self.advanced.append(output)

    def stop(self) -> None:
        self.stopped = True


def files_of(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minimal programme with a second clinic (on other paper), so there are two packs made from editions."""
    project = tmp_path_factory.mktemp("dask") / "project"
    shutil.copytree(ROOTS / "minimal" / "content", project / "content")
    first = project / "content/clinics/test-clinic.md"
    second = first.read_text().replace("Test Clinic", "Second Clinic").replace("paper: Letter", "paper: A4")
    (project / "content/clinics/second-clinic.md").write_text(second)
    return project / "content"


@pytest.fixture(scope="module")
def local_build(content: Path) -> dict[str, bytes]:
    """Every output of the local pool's build (made before the cluster starts: the pool forks this process)."""
    output = content.parent / "local"
    build(content, output_dir=output, jobs=2, use_cache=False)
    return files_of(output)


@pytest.fixture(scope="module")
def cluster(local_build: dict[str, bytes]) -> Iterator[LocalCluster]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as running:
        yield running


@pytest.fixture(scope="module")
def executor(cluster: LocalCluster) -> str:
    return cluster.scheduler_address.replace("tcp://", "dask://")


def test_a_dask_build_makes_every_output_byte_for_byte_as_the_local_pool_and_reports_progress(
    content, local_build, executor
):
    progress = Recorded()
    report = build(content, output_dir=content.parent / "dask", executor=executor, use_cache=False, progress=progress)

    assert files_of(content.parent / "dask") == local_build
    assert not [path for path in local_build if "/.shared/" in path]  # intermediate files are never outputs
    assert "pdf/test-clinic/pack.pdf" in report.rendered  # a job made from other outputs (its editions)
    # Progress counts every job rendered: the outputs, and the intermediate files they are made from.
    intermediates = sorted(set(progress.advanced) - set(report.rendered))
    assert intermediates and all(path.startswith("pdf/.shared/") for path in intermediates)
    assert len(intermediates) == report.formats["pdf"].intermediate
    assert progress.total == len(report.rendered) + len(intermediates) == len(progress.advanced) and progress.stopped
    assert sorted(progress.advanced) == sorted(report.rendered + intermediates)
    # Every job was reported after the jobs it is made from (a pack after the shared pack and the branding it is
    # stamped on, they after the shared layouts they are made from).
    session = Session(content)
    jobs = session.formats(["pdf"])["pdf"].jobs(session.publication)
    made_from = {f"pdf/{job.output}": [f"pdf/{needed}" for needed in job.inputs] for job in jobs}
    assert made_from["pdf/test-clinic/pack.pdf"]
    for output, inputs in made_from.items():
        assert all(progress.advanced.index(output) > progress.advanced.index(needed) for needed in inputs), output


def test_a_pack_whose_editions_were_kept_is_made_from_the_kept_files(content, local_build, executor):
    output = content.parent / "kept"
    build(content, output_dir=output, executor=executor)
    (output / "pdf/second-clinic/pack.pdf").unlink()

    report = build(content, output_dir=output, executor=executor)

    assert report.rendered == ["pdf/second-clinic/pack.pdf"]  # its editions were kept, and sent to the cluster
    assert files_of(output) == local_build


class KillsAWorker(Recorded):
    """Once the first job is done, kills (SIGKILL) a worker that is rendering others, as a lost machine would."""

    def __init__(self, client: Client) -> None:
        super().__init__()
        self.client = client
        self.killed: list[str] = []

    def advance(self, output: str) -> None:
        super().advance(output)
        if self.killed:
            return
        busy = {worker: keys for worker, keys in self.client.processing().items() if keys}
        worker = sorted(busy)[0]
        self.killed = [str(key) for key in busy[worker]]
        os.kill(self.client.run(os.getpid, workers=[worker])[worker], signal.SIGKILL)


def test_the_jobs_of_a_worker_killed_mid_build_run_again_and_the_outputs_are_the_same(
    content, local_build, cluster, executor
):
    with Client(cluster, set_as_default=False) as client:
        progress = KillsAWorker(client)
        report = build(
            content, output_dir=content.parent / "killed", executor=executor, use_cache=False, progress=progress
        )

    assert progress.killed, "a worker was rendering when it was killed"
    lost = {key.split("-", 2)[2] for key in progress.killed}  # the output paths in the tasks' keys
    assert lost <= set(progress.advanced)  # every job the dead worker held was rendered elsewhere
    assert set(report.rendered) <= set(progress.advanced) and len(progress.advanced) == progress.total
    assert all(path.startswith("pdf/.shared/") for path in set(progress.advanced) - set(report.rendered))
    assert files_of(content.parent / "killed") == local_build


def test_a_worker_with_other_code_refuses_the_job(content):
    session = Session(content)
    instances = session.formats(["json"])
    from backpub.engine.engine import Engine

    planned = Engine(session.publication, instances, content.parent / "unused", session.store).plan()
    snapshot = Snapshot.of(planned, session.publication, instances)
    assert render_task(snapshot, "json", planned[0].job, {})[0] == "ok"

    other = dataclasses.replace(snapshot, code={**snapshot.code, "json": "another version"})
    status, message, _ = render_task(other, "json", planned[0].job, {})

    assert status == "backpub-error"
    assert "runs other code than this build (json differ)" in message


def test_the_executor_is_local_or_a_dask_scheduler(run_cli, project):
    assert scheduler_address("dask://scheduler.internal:8786") == "tcp://scheduler.internal:8786"
    assert scheduler_address("dask+tls://10.0.0.5:8786") == "tls://10.0.0.5:8786"
    for wrong in ("dask://scheduler", "http://scheduler:8786", "scheduler:8786", "dask://host:port"):
        with pytest.raises(ConfigError, match="expected 'local', dask://HOST:PORT"):
            scheduler_address(wrong)

    result = run_cli("build", "-q", cwd=project, env={"BACKPUB_EXECUTOR": "dask://scheduler"})
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: executor 'dask://scheduler': expected 'local', dask://HOST:PORT or dask+tls://HOST:PORT "
        "(a Dask scheduler)"
    ]
