"""Measure backpub against the targets of issue 17 and print one table: each figure, its target, met or not.

    python benchmarks/run.py                  # 500 episodes, 100 handouts, 3 clinics; growth to 5,000 episodes
    python benchmarks/run.py --quick          # tiny sizes, to check the benchmark itself (a minute or two)
    python benchmarks/run.py --only book,growth --episodes 500      # some rows only
    python benchmarks/run.py --tests          # also the test suite's wall time (not run by default)

The synthetic programme comes from benchmarks/generate.py and every build publishes as of its LAST_SUNDAY.
Whole-process figures are children of this script measured with wait4: wall clock, CPU (user + system of
the process and of every worker it reaped) and peak memory (the largest resident set among them).

The rows (keys for --only in brackets):
- [pack] a clinic's `<clinic>/pack.pdf` against the sum of the layouts of its handouts: the pdf format's
  `render` seconds of each job, logged from the cold build below (benchmarks/probes.py `timed-build`), so it
  holds however the engine feeds a pack its handouts (laid out again, or assembled from the editions' PDFs).
  Stamped (`branding: stamped`, the default), the pack counts with the shared pack it is stamped on, and its
  handouts' layouts are their shared layouts (`pack_ratios`).
- [cold] the cold build of every format (after `backpub clean`), `--jobs 2`, against the WeasyPrint floor:
  WeasyPrint alone laying out and writing the HTML of every layout the build makes (each PDF job without inputs:
  plain editions and, stamped, the shared layouts and clinics' brandings; stamped editions and packs are made
  from those), timed in two processes at once, each taking every other one; the floor is the sum of the seconds
  over 2 (the wall clock of a perfect 2-process pool). Measured once: it takes minutes.
- [episode-edit], [protocol-edit] on a copy of the shipped content/, `-f pdf`: an episode's article edited
  (the episode a handout names), then the body of the protocol most handouts show, then its first step (the
  body is left to the QR code on a sheet; the steps are printed wherever the protocol is shown, and not where
  it is only named in a list). After each edit a PDF re-rendered must print it: a PDF prints the edit when
  pdftotext finds the appended marker word in it after the rebuild; the re-rendered PDFs must be those.
- [nonpdf] the cold build of json, epub, feed, newsletter and site (after `backpub clean`), `--jobs 2`: CPU.
- [book] `backpub build -f epub` cold (after `backpub clean`: no model cache, so it validates from scratch)
  against `pandoc -f markdown -t epub3 --epub-cover-image COVER --metadata title=... --metadata lang=...`
  on the book's text as one Markdown file (benchmarks/probes.py `book_markdown` says exactly what it holds)
  with the same cover image: wall clock and peak memory. The warm figure (model cache kept) is shown too.
- [growth] the [nonpdf] build at --growth-middle and --growth-episodes against --episodes: wall clock and CPU
  at each size, and the ratio of the largest to --episodes.
- [help] `backpub --help`, the whole process, median of 10.
- [tests] with --tests only: the suite as scripts/test runs it (pytest, 2 workers), wall clock.
- [validate], [noop], [edit]: `backpub validate` cold, the no-op rebuild, one synthetic episode edited.
- [serial] with --serial only: the cold build of every format with `--jobs 1`.
- [signups], [send]: the mailing list (issue 24): `newsletter serve` under 1,000 concurrent and 25,000 sequential
  sign-ups, and a 100,000-address send to PostgreSQL killed three times; benchmarks/mailinglist.py says how.
- [private-feed]: a subscriber's private feed of every episode, served warm by the subscription service (issue 27).
- [prescribe], [prescribe-service]: a 4-exercise prescription (issue 28) through `backpub prescribe` (the whole
  process) and through `backpub clinic serve` kept warm (50 requests, 4 clients at once); see
  benchmarks/prescriptions.py.

Issue 29's clinic-network rows, with --network only (they take a while):
- [network-growth] CPU per additional branded edition: the cold `-f pdf --jobs 2` build of
  --network-handouts-growth handouts (20) for 10 clinics and for 30 clinics (the same programme otherwise): the
  difference of the clinic editions' render CPU (logged per job by the process that renders it) over the 20 x
  handouts editions added; the whole builds' CPU is shown too. Every network row builds with --network-branding
  (`formats.pdf.branding`).
- [network] --network-clinics x --network-handouts (100 x 100): every edition and pack, cold, `-f pdf --jobs 2`,
  wall clock. A smaller size than 100 x 100 is measured as it is and projected to 100 x 100: its `validate`
  time (what does not grow with the PDFs) plus the rest times the ratio of the PDFs' numbers; it says so. (That
  overstates a stamped build, whose layouts grow with the handouts and clinics, not their product: measure one
  at 100 x 100 for its figure.)
- [network-cluster] the same build on a 2-worker Dask LocalCluster (one single-threaded process per worker,
  started before the build and running in a process of its own; `--executor dask://...`) against the local pool
  of the [network] row: every output compared byte for byte, and the wall clock within 1.3x.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import LAST_SUNDAY, SHIPPED, Size, generate  # noqa: E402
from probes import is_edition  # noqa: E402

REPO = HERE.parent
PROBES = str(HERE / "probes.py")
AS_OF = LAST_SUNDAY.isoformat()
BACKPUB = [sys.executable, "-m", "backpub"]
NON_PDF = ("json", "epub", "feed", "newsletter", "site")
MARKER = "Zq7x"
"""The word appended to edited texts: short (never hyphenated), and in no generated or shipped text."""
EDIT = f"A benchmark edit, marker {MARKER}."
DEFAULT_ROWS = ("validate", "nonpdf", "book", "cold", "pack", "noop", "edit", "episode-edit", "protocol-edit")
DEFAULT_ROWS += ("growth", "help", "signups", "send", "private-feed", "prescribe", "prescribe-service")
NETWORK_ROWS = ("network-growth", "network", "network-cluster")
OPTIONAL_ROWS = ("tests", "serial", *NETWORK_ROWS)
NETWORK_TARGET = (100, 100)
"""The network rows' size: 100 clinics x 100 handouts (1,000 clinics in <= 15 min on this machine follows)."""


@dataclass
class Run:
    """One child process: wall clock, CPU time (its workers' too), peak memory, and its JSON report if any."""

    seconds: float
    cpu_seconds: float
    max_rss_mb: float
    report: dict = field(default_factory=dict)


def run_child(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run a command measured with wait4; fail loudly with its output if it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=errors, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait for it again
        out.seek(0)
        errors.seek(0)
        stdout, stderr = out.read().decode(), errors.read().decode()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{stdout[-3000:]}\n{stderr[-3000:]}")
    report = json.loads(stdout) if stdout.strip().startswith("{") else {}
    # wait4's usage includes the workers the child forked and reaped
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, report)


def run_cli(args: list[str], cwd: Path) -> Run:
    return run_child([*BACKPUB, *args], cwd)


def build_args(formats: Iterable[str], *extra: str, as_of: str = AS_OF) -> list[str]:
    # --output: a build --as-of another day than today writes outputs/preview-<day>/ unless told where; the rows
    # read and edit outputs/.
    args = ["build", "--as-of", as_of, "--output", "outputs", "--report", "json", *extra]
    for name in formats:
        args += ["-f", name]
    return args


def build(project: Path, formats: Iterable[str], *extra: str, as_of: str = AS_OF) -> Run:
    return run_cli(build_args(formats, *extra, as_of=as_of), project)


def clean(project: Path) -> None:
    run_cli(["clean", "--content", "content"], project)


def rendered(run: Run, format_name: str | None = None) -> list[str]:
    paths = run.report.get("rendered", [])
    return [path for path in paths if format_name is None or path.startswith(f"{format_name}/")]


def append_to_body(path: Path, text: str) -> None:
    path.write_text(path.read_text().rstrip("\n") + "\n\n" + text + "\n")


def front_matter(path: Path) -> dict:
    """The YAML front matter of a content file."""
    text = path.read_text()
    return yaml.safe_load(text.split("---", 2)[1]) or {}


def registered_formats() -> list[str]:
    out = subprocess.run([*BACKPUB, "plugins", "--json"], capture_output=True, text=True, check=True).stdout
    return sorted(name for plugin in json.loads(out) for name in plugin["formats"])


# -- pure helpers (tests/test_benchmark.py) -------------------------------------------------------------


def ratio_met(ratio: float, limit: float) -> bool:
    return ratio <= limit


def network_pdfs(clinics: int, handouts: int) -> int:
    """The PDFs of a network build: each handout's plain edition, every clinic's edition of it, and the packs."""
    return handouts + clinics * handouts + clinics


def network_scale(clinics: int, handouts: int) -> float:
    """How many times more PDFs the 100 x 100 network has than this one."""
    return network_pdfs(*NETWORK_TARGET) / network_pdfs(clinics, handouts)


def different_files(first: Path, second: Path) -> list[str]:
    """The relative paths of the files that are not byte for byte the same in both folders (or only in one)."""

    def files(folder: Path) -> dict[str, Path]:
        return {path.relative_to(folder).as_posix(): path for path in folder.rglob("*") if path.is_file()}

    ours, theirs = files(first), files(second)
    return sorted(
        name
        for name in ours.keys() | theirs.keys()
        if name not in ours or name not in theirs or ours[name].read_bytes() != theirs[name].read_bytes()
    )


@contextlib.contextmanager
def local_cluster(workers: int) -> Iterator[str]:
    """A Dask LocalCluster in a process of its own (its scheduler's address), closed after."""
    child = subprocess.Popen(
        [sys.executable, PROBES, "cluster", str(workers)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        yield json.loads(child.stdout.readline())["address"]
    finally:
        assert child.stdin is not None
        child.stdin.close()  # the probe closes its cluster when its input ends
        child.wait(timeout=60)


def pack_ratios(entries: dict[str, dict[str, Any]]) -> dict[str, tuple[float, float, int]]:
    """Per clinic: (its pack's seconds, the seconds of the handout layouts it is made from, how many), from a timed
    build's job log (`job_log_entries`). A pack laid out for its clinic is made from its editions; a stamped one
    (`branding: stamped`) from a shared pack, whose seconds count with it as if no other clinic shared it, made from
    the handouts' shared layouts."""
    found: dict[str, tuple[float, float, int]] = {}
    for output, entry in entries.items():
        clinic, _, name = output.rpartition("/")
        if not clinic or name != "pack.pdf" or entry.get("intermediate"):
            continue
        seconds, handouts = entry["seconds"], []
        for needed in entry.get("inputs", ()):
            source = entries.get(needed)
            if source is None:  # (not rendered in this build)
                continue
            if source.get("kind") == "shared-pack":
                seconds += source["seconds"]
                handouts += [entries[path]["seconds"] for path in source.get("inputs", ()) if path in entries]
            elif source.get("kind") != "branding" and is_edition(needed):
                handouts.append(source["seconds"])
        found[clinic] = (seconds, sum(handouts), len(handouts))
    return found


def read_job_log(log: Path, figure: str = "seconds") -> dict[str, float]:
    """The render seconds (or, with figure="cpu", CPU seconds) of each pdf output's job from a timed build's log
    (the last line wins for a path; the intermediate files' jobs left out)."""
    return {output: entry[figure] for output, entry in job_log_entries(log).items() if not entry["intermediate"]}


def job_log_entries(log: Path) -> dict[str, dict[str, Any]]:
    """Each pdf job's line of a timed build's log, by output path: its seconds, CPU seconds, kind and whether it is
    an intermediate file (the last line wins for a path)."""
    entries: dict[str, dict[str, Any]] = {}
    if log.exists():
        for line in log.read_text().splitlines():
            entry = json.loads(line)
            entries[entry["output"]] = entry
    return entries


def shown_protocols(content: Path) -> dict[str, int]:
    """How many handouts show each protocol (through their sections)."""
    protocols = {path.stem for path in (content / "protocols").glob("*.md")}
    counts: dict[str, int] = {}
    for handout in sorted((content / "handouts").glob("*.md")):
        shown = {i for section in front_matter(handout).get("sections") or [] for i in section.get("entities") or []}
        for protocol in shown & protocols:
            counts[protocol] = counts.get(protocol, 0) + 1
    return counts


def most_shown_protocol(content: Path) -> tuple[str, int]:
    """The protocol most handouts show (the first by id among equals), and in how many."""
    counts = shown_protocols(content)
    name = min(counts, key=lambda protocol: (-counts[protocol], protocol))
    return name, counts[name]


def named_episode(content: Path) -> str | None:
    """The episode the first handout (by id) names, if any."""
    for handout in sorted((content / "handouts").glob("*.md")):
        episode = front_matter(handout).get("episode")
        if episode:
            return str(episode)
    return None


def latest_release(content: Path) -> str:
    """The newest episode's release date (a build as of it publishes every episode)."""
    releases = [front_matter(path)["release"] for path in (content / "episodes").glob("*.md")]
    return max(date.fromisoformat(str(release)) for release in releases).isoformat()


def prints_marker(text: str, marker: str = MARKER) -> bool:
    return marker in text


def median_seconds(values: Iterable[float]) -> float:
    return statistics.median(list(values))


# -- the table ---------------------------------------------------------------------------------------------


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, what: str, figure: str, target: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("yes" if ok else "NO")
        self.rows.append((what, figure, target, verdict))
        print(f"  {what}: {figure}" + (f" (target {target}: {verdict})" if target else ""), file=sys.stderr, flush=True)

    def markdown(self) -> str:
        lines = ["| measurement | result | target | met |", "| --- | ---: | --- | --- |"]
        lines += [f"| {what} | {figure} | {target} | {ok} |" for what, figure, target, ok in self.rows]
        return "\n".join(lines)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the measurements --------------------------------------------------------------------------------------


class Bench:
    """One benchmark run: the projects it generated, the rows asked for, and the table being filled."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.rows = args.rows
        self.table = Table()
        self.formats = registered_formats()
        self.non_pdf = [name for name in NON_PDF if name in self.formats]
        self.size = Size(episodes=args.episodes, handouts=args.handouts, clinics=args.clinics)
        self.project = workdir / "main"
        self.cold: Run | None = None
        self.nonpdf_run: Run | None = None

    def wants(self, *rows: str) -> bool:
        return any(row in self.rows for row in rows)

    def run(self) -> Table:
        log(f"generating {self.size}")
        self.content = generate(self.project, self.size)
        steps = [
            ("validate", self.validate),
            ("nonpdf", self.nonpdf),
            ("growth", self.nonpdf),
            ("book", self.book),
            ("serial", self.serial),
            ("cold", self.cold_build),
            ("pack", self.cold_build),
            ("noop", self.noop),
            ("edit", self.episode_edit),
            ("growth", self.growth),
            ("episode-edit", self.shipped),
            ("protocol-edit", self.shipped),
            ("help", self.help),
            ("signups", self.signups),
            ("send", self.send),
            ("private-feed", self.private_feed),
            ("prescribe", self.prescribe),
            ("prescribe-service", self.prescribe_service),
            ("tests", self.tests),
            ("network-growth", self.network_growth),
            ("network", self.network),
            ("network-cluster", self.network),
        ]
        done = set()
        for row, step in steps:
            if self.wants(row) and step not in done:
                done.add(step)
                log(f"measuring {row}")
                step()
        return self.table

    # -- rows ----------------------------------------------------------------------------------------

    def validate(self) -> None:
        clean(self.project)
        run = run_cli(["validate", "content", "--as-of", AS_OF], self.project)
        self.table.add("`backpub validate` time (cold)", f"{run.seconds:.2f} s (CPU {run.cpu_seconds:.2f} s)")
        self.table.add("`backpub validate` peak memory", f"{run.max_rss_mb:.0f} MB")

    def nonpdf(self) -> None:
        clean(self.project)
        run = self.nonpdf_run = build(self.project, self.non_pdf, "--jobs", "2")
        if self.wants("nonpdf"):
            self.table.add(
                f"non-PDF cold build, {self.size.episodes} episodes ({len(rendered(run))} files), `--jobs 2`",
                f"{run.cpu_seconds:.1f} s CPU ({run.seconds:.1f} s wall, {run.max_rss_mb:.0f} MB)",
                "<= 20 s CPU",
                run.cpu_seconds <= 20,
            )

    def book(self) -> None:
        clean(self.project)
        cold = build(self.project, ["epub"])
        for book in (self.project / "outputs" / "epub").glob("*.epub"):
            book.unlink()  # rendered again, with the model cache the cold build left
        warm = build(self.project, ["epub"])
        pandoc = shutil.which("pandoc")
        what = f"{self.size.episodes}-episode book (`-f epub`, cold) vs Pandoc on the same text"
        if pandoc is None:
            self.table.add(what, f"{cold.seconds:.2f} s, {cold.max_rss_mb:.0f} MB; Pandoc is not installed", "")
            return
        folder = self.workdir / "pandoc"
        folder.mkdir(exist_ok=True)
        source = json.loads(
            subprocess.run(
                [sys.executable, PROBES, "book-markdown", "content", AS_OF, str(folder)],
                cwd=self.project,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        theirs = run_child(
            [
                pandoc,
                "-f",
                "markdown",
                "-t",
                "epub3",
                f"--epub-cover-image={source['cover']}",
                "--metadata",
                f"title={source['title']}",
                "--metadata",
                f"lang={source['language']}",
                "-o",
                str(folder / "book.epub"),
                source["markdown"],
            ],
            folder,
        )
        time_ratio, memory_ratio = cold.seconds / theirs.seconds, cold.max_rss_mb / theirs.max_rss_mb
        self.table.add(
            what + ": time",
            f"{cold.seconds:.2f} s vs {theirs.seconds:.2f} s ({time_ratio:.2f}x)",
            "<= 0.33x",
            ratio_met(time_ratio, 1 / 3),
        )
        self.table.add(
            what + ": peak memory",
            f"{cold.max_rss_mb:.0f} MB vs {theirs.max_rss_mb:.0f} MB ({memory_ratio:.2f}x)",
            "<= 0.33x",
            ratio_met(memory_ratio, 1 / 3),
        )
        self.table.add(
            "the book with the model cache warm (its file deleted, built again)",
            f"{warm.seconds:.2f} s, {warm.max_rss_mb:.0f} MB ({warm.seconds / theirs.seconds:.2f}x, "
            f"{warm.max_rss_mb / theirs.max_rss_mb:.2f}x)",
        )

    def serial(self) -> None:
        clean(self.project)
        run = build(self.project, self.formats, "--jobs", "1")
        self.table.add(f"cold build, `--jobs 1` ({len(rendered(run))} files)", f"{run.seconds:.1f} s")

    def cold_build(self) -> None:
        clean(self.project)
        job_log = self.workdir / "pdf-jobs.jsonl"
        job_log.unlink(missing_ok=True)
        command = [sys.executable, PROBES, "timed-build", str(job_log), "--", *build_args(self.formats, "--jobs", "2")]
        cold = self.cold = run_child(command, self.project)
        times = read_job_log(job_log)
        if self.wants("pack"):
            self._pack_rows(job_log_entries(job_log))
        if self.wants("cold"):
            self._floor_rows(cold, times)

    def _pack_rows(self, entries: dict[str, dict[str, Any]]) -> None:
        packs = pack_ratios(entries)
        if not packs:
            self.table.add("a pack of N handouts vs the sum of its handouts", "no pack was rendered", "<= 0.15x", False)
            return
        worst = max(packs, key=lambda clinic: packs[clinic][0] / packs[clinic][1])
        pack, editions, count = packs[worst]
        self.table.add(
            f"a pack of {count} handouts vs the sum of its handouts (worst of {len(packs)} clinics)",
            f"{pack:.2f} s vs {editions:.1f} s ({pack / editions:.3f}x)",
            "<= 0.15x",
            ratio_met(pack / editions, 0.15),
        )

    def _floor_rows(self, cold: Run, times: dict[str, float]) -> None:
        shards = 2
        log("measuring the WeasyPrint floor (2 processes)")

        def shard(index: int) -> dict:
            out = subprocess.run(
                [sys.executable, PROBES, "floor", str(self.content), AS_OF, str(index), str(shards)],
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                raise SystemExit(f"the WeasyPrint floor measurement failed:\n{out.stderr[-3000:]}")
            return json.loads(out.stdout.strip().splitlines()[-1])

        with ThreadPoolExecutor(shards) as pool:
            results = list(pool.map(shard, range(shards)))
        alone = {o: s for result in results for o, s in zip(result["outputs"], result["seconds"], strict=True)}
        floor = sum(alone.values()) / shards
        what = (
            f"cold build, {self.size.episodes} episodes / {self.size.handouts} handouts / {self.size.clinics} "
            f"clinics, `--jobs 2` ({len(rendered(cold))} files, all formats)"
        )
        ratio = cold.seconds / floor
        self.table.add(
            what,
            f"{cold.seconds:.1f} s vs floor {floor:.1f} s ({ratio:.2f}x; CPU {cold.cpu_seconds:.0f} s)",
            "<= 1.15x the WeasyPrint floor",
            ratio_met(ratio, 1.15),
        )
        ours = [times[o] for o in alone if o in times]
        if ours:
            # Medians: each worker's first job also loads the fonts, which the floor's warm-up leaves out.
            per_ours, per_alone = statistics.median(ours), statistics.median(alone.values())
            self.table.add(
                f"pdf: a handout edition through backpub / WeasyPrint alone (median of {len(alone)})",
                f"{per_ours:.3f} s / {per_alone:.3f} s ({per_ours / per_alone - 1:+.0%})",
            )

    def noop(self) -> None:
        if self.cold is None:
            clean(self.project)
            build(self.project, self.formats, "--jobs", "2")
        runs = [build(self.project, self.formats) for _ in range(3)]
        assert all(not rendered(run) for run in runs), "a no-op rebuild rendered something"
        seconds = median_seconds(run.seconds for run in runs)
        cpu = median_seconds(run.cpu_seconds for run in runs)
        self.table.add("no-op rebuild (whole process)", f"{seconds:.2f} s (CPU {cpu:.2f} s)", "< 0.5 s", seconds < 0.5)

    def episode_edit(self) -> None:
        if self.cold is None:
            self.noop()  # builds everything first
        middle = max(1, self.size.episodes // 2)
        append_to_body(self.content / "episodes" / f"synthetic-episode-{middle}.md", EDIT)
        run = build(self.project, self.formats)
        self.table.add(f"edit one synthetic episode ({len(rendered(run))} files re-rendered)", f"{run.seconds:.2f} s")

    def growth(self) -> None:
        small = self.nonpdf_run
        assert small is not None
        runs = [(self.size.episodes, small)]
        for episodes in sorted({self.args.growth_middle, self.args.growth_episodes} - {self.size.episodes}):
            size = Size(episodes=episodes, handouts=self.args.handouts, clinics=self.args.clinics)
            log(f"generating {size}")
            project = self.workdir / f"growth-{episodes}"
            generate(project, size)
            runs.append((episodes, build(project, self.non_pdf, "--jobs", "2")))
            shutil.rmtree(project, ignore_errors=True)
        (first, _), (last, big) = runs[0], runs[-1]
        limit = 1.05 * last / first  # 10.5x for ten times the episodes
        what = f"non-PDF growth {first} -> {last} episodes (cold, `--jobs 2`)"
        steps = " -> ".join(f"{episodes}: {run.seconds:.1f} s" for episodes, run in runs)
        cpu_steps = " -> ".join(f"{episodes}: {run.cpu_seconds:.1f} s" for episodes, run in runs)
        self.table.add(
            what + ": time",
            f"{steps} ({big.seconds / small.seconds:.2f}x)",
            f"<= {limit:.1f}x",
            ratio_met(big.seconds / small.seconds, limit),
        )
        self.table.add(
            what + ": CPU",
            f"{cpu_steps} ({big.cpu_seconds / small.cpu_seconds:.2f}x)",
            f"<= {limit:.1f}x",
            ratio_met(big.cpu_seconds / small.cpu_seconds, limit),
        )

    def shipped(self) -> None:
        project = self.workdir / "shipped"
        shutil.copytree(SHIPPED, project / "content")
        content = project / "content"
        as_of = latest_release(content)
        build(project, ["pdf"], "--jobs", "2", as_of=as_of)
        total = len(list((project / "outputs" / "pdf").rglob("*.pdf")))
        episode = named_episode(content)
        if self.wants("episode-edit") and episode:
            append_to_body(content / "episodes" / f"{episode}.md", EDIT)
            run = build(project, ["pdf"], "--jobs", "2", as_of=as_of)
            count = len(rendered(run, "pdf"))
            self.table.add(
                "editing an episode's article (shipped content)",
                f"{count} of {total} PDFs re-rendered ({run.seconds:.1f} s)",
                "no PDF re-rendered",
                count == 0,
            )
        if self.wants("protocol-edit"):
            protocol, handouts = most_shown_protocol(content)
            path = content / "protocols" / f"{protocol}.md"
            # Its body (which a sheet leaves to the QR code), then its first step (which every PDF showing the
            # protocol prints, and those that only name it in a list do not).
            append_to_body(path, EDIT)
            self._protocol_row(
                project,
                as_of,
                total,
                f"editing a protocol's body ({protocol}, shown in {handouts} handout{'' if handouts == 1 else 's'})",
            )
            first_step = front_matter(path)["steps"][0]
            path.write_text(path.read_text().replace(first_step, f"{first_step} ({MARKER} step)", 1))
            self._protocol_row(project, as_of, total, f"editing that protocol's first step ({protocol})")

    def _protocol_row(self, project: Path, as_of: str, total: int, what: str) -> None:
        """Rebuild after an edit carrying MARKER: the PDFs re-rendered must be exactly those whose text has it."""
        run = build(project, ["pdf"], "--jobs", "2", as_of=as_of)
        again = {path.removeprefix("pdf/") for path in rendered(run, "pdf")}
        printing = self._pdfs_printing_marker(project / "outputs" / "pdf")
        if printing is None:
            self.table.add(f"{what} (shipped content)", "pdftotext is not installed", "")
            return
        self.table.add(
            f"{what} (shipped content)",
            f"{len(again)} of {total} PDFs re-rendered; {len(printing)} print it"
            + ("" if again == printing else f" (re-rendered only: {sorted(again - printing)})"),
            "only the PDFs that print it",
            again == printing,
        )

    @staticmethod
    def _pdfs_printing_marker(folder: Path) -> set[str] | None:
        if shutil.which("pdftotext") is None:
            return None
        found = set()
        for pdf in sorted(folder.rglob("*.pdf")):
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
            if prints_marker(text):
                found.add(pdf.relative_to(folder).as_posix())
        return found

    def _network_size(self, handouts: int, clinics: int) -> Size:
        branding = self.args.network_branding
        return Size(episodes=self.args.network_episodes, handouts=handouts, clinics=clinics, pdf_branding=branding)

    def network_growth(self) -> None:
        handouts = self.args.network_handouts_growth
        runs, editions, brandings = {}, {}, {}
        for clinics in (10, 30):
            project = self.workdir / f"network-growth-{clinics}"
            generate(project, self._network_size(handouts, clinics))
            log(f"building {clinics} clinics x {handouts} handouts")
            job_log = self.workdir / f"network-growth-{clinics}.jsonl"
            job_log.unlink(missing_ok=True)
            command = [sys.executable, PROBES, "timed-build", str(job_log), "--", *build_args(["pdf"], "--jobs", "2")]
            runs[clinics] = run_child(command, project)
            entries = job_log_entries(job_log).values()
            editions[clinics] = [
                entry["cpu"] for entry in entries
                if not entry["intermediate"] and is_edition(entry["output"]) and "/" in entry["output"]
            ]  # fmt: skip
            # (stamped: a clinic's branding, laid out once for its editions and pack, is part of what it costs)
            brandings[clinics] = [
                entry["cpu"] for entry in entries if entry["kind"] == "branding" and "/brandings/" in entry["output"]
            ]
            shutil.rmtree(project, ignore_errors=True)
        # The clinic editions' own CPU (logged per job in the process that renders it), so neither the packs nor
        # a busy machine's other processes count; what the two builds share (each handout's layout shared by the
        # editions in its paper and country, the plain editions) is in both builds and drops out of the
        # difference. Stamped, the clinics' brandings are counted with their editions.
        added = len(editions[30]) - len(editions[10])
        per_edition = (sum(editions[30]) + sum(brandings[30]) - sum(editions[10]) - sum(brandings[10])) / added
        stamping = (sum(editions[30]) - sum(editions[10])) / added
        self.table.add(
            f"CPU per additional branded edition ({handouts} handouts; 10 vs 30 clinics; "
            f"branding: {self.args.network_branding})",
            f"{per_edition:.3f} s (clinic editions' render CPU {sum(editions[10]):.1f} s for 10 clinics, "
            f"{sum(editions[30]):.1f} s for 30: {stamping:.3f} s each; their brandings {sum(brandings[10]):.1f} s "
            f"and {sum(brandings[30]):.1f} s; whole builds {runs[10].cpu_seconds:.0f} s and "
            f"{runs[30].cpu_seconds:.0f} s CPU)",
            "<= 0.02 s",
            per_edition <= 0.02,
        )

    def network(self) -> None:
        clinics, handouts = self.args.network_clinics, self.args.network_handouts
        project = self.workdir / "network"
        generate(project, self._network_size(handouts, clinics))
        log(f"building {clinics} clinics x {handouts} handouts with the local pool")
        local = build(project, ["pdf"], "--jobs", "2")
        pdfs = len(rendered(local))
        size = f"{clinics} clinics x {handouts} handouts"
        if self.wants("network"):
            scale = network_scale(clinics, handouts)
            # What does not grow with the PDFs (start, validation, planning) is measured apart, not projected.
            fixed = run_cli(["validate", "content", "--as-of", AS_OF], project).seconds if scale != 1 else 0.0
            projected = fixed + (local.seconds - fixed) * scale
            figure = f"{local.seconds:.1f} s ({pdfs} PDFs, CPU {local.cpu_seconds:.0f} s)"
            if scale != 1:
                figure = (
                    f"{size}: {figure}; projected to 100 x 100 (validation {fixed:.1f} s, the rest x {scale:.1f}): "
                    f"{projected / 60:.1f} min"
                )
            self.table.add(
                "100 clinics x 100 handouts, every edition and pack, cold, `-f pdf --jobs 2` "
                f"(branding: {self.args.network_branding})",
                figure,
                "<= 90 s",
                projected <= 90,
            )
        if self.wants("network-cluster"):
            self._cluster_row(project, local, size)
        shutil.rmtree(project, ignore_errors=True)

    def _cluster_row(self, project: Path, local: Run, size: str) -> None:
        kept = self.workdir / "network-local-outputs"
        shutil.rmtree(kept, ignore_errors=True)
        shutil.move(project / "outputs", kept)
        clean(project)
        with local_cluster(2) as address:
            log(f"building {size} on a 2-worker LocalCluster at {address}")
            cluster = build(project, ["pdf"], "--executor", address.replace("tcp://", "dask://"))
        differing = different_files(kept / "pdf", project / "outputs" / "pdf")
        compared = len(list((kept / "pdf").rglob("*.pdf")))
        if not compared:
            differing = ["(the local pool's build left no PDF to compare)"]
        ratio = cluster.seconds / local.seconds
        same = f"all {compared} PDFs identical" if not differing else f"{len(differing)} differ, e.g. {differing[0]}"
        self.table.add(
            f"the same ({size}; branding: {self.args.network_branding}) on a 2-worker Dask LocalCluster vs the local pool",
            f"{cluster.seconds:.1f} s vs {local.seconds:.1f} s ({ratio:.2f}x); {same}",
            "identical; <= 1.3x",
            not differing and ratio <= 1.3,
        )
        shutil.rmtree(kept, ignore_errors=True)

    def help(self) -> None:
        runs = [run_cli(["--help"], self.workdir) for _ in range(self.args.help_repeat)]
        seconds = median_seconds(run.seconds for run in runs)
        self.table.add(
            f"`backpub --help` (whole process, median of {len(runs)})", f"{seconds:.3f} s", "< 0.15 s", seconds < 0.15
        )

    def signups(self) -> None:
        import mailinglist

        args = self.args
        mailinglist.signups(self.workdir, self.table, args.signups_concurrent, args.signups, args.signups_warm_up)

    def send(self) -> None:
        import mailinglist

        mailinglist.send(self.workdir, self.table, self.args.send_addresses)

    def private_feed(self) -> None:
        import mailinglist

        build(self.project, ["feed"], "--jobs", "2")
        mailinglist.private_feed(self.project, self.table, self.size.episodes)

    def prescribe(self) -> None:
        import prescriptions

        prescriptions.prescribe(self.workdir, self.table, run_child)

    def prescribe_service(self) -> None:
        import prescriptions

        prescriptions.service(self.workdir, self.table)

    def tests(self) -> None:
        # As CI runs it: without the settings other rows put in this process's environment (a list's secret)
        env = {key: value for key, value in os.environ.items() if not key.startswith("BACKPUB_")}
        axe = REPO / ".cache" / "node" / "node_modules" / "axe-core" / "axe.min.js"
        if "AXE_CORE_JS" not in env and axe.is_file():
            env["AXE_CORE_JS"] = str(axe)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadfile"]
        started = time.perf_counter()
        status = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        lines = status.stdout.strip().splitlines() or ["no output"]
        failed = [line.split()[1] for line in lines if line.startswith("FAILED ")]
        if failed:
            log("the test suite failed:\n" + status.stdout[-6000:])
        summary = lines[-1] + (f"; failed: {', '.join(failed)}" if failed else "")
        self.table.add("the test suite (pytest -n 2)", f"{seconds:.0f} s ({summary})", "< 75 s", seconds < 75)


# -- the command -------------------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=None, help="default 500 (20 with --quick)")
    parser.add_argument("--handouts", type=int, default=None, help="default 100 (3 with --quick)")
    parser.add_argument("--clinics", type=int, default=None, help="default 3 (2 with --quick)")
    parser.add_argument("--growth-episodes", type=int, default=None, help="default 5000 (200 with --quick)")
    parser.add_argument("--growth-middle", type=int, default=None, help="default 2000 (100 with --quick)")
    parser.add_argument("--signups", type=int, default=None, help="sign-ups in a row (default 25,000)")
    parser.add_argument("--signups-concurrent", type=int, default=None, help="sign-ups at once (default 1,000)")
    parser.add_argument("--signups-warm-up", type=int, default=None, help="memory baseline after (default 5,000)")
    parser.add_argument("--send-addresses", type=int, default=None, help="the send's list (default 100,000)")
    parser.add_argument("--quick", action="store_true", help="Tiny sizes: checks the benchmark, measures little.")
    parser.add_argument("--only", help=f"Comma-separated rows: {', '.join(DEFAULT_ROWS + OPTIONAL_ROWS)}.")
    parser.add_argument("--tests", action="store_true", help="Also time the test suite.")
    parser.add_argument("--serial", action="store_true", help="Also time a cold build with --jobs 1.")
    parser.add_argument("--network", action="store_true", help="Also the clinic-network rows (issue 29).")
    parser.add_argument("--network-clinics", type=int, default=None, help="default 100 (2 with --quick)")
    parser.add_argument("--network-handouts", type=int, default=None, help="default 100 (3 with --quick)")
    parser.add_argument("--network-handouts-growth", type=int, default=None, help="default 20 (2 with --quick)")
    parser.add_argument("--network-episodes", type=int, default=20, help="episodes of the network programmes")
    parser.add_argument(
        "--network-branding", choices=["laid-out", "stamped"], default="stamped", help="formats.pdf.branding"
    )
    parser.add_argument("--workdir", type=Path, help="Where to generate the projects (default: a temporary folder).")
    args = parser.parse_args(argv)
    quick = {"episodes": 20, "handouts": 3, "clinics": 2, "growth_episodes": 200, "growth_middle": 100,
             "signups": 600, "signups_concurrent": 100, "signups_warm_up": 200, "send_addresses": 2000}  # fmt: skip
    full = {"episodes": 500, "handouts": 100, "clinics": 3, "growth_episodes": 5000, "growth_middle": 2000,
            "signups": 25_000, "signups_concurrent": 1000, "signups_warm_up": 5000, "send_addresses": 100_000}  # fmt: skip
    quick |= {"network_clinics": 2, "network_handouts": 3, "network_handouts_growth": 2}
    full |= {"network_clinics": NETWORK_TARGET[0], "network_handouts": NETWORK_TARGET[1], "network_handouts_growth": 20}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.help_repeat = 3 if args.quick else 10
    rows = args.only.split(",") if args.only else list(DEFAULT_ROWS)
    rows += [row for row in ("tests", "serial") if getattr(args, row)]
    rows += list(NETWORK_ROWS) if args.network and not args.only else []
    unknown = sorted(set(rows) - set(DEFAULT_ROWS + OPTIONAL_ROWS))
    if unknown:
        parser.error(f"unknown rows {unknown}")
    args.rows = rows
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    with tempfile.TemporaryDirectory(prefix="backpub-bench-") as scratch:
        workdir = (args.workdir or Path(scratch)).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        print(f"cores: {os.cpu_count()}; rows: {', '.join(args.rows)}", file=sys.stderr)
        table = Bench(args, workdir).run()
    command = " ".join(["python benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])])
    print(f"\n`{command}` ({args.episodes} episodes, {args.handouts} handouts, {args.clinics} clinics; "
          f"{os.cpu_count()} cores)\n")  # fmt: skip
    print(table.markdown())


if __name__ == "__main__":
    main()
