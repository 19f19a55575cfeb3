"""The subscriber list: a SQLite file in the project's state folder, shared by the sign-up service and the sender.

An address is `pending` from the sign-up form until its owner confirms, `subscribed` once confirmed (or imported
from an existing list), and `unsubscribed` for good: an import never brings an unsubscribed address back; only
its owner can, by signing up and confirming again. Every operation opens its own connection, so the service's
threads, a `newsletter send` and an import may use the file at the same time (WAL).
"""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from backpub import ConfigError

STORE_NAME = "subscribers.sqlite"
PENDING, SUBSCRIBED, UNSUBSCRIBED = "pending", "subscribed", "unsubscribed"
SCHEMA = """
CREATE TABLE IF NOT EXISTS subscribers (
    address TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('pending', 'subscribed', 'unsubscribed')),
    source TEXT NOT NULL,
    created TEXT NOT NULL,
    changed TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS requests (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_by_key ON requests (kind, key, at);
"""


@dataclass(frozen=True)
class Member:
    """A subscribed address as the sender needs it."""

    email: str
    name: str


@dataclass(frozen=True)
class ImportSummary:
    """What an import did."""

    added: int = 0
    confirmed: int = 0
    already: int = 0
    kept_unsubscribed: int = 0


def default_store_path(content_dir: Path) -> Path:
    """`.backpub/state/subscribers.sqlite` beside the content folder (never under outputs/)."""
    return Path(content_dir).resolve().parent / ".backpub" / "state" / STORE_NAME


class SubscriberStore:
    """The list in one SQLite file; `clock` gives seconds since the epoch (a fake one in tests)."""

    def __init__(self, path: Path, clock=None) -> None:
        import time

        self.path = Path(path)
        self.clock = clock or time.time
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=10, isolation_level=None)) as db:
                db.execute("PRAGMA journal_mode=WAL")  # readers (a send) never wait for the service's writes
                db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the subscriber list {str(self.path)!r}: {exc}") from None

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """One transaction on this thread's connection (kept open: closing the last one checkpoints, ~8 ms)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _stamp(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="seconds")

    # -- the sign-up service ----------------------------------------------------------------------

    def status(self, address: str) -> str | None:
        """The address's state, or None when the list has never heard of it."""
        with self._db() as db:
            row = db.execute("SELECT status FROM subscribers WHERE address = ?", (address.lower(),)).fetchone()
        return row[0] if row else None

    def request(self, email: str, name: str = "") -> None:
        """Someone asked to subscribe `email`: pending until confirmed (an existing row keeps its state)."""
        now = self._stamp()
        with self._db() as db:
            db.execute(
                "INSERT INTO subscribers (address, email, name, status, source, created, changed)"
                " VALUES (?, ?, ?, 'pending', 'form', ?, ?) ON CONFLICT DO NOTHING",
                (email.lower(), email, name, now, now),
            )

    def confirm(self, address: str) -> None:
        """The owner confirmed (a signed link proves it): subscribed, even after an earlier unsubscribe."""
        self._set_status(address, "subscribed", source="form")

    def unsubscribe(self, address: str) -> None:
        """Unsubscribed for good; an address the list never had is recorded too, so no import can add it."""
        self._set_status(address, "unsubscribed", source="unsubscribe")

    def _set_status(self, address: str, status: str, *, source: str) -> None:
        """Record an address's status, adding the address when the list does not have it yet."""
        now = self._stamp()
        with self._db() as db:
            db.execute(
                "INSERT INTO subscribers (address, email, status, source, created, changed)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO UPDATE SET status = excluded.status, changed = excluded.changed",
                (address.lower(), address, status, source, now, now),
            )

    def allow(self, kind: str, key: str, limit: int, window: float) -> bool:
        """Count one request for (`kind`, `key`); False when `limit` were already counted within `window` seconds."""
        now = self.clock()
        with self._db() as db:
            # Forget this kind's requests that left the window (keeps the table small).
            db.execute("DELETE FROM requests WHERE kind = ? AND at <= ?", (kind, now - window))
            (count,) = db.execute("SELECT COUNT(*) FROM requests WHERE kind = ? AND key = ?", (kind, key)).fetchone()
            if count >= limit:
                return False
            db.execute("INSERT INTO requests (kind, key, at) VALUES (?, ?, ?)", (kind, key, now))
        return True

    # -- the sender and the operator -------------------------------------------------------------

    def subscribed(self) -> list[Member]:
        """Every subscribed address, oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT email, name FROM subscribers WHERE status = 'subscribed' ORDER BY created, address"
            ).fetchall()
        return [Member(email, name) for email, name in rows]

    def unsubscribed(self) -> set[str]:
        """Every address that left (lower-cased): never mailed again, whatever a list says."""
        with self._db() as db:
            rows = db.execute("SELECT address FROM subscribers WHERE status = 'unsubscribed'").fetchall()
        return {address for (address,) in rows}

    def counts(self) -> dict[str, int]:
        """How many addresses are in each state."""
        with self._db() as db:
            rows = db.execute("SELECT status, COUNT(*) FROM subscribers GROUP BY status").fetchall()
        return {PENDING: 0, SUBSCRIBED: 0, UNSUBSCRIBED: 0, **dict(rows)}

    def import_members(self, members: Iterable[Member]) -> ImportSummary:
        """Add an existing list: new addresses are subscribed, pending ones confirmed, unsubscribed ones stay out."""
        now = self._stamp()
        added = confirmed = already = kept = 0
        with self._db() as db:
            for member in members:
                row = db.execute("SELECT status FROM subscribers WHERE address = ?", (member.email.lower(),)).fetchone()
                if row is None:
                    db.execute(
                        "INSERT INTO subscribers (address, email, name, status, source, created, changed)"
                        " VALUES (?, ?, ?, 'subscribed', 'import', ?, ?)",
                        (member.email.lower(), member.email, member.name, now, now),
                    )
                    added += 1
                elif row[0] == PENDING:
                    db.execute(
                        "UPDATE subscribers SET status = 'subscribed', changed = ? WHERE address = ?",
                        (now, member.email.lower()),
                    )
                    confirmed += 1
                elif row[0] == SUBSCRIBED:
                    already += 1
                else:
                    kept += 1
        return ImportSummary(added, confirmed, already, kept)

    def export_csv(self) -> str:
        """The subscribed addresses as the CSV `newsletter send --subscribers` reads (email, name)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["email", "name"])
        for member in self.subscribed():
            writer.writerow([member.email, member.name])
        return buffer.getvalue()
