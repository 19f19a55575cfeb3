"""Every hook a backpub plugin can implement. Hooks are called with keyword arguments only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from backpub.content.publication import Publication
    from backpub.errors import Problem
    from backpub.formats import BuildContext, Format
    from backpub.model import Entity

PROJECT_NAME = "backpub"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marker for plugins' hook implementations: `@backpub.hookimpl`."""


@hookspec
def register_formats() -> list[type[Format]]:  # type: ignore[empty-body]
    """Return the output format classes this plugin provides; called once when the host is built."""


@hookspec
def register_kinds() -> list[type[Entity]]:  # type: ignore[empty-body]
    """Return the entity classes (kinds of content) this plugin adds to the built-in ones; called once when the
    host is built. Each declares its kind, folder, label, plural and scaffold (see `backpub.Entity`)."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the `backpub` CLI; called when the CLI starts, before arguments are parsed."""


@hookspec
def check_publication(publication: Publication, context: BuildContext) -> list[Problem]:  # type: ignore[empty-body]
    """Return extra problems found in the validated content; called by `validate` and before every build renders."""
