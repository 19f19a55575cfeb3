"""What commands print: located problems, GitHub annotations, validation summaries, build summaries."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from pathlib import Path

import click

from backpub.build import BuildReport, Progress, make_context
from backpub.errors import Problem


def print_problems(problems: list[Problem], *, fmt: str = "text", summary: bool = True) -> None:
    """Print problems as `path:line:col: severity: message` (or JSON), then a count."""
    if fmt == "json":
        click.echo(json.dumps({"problems": [p.as_dict() for p in problems]}, indent=2))
        return
    for problem in problems:
        colour = "red" if problem.severity == "error" else "yellow"
        click.secho(str(problem), fg=colour, err=True)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for problem in problems:
            click.echo(_annotation(problem))
    if summary:
        errors = sum(p.severity == "error" for p in problems)
        warnings = len(problems) - errors
        click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)


def _annotation(problem: Problem) -> str:
    message = problem.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::{problem.severity} file={problem.path},line={problem.line},col={problem.col}::{message}"


def run_validate(content_dir: Path, *, strict: bool, as_of: date | None, output_format: str) -> int:
    """Validate a content folder, print the outcome and return the exit code."""
    from backpub import markdown
    from backpub.build import MARKDOWN_FACTS, state_dir
    from backpub.plugins import make_host
    from backpub.validation import load

    facts = state_dir(Path(content_dir).resolve().parent) / "cache" / MARKDOWN_FACTS
    markdown.load_facts(facts)
    validation = load(content_dir, as_of=as_of)
    problems = list(validation.problems)
    if validation.publication is not None:
        publication = validation.publication
        host = make_host(project_dir=Path(content_dir).resolve().parent)
        names = sorted(host.formats())
        context = make_context(publication, content_dir, as_of or publication.today(), names, strict)
        problems += host.check_publication(publication, context)
        problems += format_problems(host, publication, context)
    if Path(content_dir).is_dir():
        markdown.save_facts(facts)
    if strict:
        problems = [Problem(p.path, p.line, p.col, "error", p.message, p.entity) for p in problems]
    failed = any(p.severity == "error" for p in problems)
    if output_format == "json":
        data = {"ok": not failed, "counts": validation.counts, "problems": [p.as_dict() for p in sorted(problems)]}
        data["readability"] = validation.readability
        click.echo(json.dumps(data, indent=2))
        return 1 if failed else 0
    print_problems(sorted(problems), summary=bool(problems))
    if failed:
        return 1
    counts = ", ".join(f"{count} {kind}" for kind, count in validation.counts.items())
    click.echo(f"content is valid: {counts}")
    return 0


def format_problems(host, publication, context) -> list[Problem]:
    """What every registered format's own check finds (e.g. podcast artwork), so `validate` catches it too."""
    from backpub.build import run_checks

    instances = {name: cls(context, publication.programme.formats.get(name)) for name, cls in host.formats().items()}
    return run_checks(instances, publication)


class ConsoleProgress(Progress):
    """A rich progress bar, shown only when rendering takes longer than a second and stderr is a terminal."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None
        self.task = None
        self.total = 0
        self.done = 0
        self.started = 0.0

    def start(self, total: int) -> None:
        self.total, self.done, self.started = total, 0, time.perf_counter()

    def advance(self, output: str) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.bar is None and time.perf_counter() - self.started > 1.0:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self.bar = Bar(TextColumn("rendering"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                           console=Console(stderr=True), transient=True)  # fmt: skip
            self.bar.start()
            self.task = self.bar.add_task("render", total=self.total, completed=self.done)
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def print_build_report(report: BuildReport, *, fmt: str, quiet: bool) -> None:
    """A summary table of what the build wrote (or JSON for CI)."""
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    if quiet:
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"backpub build: {report.output_dir}", title_justify="left")
    for column in ("format", "written", "unchanged", "removed", "size", "render time"):
        table.add_column(column, justify="left" if column == "format" else "right")
    for stats in report.formats.values():
        size = f"{stats.bytes / 1024:.1f} KiB" if stats.written else "-"
        table.add_row(
            stats.name, str(stats.written), str(stats.unchanged), str(stats.removed), size, f"{stats.seconds:.2f} s"
        )
    console = Console()
    console.print(table)
    console.print(f"done in {report.seconds:.2f} s")
