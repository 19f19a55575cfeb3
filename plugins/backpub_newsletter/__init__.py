"""The `newsletter` format plugin and the `backpub newsletter` commands (format and commands are imported on use)."""

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
    import click

    class Newsletter(click.Group):
        """`backpub newsletter`: its commands (SMTP, SQLite, the sign-up service) are imported when the group is
        used, not when `backpub --help` lists it."""

        def _load(self) -> None:
            if self.commands:
                return
            from backpub_newsletter.commands import newsletter
            from backpub_newsletter.list_commands import LIST_COMMANDS

            for command in (*newsletter.commands.values(), *LIST_COMMANDS):
                self.add_command(command)

        def list_commands(self, ctx: click.Context) -> list[str]:
            self._load()
            return super().list_commands(ctx)

        def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
            self._load()
            return super().get_command(ctx, name)

    cli.add_command(Newsletter("newsletter", help="The Sunday newsletter."))
