"""The send ledger of the first backpub versions (`.backpub/state/newsletter.sqlite`), brought into the list's
database once, so an issue sent with an older backpub is never sent again to whoever had it.

Its `sending` rows (a run died mid-delivery) become `uncertain`; the file is then renamed `*.imported`.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from backpub_mailinglist.database import DatabaseError
from backpub_mailinglist.schema import ISSUE_KEY
from backpub_mailinglist.store import MailingList

LEGACY_LEDGER = "newsletter.sqlite"
STATES = {"sending": "uncertain", "sent": "sent", "failed": "failed"}


def import_legacy_ledger(mailing: MailingList, state: Path) -> int:
    """Import the old ledger in `state`, if there is one; how many deliveries it held."""
    path = state / LEGACY_LEDGER
    if not path.is_file():
        return 0
    rows = _read(path)
    with mailing.db.transaction() as tx:
        for list_id, issue, address, status, message_id, attempts, detail, updated in rows:
            tx.execute(
                "INSERT INTO deliveries (list_id, issue, episode, address, status, message_id, attempts, run_id,"
                " detail, updated) VALUES (?, ?, ?, ?, ?, ?, ?, 'imported', ?, ?) ON CONFLICT DO NOTHING",
                (
                    list_id,
                    issue,
                    ISSUE_KEY + issue,  # which episode that day's issue led with, the next send works out
                    address.lower(),
                    STATES.get(status, "uncertain"),
                    message_id,
                    attempts,
                    detail,
                    updated,
                ),
            )
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)  # read above: SQLite moved them into the file
    path.rename(path.with_name(path.name + ".imported"))
    return len(rows)


def _read(path: Path) -> list[tuple]:
    if path.stat().st_size == 0:
        return []  # the old docs had operators `touch` it: an empty ledger
    try:
        with closing(sqlite3.connect(path)) as db:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'deliveries'").fetchone():
                return []
            return db.execute(
                "SELECT list_id, issue, subscriber, status, message_id, attempts, detail, updated FROM deliveries"
            ).fetchall()
    except sqlite3.Error as exc:
        raise DatabaseError(
            f"the older send ledger {str(path)!r} cannot be read ({exc}): restore it, or move it away once you know "
            "who got which issue"
        ) from None
