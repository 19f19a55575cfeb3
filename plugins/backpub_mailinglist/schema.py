"""The mailing list's tables, and the migrations that bring any older database up to date.

    subscribers    one row per address (its lower-cased form is the key): pending, subscribed or unsubscribed,
                   with when it was confirmed or left and the binding of its current confirmation links
    requests       recent sign-up requests per client, for the rate limit
    suppressions   addresses that must never be mailed again: a hard bounce, a complaint, an operator's word
    deliveries     the send ledger: one row per (list, address, episode), claimed before the message is handed
                   to the SMTP server; `issue` is the day of the send that claimed it (one issue per address a day)
    outbox         the service's confirmation and welcome mails, sent by a background worker with retries
    feeds          private feed tokens: the SHA-256 of each token (never the token), its address, whether revoked

A subscriber's `start` is what they asked for (`latest`: the weekly issue; `beginning`: from episode 1, one a
Sunday); `position` is the number of the next episode due to a subscriber who started at the beginning (NULL: the
weekly issue); `member` is the membership flag an operator sets; `feed_scope` what their private feed lists (`pace`:
the episodes sent to them; `all`: every released episode).

Version 1 is the layout the first subscriber list had (a file of that version migrates in place). A migration is
a list of statements in the SQL both engines share; `{serial}` is each engine's auto-numbered key. Version 3 keys
the ledger by episode: a row of an older ledger keeps its issue's day as `episode = 'issue:<day>'` until the
first send that knows the content maps it to the episode that day's issue led with (`Ledger.adopt_issue_keys`).
"""

from __future__ import annotations

from backpub_mailinglist.database import Database, DatabaseError, Transaction

ISSUE_KEY = "issue:"
"""The `episode` of a ledger row made before the ledger was keyed by episode, followed by its issue's day."""
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
    3: [
        "ALTER TABLE subscribers ADD COLUMN start TEXT NOT NULL DEFAULT 'latest'"
        " CHECK (start IN ('latest', 'beginning'))",
        "ALTER TABLE subscribers ADD COLUMN position INTEGER",
        "ALTER TABLE subscribers ADD COLUMN member INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE subscribers ADD COLUMN feed_scope TEXT NOT NULL DEFAULT 'pace' CHECK (feed_scope IN ('pace', 'all'))",
        """CREATE TABLE feeds (
            token_hash TEXT PRIMARY KEY,
            address TEXT NOT NULL,
            nonce TEXT NOT NULL,
            created TEXT NOT NULL,
            revoked TEXT
        )""",
        "CREATE INDEX feeds_by_address ON feeds (address, revoked)",
        """CREATE TABLE deliveries_by_episode (
            list_id TEXT NOT NULL,
            address TEXT NOT NULL,
            episode TEXT NOT NULL,
            number INTEGER,
            issue TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('claimed', 'sent', 'failed', 'uncertain')),
            message_id TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1,
            run_id TEXT NOT NULL,
            detail TEXT,
            updated TEXT NOT NULL,
            PRIMARY KEY (list_id, address, episode)
        )""",
        "INSERT INTO deliveries_by_episode (list_id, address, episode, number, issue, status, message_id, attempts,"
        " run_id, detail, updated) SELECT list_id, address, 'issue:' || issue, NULL, issue, status, message_id,"
        " attempts, run_id, detail, updated FROM deliveries",
        "DROP TABLE deliveries",
        "ALTER TABLE deliveries_by_episode RENAME TO deliveries",
        "CREATE INDEX deliveries_by_day ON deliveries (list_id, issue, address)",
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
