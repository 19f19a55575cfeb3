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
import hashlib
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
LATEST, BEGINNING = "latest", "beginning"
STARTS = (LATEST, BEGINNING)
"""Where a new subscriber starts: the weekly issue, or the programme's first episode."""
PACE, ALL = "pace", "all"
FEED_SCOPES = (PACE, ALL)
"""What a private feed lists: the episodes sent to its subscriber so far, or every released episode."""
FIRST_EPISODE = 1
"""Where a subscriber who starts at the beginning starts: the first issue whose episode has at least this number."""
LIMITED, QUEUED, QUIET = "limited", "queued", "quiet"


@dataclass(frozen=True)
class Member:
    """A subscribed address as the sender needs it (and as an import brings one in)."""

    email: str
    name: str
    start: str = LATEST
    """`latest` (the weekly issue) or `beginning` (from episode 1, one a Sunday)."""
    position: int | None = None
    """The number of the next episode due to a subscriber who started at the beginning; None: the weekly issue."""
    member: bool = False
    """Whether the address has the programme's membership (members-only content in full)."""

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

    def sign_up(
        self, address: Address, name: str, client: str, limits: SignUpLimits, *, start: str = LATEST,
        feed_scope: str = PACE,
    ) -> str:  # fmt: skip
        """Someone at `client` asked to subscribe `address` (from the `start` they chose, with a private feed of
        `feed_scope`): pending until confirmed, with a confirmation mail queued when the address may get one. One
        transaction whatever the list holds. Returns LIMITED (the client had its share: nothing changed), QUEUED or
        QUIET (nothing to send); only tests and logs tell them apart."""
        now = self.clock()
        stamp = self._stamp(now)
        with self.db.transaction() as tx:
            if not self._allow(tx, "client", client, limits.signups_per_client, limits.client_window, now):
                return LIMITED
            row = tx.one("SELECT status FROM subscribers WHERE address = ?", (address.key,))
            if row is None:
                tx.execute(
                    "INSERT INTO subscribers (address, email, name, status, source, created, changed, pending_id,"
                    " start, feed_scope) VALUES (?, ?, ?, 'pending', 'form', ?, ?, ?, ?, ?)",
                    (address.key, address.email, clean_name(name), stamp, stamp, secrets.token_hex(16), start,
                     feed_scope),
                )  # fmt: skip
            elif row[0] == UNSUBSCRIBED:
                # A new request: its own binding, so a link from before the address left stays dead.
                tx.execute(
                    "UPDATE subscribers SET status = 'pending', changed = ?, pending_id = ?, name = ?, start = ?,"
                    " feed_scope = ? WHERE address = ? AND status = 'unsubscribed'",
                    (stamp, secrets.token_hex(16), clean_name(name), start, feed_scope, address.key),
                )
            elif row[0] == PENDING:  # the choices of the newest request count; its link stays the one sent
                tx.execute(
                    "UPDATE subscribers SET start = ?, feed_scope = ? WHERE address = ? AND status = 'pending'",
                    (start, feed_scope, address.key),
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
            # Someone who starts at the beginning gets the first episode next; anyone else the weekly issue.
            moved = tx.execute(
                "UPDATE subscribers SET status = 'subscribed', confirmed = ?, changed = ?, pending_id = NULL,"
                " source = 'form', position = CASE WHEN start = 'beginning' THEN ? ELSE NULL END"
                " WHERE address = ? AND status = 'pending' AND pending_id = ?",
                (self._stamp(now), self._stamp(now), FIRST_EPISODE, key, binding),
            )
            if moved and not tx.one("SELECT 1 FROM suppressions WHERE address = ?", (key,)):
                self._queue(tx, WELCOME, key, now)
        return bool(moved)

    def unsubscribe(self, key: str, email: str | None = None, *, source: str = "unsubscribe") -> None:
        """Unsubscribed, and its private feed revoked; an address the list never had is recorded too, so no import
        can add it."""
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
            tx.execute("UPDATE feeds SET revoked = ? WHERE address = ? AND revoked IS NULL", (stamp, key))

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
        """Every subscribed address that is not suppressed, oldest first: who gets an issue, and which."""
        with self.db.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT email, name, start, position, member FROM subscribers s WHERE status = 'subscribed'"
                " AND NOT EXISTS (SELECT 1 FROM suppressions p WHERE p.address = s.address) ORDER BY created, address"
            )
        return [
            Member(email, clean_name(name), start, position, bool(member))
            for email, name, start, position, member in rows
        ]

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

    def import_members(self, members: Iterable[Member], *, membership: bool = False) -> ImportSummary:
        """Add an existing list: new addresses are subscribed (from the start each row names), pending ones
        confirmed (unless they ever left), unsubscribed ones stay out. With `membership` (the file has a `member`
        column) every listed subscriber's membership flag is set as its row says."""
        stamp = self._stamp()
        added = confirmed = already = kept = suppressed = 0
        with self.db.transaction() as tx:
            for member in members:
                key = member.key
                row = tx.one("SELECT status, unsubscribed FROM subscribers WHERE address = ?", (key,))
                if tx.one("SELECT 1 FROM suppressions WHERE address = ?", (key,)):
                    suppressed += 1
                position = _position(member)
                if row is None:
                    tx.execute(
                        "INSERT INTO subscribers (address, email, name, status, source, created, changed, start,"
                        " position, member) VALUES (?, ?, ?, 'subscribed', 'import', ?, ?, ?, ?, ?)",
                        (key, member.email, clean_name(member.name), stamp, stamp, member.start, position,
                         int(member.member)),
                    )  # fmt: skip
                    added += 1
                elif row[0] == PENDING and row[1] is None:
                    tx.execute(
                        "UPDATE subscribers SET status = 'subscribed', changed = ?, pending_id = NULL, start = ?,"
                        " position = ? WHERE address = ? AND status = 'pending'",
                        (stamp, member.start, position, key),
                    )
                    confirmed += 1
                elif row[0] == SUBSCRIBED:
                    already += 1
                else:
                    kept += 1  # it left once: only its owner's confirmation brings it back
                if membership and row is not None and row[0] != UNSUBSCRIBED:
                    tx.execute("UPDATE subscribers SET member = ? WHERE address = ?", (int(member.member), key))
        return ImportSummary(added, confirmed, already, kept, suppressed)

    def export_csv(self) -> str:
        """The subscribed addresses as a CSV (email, name, start, position, member): a backup, or a list to move
        elsewhere; `backpub newsletter import` reads it back as it was."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["email", "name", "start", "position", "member"])
        with self.db.transaction(write=False) as tx:
            rows = tx.rows(
                "SELECT email, name, start, position, member FROM subscribers WHERE status = 'subscribed'"
                " ORDER BY created, address"
            )
        for email, name, start, position, member in rows:
            shown = "" if position is None else str(position)
            writer.writerow([email, _csv_safe(clean_name(name)), start, shown, "yes" if member else "no"])
        return buffer.getvalue()

    # -- membership and the subscriber's own pace ------------------------------------------------------

    def subscriber(self, key: str) -> Subscriber | None:
        """What the list knows about one address, or None."""
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT email, status, start, position, member, feed_scope FROM subscribers WHERE address = ?",
                (key.lower(),),
            )
        return Subscriber(row[0], row[1], row[2], row[3], bool(row[4]), row[5]) if row else None

    def set_member(self, key: str, member: bool) -> bool:
        """Set or clear an address's membership flag; False when the list does not have the address."""
        with self.db.transaction() as tx:
            changed = tx.execute(
                "UPDATE subscribers SET member = ?, changed = ? WHERE address = ?",
                (int(member), self._stamp(), key.lower()),
            )
        return bool(changed)

    def set_feed_scope(self, key: str, scope: str) -> bool:
        """What the address's private feed lists (PACE or ALL); False when the list does not have the address."""
        with self.db.transaction() as tx:
            return bool(tx.execute("UPDATE subscribers SET feed_scope = ? WHERE address = ?", (scope, key.lower())))

    # -- private feeds ------------------------------------------------------------------------------

    def feed_token(self, key: str, derive: Callable[[str], str], *, renew: bool = False) -> str | None:
        """The address's private feed token, made by `derive(nonce)` from a random nonce kept with the token's
        hash (never the token): the same token every time it is asked for, until it is revoked (`renew` revokes
        the current one and makes a new one). None when the address is not subscribed."""
        key = key.lower()
        with self.db.transaction() as tx:
            if tx.value("SELECT status FROM subscribers WHERE address = ?", (key,)) != SUBSCRIBED:
                return None
            if renew:
                tx.execute("UPDATE feeds SET revoked = ? WHERE address = ? AND revoked IS NULL", (self._stamp(), key))
            nonce = tx.value(
                "SELECT nonce FROM feeds WHERE address = ? AND revoked IS NULL ORDER BY created DESC", (key,)
            )
            if nonce is not None:
                return derive(nonce)
            nonce = secrets.token_hex(16)
            token = derive(nonce)
            tx.execute(
                "INSERT INTO feeds (token_hash, address, nonce, created) VALUES (?, ?, ?, ?)",
                (token_hash(token), key, nonce, self._stamp()),
            )
            return token

    def revoke_feeds(self, key: str) -> int:
        """Revoke every private feed token of the address (its URLs answer 410 Gone); how many were live."""
        with self.db.transaction() as tx:
            return tx.execute(
                "UPDATE feeds SET revoked = ? WHERE address = ? AND revoked IS NULL", (self._stamp(), key.lower())
            )

    def feed_access(self, token: str) -> FeedAccess | None:
        """Who a private feed token belongs to and what their feed shows; None for a token never issued."""
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT f.address, f.revoked, s.status, s.position, s.member, s.feed_scope FROM feeds f"
                " LEFT JOIN subscribers s ON s.address = f.address WHERE f.token_hash = ?",
                (token_hash(token),),
            )
        if row is None:
            return None
        address, revoked, status, position, member, scope = row
        live = revoked is None and status == SUBSCRIBED
        return FeedAccess(address, live, position, bool(member), scope or PACE)


@dataclass(frozen=True)
class Subscriber:
    """One address of the list, as the operator's commands show it."""

    email: str
    status: str
    start: str
    position: int | None
    member: bool
    feed_scope: str


@dataclass(frozen=True)
class FeedAccess:
    """What a private feed's request may see: whose it is, whether it still works, and what it lists."""

    address: str
    live: bool
    """False once revoked, or once its subscriber left: the feed answers 410 Gone."""
    position: int | None
    """The next episode due to a subscriber at their own pace (their feed lists the ones before it); None: the
    weekly issue (their feed lists every released episode)."""
    member: bool
    scope: str


def token_hash(token: str) -> str:
    """What the database keeps of a private feed token: its SHA-256, so the table alone opens no feed."""
    return hashlib.sha256(token.encode()).hexdigest()


def _position(member: Member) -> int | None:
    """Where an imported subscriber is: the file's position, else the first episode for one who starts there."""
    if member.start != BEGINNING:
        return None
    return member.position if member.position is not None else FIRST_EPISODE


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet never runs as a formula (=, +, -, @ at the start)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
