"""The send ledger: one row per (list, address, episode) in the list's database, claimed before the message goes.

Each subscriber gets each episode's issue once, whichever Sunday it is due to them (the weekly issue, or the next
episode of someone who started at the beginning), and at most one issue a day: a row also records the day of the
send that claimed it (`issue`), and a send for a day on which an address already has a row sends it nothing new.

States: `claimed` is committed (durably) just before the message's final byte is handed to the SMTP server, in
one statement that also checks, at that moment, that the address is subscribed, not suppressed and has no row
for that episode yet (or only a `failed` one); `sent` once the server accepted it; `failed` when it was refused
or known not to have arrived (a later run claims it again); `uncertain` when the run lost the server's answer, or
died with a row `claimed`: the server may or may not have the message, so it is never sent again unless the
operator asks. A subscriber who started at the beginning moves on (`subscribers.position`) in the same
transaction that makes their row `sent` or `uncertain`, so where they are and what they have never disagree.

Exactly once holds by construction: the claim is a unique key, so two runs (on two machines, against one
PostgreSQL) can never both hand the same message over; a run also holds the list's send lock, so a second run
refuses to start instead of racing, and a run that finds `claimed` rows knows their run is dead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from backpub import ConfigError
from backpub_mailinglist.database import Database, Transaction
from backpub_mailinglist.schema import ISSUE_KEY

CLAIMED, SENT, FAILED, UNCERTAIN = "claimed", "sent", "failed", "uncertain"

_CLAIM = """
INSERT INTO deliveries (list_id, address, episode, number, issue, status, message_id, attempts, run_id, updated)
SELECT ?, s.address, ?, ?, ?, 'claimed', ?, 1, ?, ?
FROM subscribers s
WHERE s.address = ? AND s.status = 'subscribed'
  AND NOT EXISTS (SELECT 1 FROM suppressions p WHERE p.address = s.address)
ON CONFLICT (list_id, address, episode) DO UPDATE
SET status = 'claimed', run_id = excluded.run_id, attempts = deliveries.attempts + 1, detail = NULL,
    issue = excluded.issue, updated = excluded.updated
WHERE deliveries.status = 'failed' OR (deliveries.status = 'uncertain' AND ?)
RETURNING address
"""

_FAIL = """
INSERT INTO deliveries (list_id, address, episode, number, issue, status, message_id, attempts, run_id, detail,
                        updated)
VALUES (?, ?, ?, ?, ?, 'failed', ?, 1, ?, ?, ?)
ON CONFLICT (list_id, address, episode) DO UPDATE
SET status = 'failed', detail = excluded.detail, updated = excluded.updated
WHERE deliveries.status = 'failed' OR (deliveries.status = 'claimed' AND deliveries.run_id = excluded.run_id)
"""

_MOVE_ON = "UPDATE subscribers SET position = ? WHERE address = ? AND position IS NOT NULL AND position <= ?"
"""A subscriber who started at the beginning has had episode `number`: the next one due is after it."""


@dataclass(frozen=True)
class Delivery:
    """One recorded delivery of an episode's issue to an address."""

    episode: str
    status: str
    issue: str
    """The day of the send that claimed it."""


@dataclass(frozen=True)
class EpisodeKey:
    """An issue's identity in the ledger: its episode's GUID (never changes) and number (for the position)."""

    guid: str
    number: int
    day: str
    """The day the issue was first published (the episode's release): the key of an older ledger's row."""


class Ledger:
    """The deliveries of one list in its database, for one run of `newsletter send` for one `day`."""

    def __init__(self, db: Database, list_id: str, day: str) -> None:
        self.db = db
        self.list_id = list_id
        self.day = day
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
        """Rows a dead run left `claimed` (we hold the lock, so no live run owns them) become uncertain, and their
        subscribers move on past those episodes, as if the message had arrived (at most once)."""
        with self.db.transaction() as tx:
            dead = tx.rows(
                "UPDATE deliveries SET status = 'uncertain', detail = 'the run that claimed it stopped', updated = ?"
                " WHERE list_id = ? AND status = 'claimed' RETURNING address, number",
                (_now(), self.list_id),
            )
            for address, number in dead:
                _move_on(tx, address, number)

    def adopt_issue_keys(self, episodes: Iterable[EpisodeKey]) -> int:
        """Give the rows of an older ledger (keyed by their issue's day) the episode that day's issue led with, so
        nobody gets an episode again that they had before the ledger was keyed by episode. How many moved."""
        moved = 0
        with self.db.transaction() as tx:
            if not tx.one(
                "SELECT 1 FROM deliveries WHERE list_id = ? AND episode LIKE ?", (self.list_id, ISSUE_KEY + "%")
            ):
                return 0
            for key in episodes:
                moved += tx.execute(
                    "UPDATE deliveries SET episode = ?, number = ? WHERE list_id = ? AND episode = ?"
                    " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.list_id = deliveries.list_id"
                    " AND d.address = deliveries.address AND d.episode = ?)",
                    (key.guid, key.number, self.list_id, ISSUE_KEY + key.day, key.guid),
                )
        return moved

    def on_this_day(self) -> dict[str, Delivery]:
        """What each address has from a send for this run's day: it gets nothing else that day."""
        with self.db.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT address, episode, status, issue FROM deliveries WHERE list_id = ? AND issue = ?",
                (self.list_id, self.day),
            )
        return {address: Delivery(episode, status, issue) for address, episode, status, issue in rows}

    def statuses(self, episodes: Iterable[str]) -> dict[tuple[str, str], str]:
        """{(address, episode): state} of every recorded delivery of these episodes."""
        wanted = sorted(set(episodes))
        if not wanted:
            return {}
        marks = ", ".join("?" for _ in wanted)
        with self.db.transaction(write=False) as tx:
            rows = tx.rows(
                f"SELECT address, episode, status FROM deliveries WHERE list_id = ? AND episode IN ({marks})",
                (self.list_id, *wanted),
            )
        return {(address, episode): status for address, episode, status in rows}

    def claim(self, address: str, episode: EpisodeKey, message_id: str, *, again_uncertain: bool = False) -> bool:
        """Claim the delivery of `episode` to `address` (committed durably); False when it must not be sent:
        delivered or claimed already, unsubscribed or suppressed by now."""
        rows = self.db.statement(
            _CLAIM,
            (self.list_id, episode.guid, episode.number, self.day, message_id, self.run_id, _now(), address,
             again_uncertain),
        )  # fmt: skip
        return bool(rows)

    def fail(self, address: str, episode: EpisodeKey, message_id: str, detail: str) -> None:
        """The message to `address` was refused or did not arrive (whether or not this run had claimed it yet):
        `failed`, so a later attempt or run may claim it again. A row another run owns is left alone."""
        self.db.statement(
            _FAIL,
            (self.list_id, address, episode.guid, episode.number, self.day, message_id, self.run_id, detail, _now()),
        )

    def mark(self, address: str, episode: EpisodeKey, status: str, detail: str | None = None) -> None:
        """Record that this run's claimed message was accepted (`sent`), refused or not delivered (`failed`), or
        that its fate is unknown (`uncertain`); a subscriber at their own pace moves on with `sent`/`uncertain`."""
        # Not synced at once: a power cut can only take the row back to `claimed`, which the next run makes
        # uncertain (never resent, and the subscriber moves on then). A killed process loses nothing committed.
        with self.db.transaction(durable=status != SENT) as tx:
            changed = tx.execute(
                "UPDATE deliveries SET status = ?, detail = ?, updated = ?"
                " WHERE list_id = ? AND address = ? AND episode = ? AND run_id = ?",
                (status, detail, _now(), self.list_id, address, episode.guid, self.run_id),
            )
            if changed and status in (SENT, UNCERTAIN):
                _move_on(tx, address, episode.number)


def _move_on(tx: Transaction, address: str, number: int | None) -> None:
    if number is not None:
        tx.execute(_MOVE_ON, (number + 1, address, number))


def _now() -> str:
    # The ledger records when things happened (not build output), so the wall clock is right here.
    return datetime.now(UTC).isoformat(timespec="seconds")
