"""Command-line parameters that backpub's commands and plugins' commands share: a date, the content folder.

Plugins reach them through the public API (`backpub.ISO_DATE`, `backpub.content_option`), so every command
reads a date and finds the project the same way. Only click is imported here: listing the commands stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

DEFAULT_CONTENT = "content"
"""The content folder when none is named: `content/` in the working folder."""

F = TypeVar("F", bound=Callable[..., Any])


class IsoDate(click.ParamType):  # type: ignore[type-arg,unused-ignore]  # (generic only in newer click)
    """A calendar date written as YYYY-MM-DD."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date like 2026-11-22", param, ctx)


ISO_DATE = IsoDate()
"""The click type of a date option or argument, e.g. `@click.option("--issue", type=ISO_DATE)`."""


def content_option(command: F) -> F:
    """`--content DIR`, the project's content folder (default: `content`), passed to the command as `content_dir`."""
    return click.option(
        "--content",
        "content_dir",
        default=DEFAULT_CONTENT,
        type=click.Path(path_type=Path),
        show_default=True,
        help="The content folder.",
    )(command)
