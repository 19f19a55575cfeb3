"""The send ledger: one row per (list, issue, address) in the list's database, claimed before the message goes.

States: `claimed` is committed (durably) just before the message's final byte is handed to the SMTP server, in
one statement that also checks, at that moment, that the address is subscribed, not suppressed and has no row
yet (or only a `failed` one); `sent` once the server accepted it; `failed` when it was refused or known not to
have arrived (a later run claims it again); `uncertain` when the run lost the server's answer, or died with a
row `claimed`: the server may or may not have the message, so it is never sent again unless the operator asks.

Exactly once holds by construction: the claim is a unique key, so two runs (on two machines, against one
PostgreSQL) can never both hand the same message over; a run also holds the list's send lock, so a second run
refuses to start instead of racing, and a run that finds `claimed` rows knows their run is dead.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from backpub import ConfigError
from backpub_mailinglist.database import Database

CLAIMED, SENT, FAILED, UNCERTAIN = "claimed", "sent", "failed", "uncertain"

_CLAIM = """
INSERT INTO deliveries (list_id, issue, address, status, message_id, attempts, run_id, updated)
SELECT ?, ?, s.address, 'claimed', ?, 1, ?, ?
FROM subscribers s
WHERE s.address = ? AND s.status = 'subscribed'
  AND NOT EXISTS (SELECT 1 FROM suppressions p WHERE p.address = s.address)
ON CONFLICT (list_id, issue, address) DO UPDATE
SET status = 'claimed', run_id = excluded.run_id, attempts = deliveries.attempts + 1, detail = NULL,
    updated = excluded.updated
WHERE deliveries.status = 'failed' OR (deliveries.status = 'uncertain' AND ?)
RETURNING address
"""


class Ledger:
    """One issue's deliveries in the list's database, for one run of `newsletter send`."""

    def __init__(self, db: Database, list_id: str, issue: str) -> None:
        self.db = db
        self.list_id = list_id
        self.issue = issue
        self.run_id = uuid.uuid4().hex
        self._lock = db.session_lock(f"send {list_id}")
        self._locked = False

    def __enter__(self) -> Ledger:
        if not self._lock.acquire():
            raise ConfigError(
                f"another `backpub newsletter send` of the list {self.list_id!r} is running (it holds the send "
                f"lock in {self.db.label}); wait for it to finish"
            )
        self._locked = True
        self._recover()
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
        self._locked = False

    def _recover(self) -> None:
        """Rows a dead run left `claimed` (we hold the lock, so no live run owns them) become uncertain."""
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE deliveries SET status = 'uncertain', detail = 'the run that claimed it stopped', updated = ?"
                " WHERE list_id = ? AND issue = ? AND status = 'claimed'",
                (_now(), self.list_id, self.issue),
            )

    def statuses(self) -> dict[str, str]:
        """Every recorded address of this issue and its state."""
        with self.db.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT address, status FROM deliveries WHERE list_id = ? AND issue = ?", (self.list_id, self.issue)
            )
        return dict(rows)

    def claim(self, address: str, message_id: str, *, again_uncertain: bool = False) -> bool:
        """Claim the delivery to `address` (committed durably); False when it must not be sent: delivered or
        claimed already, unsubscribed or suppressed by now."""
        rows = self.db.statement(
            _CLAIM, (self.list_id, self.issue, message_id, self.run_id, _now(), address, again_uncertain)
        )
        return bool(rows)

    def fail(self, address: str, message_id: str, detail: str) -> None:
        """The message to `address` was refused or did not arrive (whether or not this run had claimed it yet):
        `failed`, so a later attempt or run may claim it again. A row another run owns is left alone."""
        self.db.statement(_FAIL, (self.list_id, self.issue, address, message_id, self.run_id, detail, _now()))

    def mark(self, address: str, status: str, detail: str | None = None) -> None:
        """Record that this run's claimed message was accepted (`sent`), refused or not delivered (`failed`), or
        that its fate is unknown (`uncertain`)."""
        # Not synced at once: a power cut can only take the row back to `claimed`, which the next run makes
        # uncertain (never resent). A killed process loses nothing committed.
        self.db.statement(
            "UPDATE deliveries SET status = ?, detail = ?, updated = ?"
            " WHERE list_id = ? AND issue = ? AND address = ? AND run_id = ?",
            (status, detail, _now(), self.list_id, self.issue, address, self.run_id),
            durable=status != SENT,
        )


_FAIL = """
INSERT INTO deliveries (list_id, issue, address, status, message_id, attempts, run_id, detail, updated)
VALUES (?, ?, ?, 'failed', ?, 1, ?, ?, ?)
ON CONFLICT (list_id, issue, address) DO UPDATE
SET status = 'failed', detail = excluded.detail, updated = excluded.updated
WHERE deliveries.status = 'failed' OR (deliveries.status = 'claimed' AND deliveries.run_id = excluded.run_id)
"""


def _now() -> str:
    # The ledger records when things happened (not build output), so the wall clock is right here.
    return datetime.now(UTC).isoformat(timespec="seconds")
