"""The send ledger: a SQLite record of every (issue, subscriber) delivery, kept in the project's state folder.

States: `sending` is committed just before the message's final byte leaves, `sent` once the server accepted it,
`failed` when it was refused (or known not to have arrived). A `sending` row left by a crash is *uncertain*:
the server may or may not have accepted the message, so it is never sent again automatically (nobody twice).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from backpub import ConfigError

SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    list_id TEXT NOT NULL,
    issue TEXT NOT NULL,
    subscriber TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    message_id TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    detail TEXT,
    updated TEXT NOT NULL,
    PRIMARY KEY (list_id, issue, subscriber)
)
"""
SENDING, SENT, FAILED = "sending", "sent", "failed"


class Ledger:
    """One issue's deliveries; holds an exclusive lock so two sends of the project cannot interleave."""

    def __init__(self, state_dir: Path, list_id: str, issue: str, *, read_only: bool = False) -> None:
        self.path = Path(state_dir) / "newsletter.sqlite"
        self.list_id = list_id
        self.issue = issue
        self._lock_file = None
        if read_only:
            uri = f"file:{self.path}?mode=ro"
            self.db = sqlite3.connect(uri, uri=True) if self.path.exists() else sqlite3.connect(":memory:")
            self.db.execute(SCHEMA)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock()
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # With WAL, a FULL commit also makes every earlier commit durable; see mark() for why `sent` need not wait.
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(SCHEMA)

    def _lock(self) -> None:
        self._lock_file = open(self.path.with_suffix(".lock"), "a+")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise ConfigError(f"another `backpub newsletter send` is running (it holds {self.path.name})") from None

    def statuses(self) -> dict[str, str]:
        """Every recorded subscriber of this issue and their state."""
        rows = self.db.execute(
            "SELECT subscriber, status FROM deliveries WHERE list_id = ? AND issue = ?", (self.list_id, self.issue)
        )
        return dict(rows.fetchall())

    def mark_sending(self, subscriber: str, message_id: str) -> None:
        """Committed (and synced to disk) before the message's final byte is sent: a crash now leaves it uncertain."""
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(
            "INSERT INTO deliveries (list_id, issue, subscriber, status, message_id, attempts, updated)"
            " VALUES (?, ?, ?, 'sending', ?, 1, ?)"
            " ON CONFLICT DO UPDATE SET status = 'sending', attempts = attempts + 1, detail = NULL,"
            " updated = excluded.updated",
            (self.list_id, self.issue, subscriber, message_id, _now()),
        )

    def mark(self, subscriber: str, status: str, detail: str | None = None) -> None:
        """Record that the message was accepted (`sent`) or refused / known not to have arrived (`failed`)."""
        # Not synced at once: a power cut can only take this row back to `sending` (uncertain, never resent),
        # and the next `sending` commit syncs it anyway. A killed process loses nothing committed.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "INSERT INTO deliveries (list_id, issue, subscriber, status, message_id, detail, updated)"
            " VALUES (?, ?, ?, ?, '', ?, ?)"
            " ON CONFLICT DO UPDATE SET status = excluded.status, detail = excluded.detail, updated = excluded.updated",
            (self.list_id, self.issue, subscriber, status, detail, _now()),
        )

    def close(self) -> None:
        self.db.close()
        if self._lock_file is not None:
            self._lock_file.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _now() -> str:
    # The ledger records when things happened (not build output), so the wall clock is right here.
    return datetime.now(UTC).isoformat(timespec="seconds")


def ledger_dir(state_dir: Path | None) -> Path:
    """The state folder (outside outputs/, never removed by `backpub clean`)."""
    if state_dir is None:
        raise ConfigError("the build context has no state folder for the send ledger")
    return Path(os.fspath(state_dir))
