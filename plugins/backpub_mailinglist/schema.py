"""The mailing list's tables, and the migrations that bring any older database up to date.

    subscribers    one row per address (its lower-cased form is the key): pending, subscribed or unsubscribed,
                   with when it was confirmed or left and the binding of its current confirmation links
    requests       recent sign-up requests per client, for the rate limit
    suppressions   addresses that must never be mailed again: a hard bounce, a complaint, an operator's word
    deliveries     the send ledger: one row per (list, issue, address), claimed before the message is handed to
                   the SMTP server; `issue` is any key of what was sent (today the issue's Sunday)
    outbox         the service's confirmation and welcome mails, sent by a background worker with retries

Version 1 is the layout the first subscriber list had (a file of that version migrates in place). A migration is
a list of statements in the SQL both engines share; `{serial}` is each engine's auto-numbered key. A later
feature (a subscriber's own pace, a members flag) adds a version with its ALTER TABLE statements.
"""

from __future__ import annotations

from backpub_mailinglist.database import Database, DatabaseError, Transaction

SERIAL = {"sqlite": "INTEGER PRIMARY KEY", "postgresql": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"}

MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE IF NOT EXISTS subscribers (
            address TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL CHECK (status IN ('pending', 'subscribed', 'unsubscribed')),
            source TEXT NOT NULL,
            created TEXT NOT NULL,
            changed TEXT NOT NULL
        )""",
        "CREATE TABLE IF NOT EXISTS requests (kind TEXT NOT NULL, key TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX IF NOT EXISTS requests_by_key ON requests (kind, key, at)",
    ],
    2: [
        "ALTER TABLE subscribers ADD COLUMN pending_id TEXT",
        "ALTER TABLE subscribers ADD COLUMN confirmed TEXT",
        "ALTER TABLE subscribers ADD COLUMN unsubscribed TEXT",
        "CREATE INDEX subscribers_by_status ON subscribers (status, created, address)",
        "CREATE INDEX requests_by_age ON requests (kind, at)",
        """CREATE TABLE suppressions (
            address TEXT PRIMARY KEY,
            reason TEXT NOT NULL CHECK (reason IN ('bounce', 'complaint', 'manual')),
            detail TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL,
            created TEXT NOT NULL
        )""",
        """CREATE TABLE deliveries (
            list_id TEXT NOT NULL,
            issue TEXT NOT NULL,
            address TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('claimed', 'sent', 'failed', 'uncertain')),
            message_id TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1,
            run_id TEXT NOT NULL,
            detail TEXT,
            updated TEXT NOT NULL,
            PRIMARY KEY (list_id, issue, address)
        )""",
        """CREATE TABLE outbox (
            id {serial},
            kind TEXT NOT NULL CHECK (kind IN ('confirm', 'welcome')),
            address TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'dropped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            due DOUBLE PRECISION NOT NULL,
            lease DOUBLE PRECISION,
            created DOUBLE PRECISION NOT NULL,
            detail TEXT
        )""",
        "CREATE INDEX outbox_due ON outbox (status, due)",
        "CREATE INDEX outbox_by_address ON outbox (address, kind, created)",
    ],
}
LATEST = max(MIGRATIONS)


def ensure_schema(db: Database, *, create: bool) -> None:
    """Bring the database to the latest version; without `create`, a database with no list is an error."""
    if not create and not db.exists():
        raise DatabaseError(
            f"the database {db.label} holds no mailing list yet: fill it with `backpub newsletter import` or "
            "`backpub newsletter serve`"
        )
    with db.transaction() as tx:
        if db.dialect == "postgresql":
            tx.execute("SELECT pg_advisory_xact_lock(hashtext('backpub schema'))")  # two processes migrate in turn
        version = current_version(tx, db.dialect)
        if version > LATEST:
            raise DatabaseError(f"the database {db.label} was made by a newer backpub (schema {version}); upgrade")
        if version == LATEST:
            return
        for number in range(version + 1, LATEST + 1):
            for statement in MIGRATIONS[number]:
                tx.execute(statement.format(serial=SERIAL[db.dialect]))
        tx.execute("DELETE FROM schema_version")
        tx.execute("INSERT INTO schema_version (version) VALUES (?)", (LATEST,))


def current_version(tx: Transaction, dialect: str) -> int:
    """The schema's version: 0 for an empty database, 1 for the first list's layout (it had no version table)."""
    tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    version = tx.value("SELECT MAX(version) FROM schema_version")
    if version is not None:
        return int(version)
    if dialect == "sqlite":
        legacy = tx.one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'subscribers'")
    else:
        legacy = tx.value("SELECT to_regclass('subscribers') IS NOT NULL") or None
    return 1 if legacy else 0
