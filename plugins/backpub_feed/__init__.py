"""The `feed` plugin: the podcast feed format and the `backpub feed` commands, each imported only when needed.

The format class lives in `backpub_feed.format` and is imported when the host collects formats; its names are
also reachable here (`backpub_feed.FeedFormat`), imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from backpub import hookimpl
from backpub_feed.version import __version__ as __version__

if TYPE_CHECKING:
    import click

    from backpub import BuildContext, Format, Problem, Publication

_FORMAT_NAMES = {"FeedFormat", "OUTPUT"}
"""The names of `backpub_feed.format` reachable from the package, as before the class moved there."""


@hookimpl
def register_formats() -> list[type[Format]]:
    from backpub_feed.format import FeedFormat

    return [FeedFormat]


@hookimpl
def check_publication(publication: Publication, context: BuildContext) -> list[Problem]:
    """Whatever formats a build renders: a build for today may not un-publish what the ledger says is out."""
    from backpub_feed.ledger import clock_problems

    return clock_problems(publication, context)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from backpub_feed.command import feed_group

    cli.add_command(feed_group)


def __getattr__(name: str) -> Any:
    if name in _FORMAT_NAMES:
        return getattr(importlib.import_module("backpub_feed.format"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
