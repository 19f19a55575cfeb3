"""Where a project's mailing list lives, and the options every list command shares.

The database is `--database` (or BACKPUB_DATABASE): a postgresql:// URL, so the service and any number of senders
on other machines share one list and one ledger, or the path of a SQLite file. Without either it is the SQLite
file `subscribers.sqlite` in the project's state folder (`.backpub/state/`, from the core's `StateLayout`: never
under outputs/, never removed by `backpub clean`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from backpub_mailinglist.database import open_database
from backpub_mailinglist.store import MailingList

DATABASE_ENV = "BACKPUB_DATABASE"
DATABASE_FILE = "subscribers.sqlite"

content_option = click.option(
    "--content", "content_dir", default="content", show_default=True, type=click.Path(path_type=Path)
)
database_option = click.option(
    "--database",
    metavar="URL|PATH",
    envvar=DATABASE_ENV,
    help=f"The list's database: postgresql://... or a SQLite file (env {DATABASE_ENV}; default: "
    f".backpub/state/{DATABASE_FILE} beside the content folder).",
)


def state_folder(content_dir: Path) -> Path:
    """The project's lasting state folder (`.backpub/state/`)."""
    from backpub import Session

    return Session(content_dir).paths.state.state


def database_location(content_dir: Path, database: str | None) -> str:
    """The database a command uses: the one named, or the project's SQLite file."""
    return database or str(state_folder(content_dir) / DATABASE_FILE)


def open_list(
    content_dir: Path,
    database: str | None,
    *,
    create: bool,
    clock: Callable[[], float] | None = None,
    pool_size: int = 2,
) -> MailingList:
    """The project's list, its schema brought up to date; without `create`, a missing list is an error."""
    db = open_database(database_location(content_dir, database), create=create, pool_size=pool_size)
    return MailingList(db, clock, create=create)
