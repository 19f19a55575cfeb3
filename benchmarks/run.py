"""Measure the build engine on a synthetic programme and print a table against the targets of issue 7.

    python benchmarks/run.py                                   # 500 episodes, 100 handouts, 3 clinics, all formats
    python benchmarks/run.py --episodes 50 --handouts 10 -f json -f site   # a quick smoke run

Every wall-clock figure is a subprocess of the real `backpub` CLI on the same machine in one run. The WeasyPrint
floor renders a sample of the pdf format's handouts twice in one process: through the format, and with WeasyPrint
alone on the very HTML (and fetcher) the format produced.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import LAST_SUNDAY, Size, generate

AS_OF = LAST_SUNDAY.isoformat()
BACKPUB = [sys.executable, "-m", "backpub"]


@dataclass
class Run:
    """One CLI run: wall clock, CPU time and peak memory of the child, and its JSON report if it printed one."""

    seconds: float
    cpu_seconds: float
    max_rss_mb: float
    report: dict


def run_cli(args: list[str], cwd: Path) -> Run:
    """Run `backpub ARGS` in a child process, measured with wait4; fail loudly with its output if it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen([*BACKPUB, *args], cwd=cwd, stdout=out, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait for it again
        out.seek(0)
        errors.seek(0)
        stdout, stderr = out.read().decode(), errors.read().decode()
    if child.returncode != 0:
        raise SystemExit(f"backpub {' '.join(args)} failed ({child.returncode}):\n{stdout}\n{stderr}")
    report = json.loads(stdout) if stdout.strip().startswith("{") else {}
    # wait4's usage includes the workers the child forked and reaped
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, report)


def build(project: Path, formats: list[str], *extra: str) -> Run:
    args = ["build", "--as-of", AS_OF, "--report", "json", *extra]
    for name in formats:
        args += ["-f", name]
    return run_cli(args, project)


def rendered(run: Run) -> int:
    return len(run.report.get("rendered", []))


def append_to_body(path: Path, text: str) -> None:
    path.write_text(path.read_text().rstrip("\n") + "\n\n" + text + "\n")


def most_shared_protocol(content: Path) -> tuple[str, int]:
    """The protocol that appears in the most handouts, and in how many."""
    counts: dict[str, int] = {}
    for handout in (content / "handouts").glob("*.md"):
        text = handout.read_text()
        for protocol in (content / "protocols").glob("*.md"):
            if f"- {protocol.stem}\n" in text:
                counts[protocol.stem] = counts.get(protocol.stem, 0) + 1
    name = max(sorted(counts), key=counts.__getitem__)
    return name, counts[name]


def registered_formats() -> list[str]:
    out = subprocess.run([*BACKPUB, "plugins", "--json"], capture_output=True, text=True, check=True).stdout
    return sorted(name for plugin in json.loads(out) for name in plugin["formats"])


# -- the WeasyPrint floor -------------------------------------------------------------------------------

FLOOR_SCRIPT = r"""
import gc, json, sys, time
from datetime import date
from pathlib import Path
import weasyprint
from backpub import Session

content, as_of, sample = Path(sys.argv[1]), date.fromisoformat(sys.argv[2]), int(sys.argv[3])
session = Session(content, as_of=as_of)
publication = session.publication
pdf = session.formats(["pdf"])["pdf"]

calls = []
original_init, original_write = weasyprint.HTML.__init__, weasyprint.HTML.write_pdf
def init(self, *args, **kwargs):
    calls.append({"html": (args, kwargs)})
    original_init(self, *args, **kwargs)
def write_pdf(self, *args, **kwargs):
    calls[-1]["write"] = (args, kwargs)
    return original_write(self, *args, **kwargs)
weasyprint.HTML.__init__, weasyprint.HTML.write_pdf = init, write_pdf

jobs = [job for job in pdf.jobs(publication) if job.args.get("kind") == "handout"][:sample]
pdf.prepare(publication)
pdf.render(jobs[0], publication)  # warm up fonts and caches, as a worker does once
through_backpub, alone = [], []
for job in jobs:
    # Five rounds each, alternating which goes first, keeping the best: so neither side is measured colder.
    ours, theirs = [], []
    calls.clear()
    pdf.render(job, publication)
    (html_args, html_kwargs), (write_args, write_kwargs) = calls[-1]["html"], calls[-1]["write"]
    for round_ in range(5):
        def through():
            gc.collect()  # a collection triggered by the previous render must not land in this one
            started = time.perf_counter()
            pdf.render(job, publication)
            ours.append(time.perf_counter() - started)
        def bare():
            gc.collect()
            started = time.perf_counter()
            original_write(weasyprint.HTML(*html_args, **html_kwargs), *write_args, **write_kwargs)
            theirs.append(time.perf_counter() - started)
        if round_ == 0 or round_ % 2:
            through(); bare()
        else:
            bare(); through()
    through_backpub.append(min(ours))
    alone.append(min(theirs))
print(json.dumps({"backpub": through_backpub, "weasyprint": alone}))
"""


def weasyprint_floor(content: Path, sample: int) -> dict[str, list[float]]:
    out = subprocess.run(
        [sys.executable, "-c", FLOOR_SCRIPT, str(content), AS_OF, str(sample)], capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"the WeasyPrint floor measurement failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the table --------------------------------------------------------------------------------------------


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, what: str, figure: str, target: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("yes" if ok else "NO")
        self.rows.append((what, figure, target, verdict))
        print(f"  {what}: {figure}", file=sys.stderr, flush=True)

    def markdown(self) -> str:
        lines = ["| measurement | result | target | met |", "| --- | ---: | --- | --- |"]
        lines += [f"| {what} | {figure} | {target} | {ok} |" for what, figure, target, ok in self.rows]
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--handouts", type=int, default=100)
    parser.add_argument("--clinics", type=int, default=3)
    parser.add_argument("-f", "--format", dest="formats", action="append", help="Formats to build (default: all).")
    parser.add_argument("--floor-sample", type=int, default=6, help="Handouts rendered for the WeasyPrint floor.")
    parser.add_argument("--repeat", type=int, default=3, help="No-op rebuilds to run (the median is reported).")
    parser.add_argument("--workdir", type=Path, help="Where to generate the project (default: a temporary folder).")
    args = parser.parse_args(argv)

    formats = args.formats or registered_formats()
    with tempfile.TemporaryDirectory(prefix="backpub-bench-") as scratch:
        project = (args.workdir or Path(scratch)).resolve()
        size = Size(episodes=args.episodes, handouts=args.handouts, clinics=args.clinics)
        content = generate(project, size)
        print(f"{size}\nformats: {', '.join(formats)}; cores: {os.cpu_count()}", file=sys.stderr)
        table = measure(project, content, formats, args)
    command = " ".join(["python benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])])
    print(f"\n`{command}` ({args.episodes} episodes, {args.handouts} handouts, {args.clinics} clinics; "
          f"formats: {', '.join(formats)}; {os.cpu_count()} cores)\n")  # fmt: skip
    print(table.markdown())


def measure(project: Path, content: Path, formats: list[str], args: argparse.Namespace) -> Table:
    table = Table()
    validate = run_cli(["validate", "content", "--as-of", AS_OF], project)
    table.add(
        "`backpub validate` time",
        f"{validate.seconds:.2f} s (CPU {validate.cpu_seconds:.2f} s)",
        "< 2 s",
        validate.seconds < 2,
    )
    table.add("`backpub validate` peak memory", f"{validate.max_rss_mb:.0f} MB", "< 300 MB", validate.max_rss_mb < 300)

    serial = build(project, formats, "--no-cache", "--jobs", "1")
    run_cli(["clean", "--content", "content"], project)
    cold = build(project, formats, "--jobs", "2")
    jobs = rendered(cold)
    table.add(f"cold build, --jobs 1 ({jobs} files)", f"{serial.seconds:.1f} s")
    table.add(f"cold build, --jobs 2 ({jobs} files)", f"{cold.seconds:.1f} s")
    speedup = serial.seconds / cold.seconds
    table.add("--jobs 2 speed-up over --jobs 1", f"{speedup:.2f}x", ">= 1.7x", speedup >= 1.7)

    noops = [build(project, formats) for _ in range(args.repeat)]
    noop = statistics.median(run.seconds for run in noops)
    assert all(rendered(run) == 0 for run in noops), "a no-op rebuild rendered something"
    cpu = statistics.median(run.cpu_seconds for run in noops)
    table.add("no-op rebuild (whole process)", f"{noop:.2f} s (CPU {cpu:.2f} s)", "< 0.5 s", noop < 0.5)

    middle = max(1, args.episodes // 2)
    append_to_body(content / "episodes" / f"synthetic-episode-{middle}.md", "An edited generated sentence.")
    episode = build(project, formats)
    share = episode.seconds / cold.seconds
    table.add(
        f"edit one episode ({rendered(episode)} files re-rendered)",
        f"{episode.seconds:.2f} s ({share:.0%} of cold)",
        "< 15% of cold",
        share < 0.15,
    )

    protocol, handouts = most_shared_protocol(content)
    append_to_body(content / "protocols" / f"{protocol}.md", "An edited generated sentence.")
    edited = build(project, formats)
    table.add(
        f"edit one protocol shown in {handouts} handouts ({rendered(edited)} files re-rendered)",
        f"{edited.seconds:.2f} s ({edited.seconds / cold.seconds:.0%} of cold)",
    )

    if "pdf" in formats and args.floor_sample > 0:
        floor = weasyprint_floor(content, args.floor_sample)
        ours, theirs = statistics.median(floor["backpub"]), statistics.median(floor["weasyprint"])
        overhead = ours / theirs - 1
        table.add("pdf: time per handout through backpub", f"{ours:.3f} s (median of {len(floor['backpub'])})")
        table.add("pdf: WeasyPrint alone on the same HTML", f"{theirs:.3f} s")
        table.add("pdf: backpub's overhead per handout", f"{overhead:+.0%}", "within 10%", overhead <= 0.10)
    return table


if __name__ == "__main__":
    main()
