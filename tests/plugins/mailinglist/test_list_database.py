"""The list's database across versions: a list file and a send ledger made by the first backpub versions are
brought in once (nobody gets an issue twice across the upgrade), and a database of a newer version is refused."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from list_smtp import SECRET, add_subscribers, send_args

from backpub_mailinglist.database import open_database
from backpub_mailinglist.schema import LATEST

ENV = {"BACKPUB_UNSUBSCRIBE_SECRET": SECRET}
OLD_LIST = """
CREATE TABLE subscribers (address TEXT PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('pending', 'subscribed', 'unsubscribed')), source TEXT NOT NULL,
    created TEXT NOT NULL, changed TEXT NOT NULL);
CREATE TABLE requests (kind TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX requests_by_key ON requests (kind, key, at);
"""
OLD_LEDGER = """
CREATE TABLE deliveries (list_id TEXT NOT NULL, issue TEXT NOT NULL, subscriber TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')), message_id TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, detail TEXT, updated TEXT NOT NULL,
    PRIMARY KEY (list_id, issue, subscriber));
"""


def _old_file(path, schema: str, rows: list[tuple[str, tuple]]) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(schema)
        for sql, values in rows:
            db.execute(sql, values)
        db.commit()


def test_an_old_list_and_its_old_ledger_are_brought_in_and_nobody_gets_the_issue_twice(project, smtp_server, run_cli):
    state = project / ".backpub" / "state"
    state.mkdir(parents=True)
    people = ["had-it@example.net", "uncertain@example.net", "waiting@example.net"]
    _old_file(state / "subscribers.sqlite", OLD_LIST, [
        ("INSERT INTO subscribers VALUES (?, ?, '', 'subscribed', 'import', '2026-01-01', '2026-01-01')", (p, p))
        for p in people
    ])  # fmt: skip
    _old_file(state / "newsletter.sqlite", OLD_LEDGER, [
        ("INSERT INTO deliveries VALUES ('sunday.minimal.example.org', '2026-11-22', ?, ?, '<x>', 1, NULL, 'x')", row)
        for row in (("had-it@example.net", "sent"), ("uncertain@example.net", "sending"))
    ])  # fmt: skip
    recorder, address = smtp_server()
    args = [arg for arg in send_args("-", address) if arg not in ("--database", "-")]
    result = run_cli(*args, cwd=project, env=ENV)
    assert result.exit_code == 1, result.output  # the old run's uncertain delivery is reported, not resent
    assert "sent      1" in result.output and "skipped   1" in result.output and "uncertain 1" in result.output
    assert sorted(recorder.by_recipient()) == ["waiting@example.net"]
    assert (state / "newsletter.sqlite.imported").is_file() and not (state / "newsletter.sqlite").exists()
    with closing(sqlite3.connect(state / "subscribers.sqlite")) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert db.execute("SELECT version FROM schema_version").fetchone() == (LATEST,)
    assert not (state / "subscribers.sqlite-wal").exists()


def test_a_database_of_a_newer_version_is_refused(project, database, run_cli):
    add_subscribers(database, 1)
    db = open_database(database, create=False)
    with db.transaction() as tx:
        tx.execute("UPDATE schema_version SET version = ?", (LATEST + 1,))
    db.close()
    result = run_cli("newsletter", "export", "-", "--database", database, cwd=project)
    assert result.exit_code == 1 and "made by a newer backpub" in result.output
