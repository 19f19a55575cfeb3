"""The subscriber list in its database: sign-ups, confirmations, unsubscribes, suppressions, the mail queue.

An address is `pending` from the sign-up form until its owner confirms, `subscribed` once confirmed (or imported
from an existing list), and `unsubscribed` when it leaves. Only the owner brings an unsubscribed address back, by
signing up and confirming again: an import never does, and a confirmation link works only for the request it
was sent for (it is bound to the address's `pending_id`). A suppressed address (a hard bounce, a complaint) is
never mailed, whatever its state. Every change is one transaction, so the service's threads, any number of its
processes, `newsletter send` and an import may work on the list at the same time.
"""

from __future__ import annotations

import csv
import io
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from backpub_mailinglist.addresses import Address, clean_name
from backpub_mailinglist.database import Database, Transaction
from backpub_mailinglist.schema import ensure_schema

PENDING, SUBSCRIBED, UNSUBSCRIBED = "pending", "subscribed", "unsubscribed"
CONFIRM, WELCOME = "confirm", "welcome"
BOUNCE, COMPLAINT, MANUAL = "bounce", "complaint", "manual"
LIMITED, QUEUED, QUIET = "limited", "queued", "quiet"


@dataclass(frozen=True)
class Member:
    """A subscribed address as the sender needs it."""

    email: str
    name: str

    @property
    def key(self) -> str:
        return self.email.lower()


@dataclass(frozen=True)
class ImportSummary:
    """What an import did."""

    added: int = 0
    confirmed: int = 0
    already: int = 0
    kept_unsubscribed: int = 0
    suppressed: int = 0


@dataclass(frozen=True)
class SignUpLimits:
    """How much one address and one client may ask for."""

    mails_per_address: int = 3
    """Confirmation mails to one address per `address_window` (against mail-bombing someone else's inbox)."""
    address_window: float = 24 * 3600
    signups_per_client: int = 30
    """Sign-up posts from one client address per `client_window` (a clinic's reception shares one address)."""
    client_window: float = 3600


@dataclass(frozen=True)
class Mail:
    """A queued confirmation or welcome mail, claimed by a worker."""

    id: int
    kind: str
    address: str
    attempts: int
    created: float


@dataclass(frozen=True)
class Recipient:
    """What a queued mail needs to know about its address when it is sent."""

    email: str
    name: str
    status: str
    pending_id: str | None
    suppressed: bool


@dataclass(frozen=True)
class Suppression:
    address: str
    reason: str
    detail: str
    source: str
    created: str


class MailingList:
    """The list in a database; `clock` gives seconds since the epoch (a fake one in tests)."""

    def __init__(self, db: Database, clock: Callable[[], float] | None = None, *, create: bool = True) -> None:
        self.db = db
        self.clock = clock or time.time
        ensure_schema(db, create=create)

    def _stamp(self, now: float | None = None) -> str:
        return datetime.fromtimestamp(self.clock() if now is None else now, UTC).isoformat(timespec="seconds")

    # -- the sign-up service ----------------------------------------------------------------------

    def check_writable(self) -> None:
        """A write that reaches the disk, undone: a read-only database or folder fails here, before anyone asks."""
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO requests (kind, key, at) VALUES ('probe', '', 0)")
            tx.execute("DELETE FROM requests WHERE kind = 'probe'")

    def allow_client(self, client: str, limits: SignUpLimits) -> bool:
        """Count one sign-up from `client`; False when it already had its share within the window."""
        now = self.clock()
        with self.db.transaction(durable=False) as tx:
            return self._allow(tx, "client", client, limits.signups_per_client, limits.client_window, now)

    def _allow(self, tx: Transaction, kind: str, key: str, limit: int, window: float, now: float) -> bool:
        tx.execute("DELETE FROM requests WHERE kind = ? AND at <= ?", (kind, now - window))  # expired (an index range)
        count = tx.value(
            "SELECT COUNT(*) FROM requests WHERE kind = ? AND key = ? AND at > ?", (kind, key, now - window)
        )
        if count >= limit:
            return False
        tx.execute("INSERT INTO requests (kind, key, at) VALUES (?, ?, ?)", (kind, key, now))
        return True

    def sign_up(self, address: Address, name: str, client: str, limits: SignUpLimits) -> str:
        """Someone at `client` asked to subscribe `address`: pending until confirmed, with a confirmation mail
        queued when the address may get one. One transaction whatever the list holds. Returns LIMITED (the client
        had its share: nothing changed), QUEUED or QUIET (nothing to send); only tests and logs tell them apart."""
        now = self.clock()
        stamp = self._stamp(now)
        with self.db.transaction() as tx:
            if not self._allow(tx, "client", client, limits.signups_per_client, limits.client_window, now):
                return LIMITED
            row = tx.one("SELECT status FROM subscribers WHERE address = ?", (address.key,))
            if row is None:
                tx.execute(
                    "INSERT INTO subscribers (address, email, name, status, source, created, changed, pending_id)"
                    " VALUES (?, ?, ?, 'pending', 'form', ?, ?, ?)",
                    (address.key, address.email, clean_name(name), stamp, stamp, secrets.token_hex(16)),
                )
            elif row[0] == UNSUBSCRIBED:
                # A new request: its own binding, so a link from before the address left stays dead.
                tx.execute(
                    "UPDATE subscribers SET status = 'pending', changed = ?, pending_id = ?, name = ?"
                    " WHERE address = ? AND status = 'unsubscribed'",
                    (stamp, secrets.token_hex(16), clean_name(name), address.key),
                )
            elif row[0] == SUBSCRIBED:
                return QUIET  # nothing to confirm
            return QUEUED if self._queue_confirmation(tx, address.key, limits, now) else QUIET

    def _queue_confirmation(self, tx: Transaction, key: str, limits: SignUpLimits, now: float) -> bool:
        if tx.one("SELECT 1 FROM suppressions WHERE address = ?", (key,)):
            return False  # a bounced or complaining address gets nothing, not even a confirmation
        waiting = tx.one(
            "SELECT 1 FROM outbox WHERE address = ? AND kind = 'confirm' AND status IN ('queued', 'sending')", (key,)
        )
        if waiting:
            return False  # the mail already queued goes out (with every retry) and carries a valid link
        # Only mails that went out (or may have) count: a mail that could not be sent leaves the person free to ask again.
        sent = tx.value(
            "SELECT COUNT(*) FROM outbox WHERE address = ? AND kind = 'confirm' AND status = 'sent' AND created > ?",
            (key, now - limits.address_window),
        )
        if sent >= limits.mails_per_address:
            return False
        self._queue(tx, CONFIRM, key, now)
        return True

    def _queue(self, tx: Transaction, kind: str, key: str, now: float) -> None:
        tx.execute(
            "INSERT INTO outbox (kind, address, status, attempts, due, created) VALUES (?, ?, 'queued', 0, ?, ?)",
            (kind, key, now, now),
        )

    def pending_binding(self, key: str) -> str | None:
        """The binding a confirmation link for `key` must carry now; None when the address is not pending."""
        with self.db.transaction(write=False) as tx:
            row = tx.one("SELECT status, pending_id FROM subscribers WHERE address = ?", (key,))
        return row[1] if row and row[0] == PENDING and row[1] else None

    def confirm(self, key: str, binding: str) -> bool:
        """The owner confirmed the request `binding` names: subscribed, and a welcome mail queued. Only a pending
        address with that very request moves; False when there was nothing to confirm."""
        now = self.clock()
        with self.db.transaction() as tx:
            moved = tx.execute(
                "UPDATE subscribers SET status = 'subscribed', confirmed = ?, changed = ?, pending_id = NULL,"
                " source = 'form' WHERE address = ? AND status = 'pending' AND pending_id = ?",
                (self._stamp(now), self._stamp(now), key, binding),
            )
            if moved and not tx.one("SELECT 1 FROM suppressions WHERE address = ?", (key,)):
                self._queue(tx, WELCOME, key, now)
        return bool(moved)

    def unsubscribe(self, key: str, email: str | None = None, *, source: str = "unsubscribe") -> None:
        """Unsubscribed; an address the list never had is recorded too, so no import can add it."""
        key = key.lower()
        stamp = self._stamp()
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO subscribers (address, email, status, source, created, changed, unsubscribed)"
                " VALUES (?, ?, 'unsubscribed', ?, ?, ?, ?)"
                " ON CONFLICT (address) DO UPDATE SET status = 'unsubscribed', changed = excluded.changed,"
                " unsubscribed = excluded.unsubscribed, pending_id = NULL",
                (key, email or key, source, stamp, stamp, stamp),
            )

    def status(self, key: str) -> str | None:
        """The address's state, or None when the list has never heard of it."""
        with self.db.transaction(write=False) as tx:
            return tx.value("SELECT status FROM subscribers WHERE address = ?", (key.lower(),))

    # -- the mail queue (confirmation and welcome mails) ------------------------------------------------

    def due_mail(self, limit: int, lease: float) -> list[Mail]:
        """Claim up to `limit` mails that are due (or whose worker died holding them) for `lease` seconds."""
        now = self.clock()
        with self.db.transaction() as tx:
            rows = tx.rows(
                "SELECT id FROM outbox WHERE (status = 'queued' AND due <= ?) OR (status = 'sending' AND lease <= ?)"
                " ORDER BY due LIMIT ?",
                (now, now, limit),
            )
            claimed = []
            for (mail_id,) in rows:
                row = tx.one(
                    "UPDATE outbox SET status = 'sending', lease = ?, attempts = attempts + 1 WHERE id = ?"
                    " AND ((status = 'queued' AND due <= ?) OR (status = 'sending' AND lease <= ?))"
                    " RETURNING id, kind, address, attempts, created",
                    (now + lease, mail_id, now, now),
                )
                if row is not None:  # another worker (another process) may have taken it in between
                    claimed.append(Mail(*row))
        return claimed

    def next_due(self) -> float | None:
        """When the next queued mail is due, if any."""
        with self.db.transaction(write=False) as tx:
            return tx.value("SELECT MIN(due) FROM outbox WHERE status = 'queued'")

    def recipient(self, key: str) -> Recipient | None:
        with self.db.transaction(write=False) as tx:
            row = tx.one("SELECT email, name, status, pending_id FROM subscribers WHERE address = ?", (key,))
            suppressed = tx.one("SELECT 1 FROM suppressions WHERE address = ?", (key,)) is not None
        return Recipient(row[0], row[1], row[2], row[3], suppressed) if row else None

    def mails_done(self, outcomes: list[tuple[Mail, str, str | None, float | None]]) -> None:
        """Record a round's outcomes in one transaction: (mail, status, detail, due). Status `sent`, `dropped` (no
        longer wanted) or `failed` is final; `queued` with a `due` time is a retry."""
        if not outcomes:
            return
        with self.db.transaction(durable=False) as tx:
            for mail, status, detail, due in outcomes:
                tx.execute(
                    "UPDATE outbox SET status = ?, detail = ?, lease = NULL, due = COALESCE(?, due) WHERE id = ?",
                    (status, detail, due, mail.id),
                )

    def prune_outbox(self, older_than: float) -> int:
        """Forget the mails that were done more than `older_than` seconds ago (the queue stays small)."""
        with self.db.transaction(durable=False) as tx:
            return tx.execute(
                "DELETE FROM outbox WHERE status IN ('sent', 'dropped', 'failed') AND created < ?",
                (self.clock() - older_than,),
            )

    def outbox_counts(self) -> dict[str, int]:
        with self.db.transaction(write=False) as tx:
            return dict(tx.rows("SELECT status, COUNT(*) FROM outbox GROUP BY status"))

    # -- suppressions ---------------------------------------------------------------------------------

    def suppress(self, key: str, reason: str, detail: str, source: str) -> bool:
        """Never mail `key` again; False when it was suppressed already (the first reason is kept)."""
        key = key.lower()
        with self.db.transaction() as tx:
            added = tx.execute(
                "INSERT INTO suppressions (address, reason, detail, source, created) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (address) DO NOTHING",
                (key, reason, clean_name(detail)[:200], source, self._stamp()),
            )
        return bool(added)

    def suppressions(self) -> list[Suppression]:
        with self.db.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT address, reason, detail, source, created FROM suppressions ORDER BY created, address"
            )
        return [Suppression(*row) for row in rows]

    def unsuppress(self, key: str) -> bool:
        with self.db.transaction() as tx:
            return bool(tx.execute("DELETE FROM suppressions WHERE address = ?", (key.lower(),)))

    # -- the sender and the operator -------------------------------------------------------------

    def recipients(self) -> list[Member]:
        """Every subscribed address that is not suppressed, oldest first: who gets an issue."""
        with self.db.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT email, name FROM subscribers s WHERE status = 'subscribed'"
                " AND NOT EXISTS (SELECT 1 FROM suppressions p WHERE p.address = s.address) ORDER BY created, address"
            )
        return [Member(email, clean_name(name)) for email, name in rows]

    def subscribed(self) -> list[Member]:
        """Every subscribed address, oldest first (suppressed ones too)."""
        with self.db.transaction(write=False) as tx:
            rows = tx.rows("SELECT email, name FROM subscribers WHERE status = 'subscribed' ORDER BY created, address")
        return [Member(email, clean_name(name)) for email, name in rows]

    def counts(self) -> dict[str, int]:
        """How many addresses are in each state, and how many of the subscribed are suppressed."""
        with self.db.transaction(write=False) as tx:
            rows = tx.rows("SELECT status, COUNT(*) FROM subscribers GROUP BY status")
            suppressed = tx.value(
                "SELECT COUNT(*) FROM subscribers s JOIN suppressions p ON p.address = s.address"
                " WHERE s.status = 'subscribed'"
            )
        return {PENDING: 0, SUBSCRIBED: 0, UNSUBSCRIBED: 0, **dict(rows), "suppressed": suppressed}

    def import_members(self, members: Iterable[Member]) -> ImportSummary:
        """Add an existing list: new addresses are subscribed, pending ones confirmed (unless they ever left),
        unsubscribed ones stay out."""
        stamp = self._stamp()
        added = confirmed = already = kept = suppressed = 0
        with self.db.transaction() as tx:
            for member in members:
                key = member.key
                row = tx.one("SELECT status, unsubscribed FROM subscribers WHERE address = ?", (key,))
                if tx.one("SELECT 1 FROM suppressions WHERE address = ?", (key,)):
                    suppressed += 1
                if row is None:
                    tx.execute(
                        "INSERT INTO subscribers (address, email, name, status, source, created, changed)"
                        " VALUES (?, ?, ?, 'subscribed', 'import', ?, ?)",
                        (key, member.email, clean_name(member.name), stamp, stamp),
                    )
                    added += 1
                elif row[0] == PENDING and row[1] is None:
                    tx.execute(
                        "UPDATE subscribers SET status = 'subscribed', changed = ?, pending_id = NULL"
                        " WHERE address = ? AND status = 'pending'",
                        (stamp, key),
                    )
                    confirmed += 1
                elif row[0] == SUBSCRIBED:
                    already += 1
                else:
                    kept += 1  # it left once: only its owner's confirmation brings it back
        return ImportSummary(added, confirmed, already, kept, suppressed)

    def export_csv(self) -> str:
        """The subscribed addresses as a CSV (email, name): a backup, or a list to move elsewhere."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["email", "name"])
        for member in self.subscribed():
            writer.writerow([member.email, _csv_safe(member.name)])
        return buffer.getvalue()


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet never runs as a formula (=, +, -, @ at the start)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
