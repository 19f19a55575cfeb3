"""The `newsletter` format plugin and the `backpub newsletter send` command (heavy imports happen on use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backpub import hookimpl

if TYPE_CHECKING:
    import click

    from backpub import Format

__version__ = "1.0"


@hookimpl
def register_formats() -> list[type[Format]]:
    from backpub_newsletter.format import NewsletterFormat

    return [NewsletterFormat]


@hookimpl
def register_commands(cli: click.Group) -> None:
    from backpub_newsletter.commands import newsletter
    from backpub_newsletter.list_commands import LIST_COMMANDS

    for command in LIST_COMMANDS:
        newsletter.add_command(command)
    cli.add_command(newsletter)
