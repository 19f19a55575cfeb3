"""What commands print: located problems, GitHub annotations, validation summaries, build summaries."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import click

from backpub.engine.reports import BuildReport, Progress
from backpub.errors import Problem

if TYPE_CHECKING:
    from backpub.session import Session


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
        click.echo(f"{plural(errors, 'errors')}, {plural(len(problems) - errors, 'warnings')}", err=True)


def _annotation(problem: Problem) -> str:
    message = problem.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::{problem.severity} file={problem.path},line={problem.line},col={problem.col}::{message}"


def plural(count: int, noun: str) -> str:
    """'1 episode', '2 episodes', '0 files': a count with its noun in the right number."""
    if count == 1:
        return f"1 {noun[:-1] if noun.endswith('s') else noun}"
    return f"{count} {noun if noun.endswith('s') else noun + 's'}"


def run_validate(session: Session, *, output_format: str, ahead: int = 0) -> int:
    """Run every check a build runs before rendering, for the as-of day and as a build on each of the next `ahead`
    Sundays would; print the outcome and return the exit code."""
    from backpub.clock import sundays_after

    validation = session.validation
    if validation.errors or validation.publication is None:
        problems = session._strict(validation.problems)
    else:
        problems = session.problems(session.formats())
        problems += session.problems_ahead(None, sundays_after(session.as_of, ahead))
    failed = any(p.severity == "error" for p in problems)
    if output_format == "json":
        data = {"ok": not failed, "counts": validation.counts, "problems": [p.as_dict() for p in sorted(problems)]}
        data["readability"] = validation.readability
        click.echo(json.dumps(data, indent=2))
        return 1 if failed else 0
    print_problems(sorted(problems), summary=bool(problems))
    if failed:
        return 1
    counts = ", ".join(plural(count, kind) for kind, count in validation.counts.items())
    click.echo(f"content is valid: {counts}")
    return 0


class ConsoleProgress(Progress):
    """A rich progress bar, shown only when rendering takes longer than a second and stderr is a terminal."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.bar: Any = None  # rich's progress bar, once rendering has taken more than a second
        self.task: Any = None
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


def print_unchanged(report: BuildReport, *, fmt: str, quiet: bool) -> None:
    """What a build that found nothing to do says: the last build's warnings and how many files are up to date
    (or the restated report as JSON)."""
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    if quiet:
        return
    for warning in report.warnings:
        click.secho(str(warning), fg="yellow", err=True)
    files = sum(stats.unchanged for stats in report.formats.values())
    noun = "file" if files == 1 else "files"
    click.echo(f"backpub build: nothing changed since the last build; {files} {noun} up to date in {report.output_dir}")


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
    for note in report.notes:
        console.print(note)
    console.print(f"done in {report.seconds:.2f} s")
