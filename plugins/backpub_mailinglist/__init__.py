"""The newsletter's mailing list: `backpub newsletter send|serve|import|export|unsubscribe`.

Its own store, ledger, sender and subscription service; it reads the `newsletter` format's options and asks that
format for each issue's message (the format renders, the list decides who gets it and how). Its commands are
imported when the group is used, not when `backpub --help` lists it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backpub import hookimpl

if TYPE_CHECKING:
    import click

__version__ = "1.0"


@hookimpl
def register_commands(cli: click.Group) -> None:
    import click

    class Newsletter(click.Group):
        """`backpub newsletter`: its commands (SMTP, the database, the sign-up service) are imported when the group
        is used, not when `backpub --help` lists it."""

        def _load(self) -> None:
            if self.commands:
                return
            from backpub_mailinglist.commands import COMMANDS

            for command in COMMANDS:
                self.add_command(command)

        def list_commands(self, ctx: click.Context) -> list[str]:
            self._load()
            return super().list_commands(ctx)

        def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
            self._load()
            return super().get_command(ctx, name)

    cli.add_command(Newsletter("newsletter", help="The Sunday newsletter's mailing list."))
