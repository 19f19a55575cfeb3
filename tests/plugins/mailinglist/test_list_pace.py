"""Issue 27's done-when for the newsletter: on a programme of fourteen weekly episodes (tests/roots/weekly), a
subscriber who starts at the beginning four weeks before the newest episode gets episodes 1, 2, 3 and 4 on four
successive Sundays and nothing twice, sends killed and resumed in between, on SQLite and PostgreSQL; one who
follows the weekly issue gets only the current one; a member gets the members-only episode in full."""

from __future__ import annotations

import email
import os
import re
import shutil
import signal
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest
from list_service import FakeClock, RecordingMailer, call, deliver, make_service
from list_smtp import SECRET, Recorder

from backpub_mailinglist.database import open_database
from backpub_mailinglist.store import MailingList
from backpub_testkit import ROOTS

BACKPUB = str(Path(sys.executable).with_name("backpub"))
ENV = {"BACKPUB_UNSUBSCRIBE_SECRET": SECRET}
SUBSCRIBE = "https://minimal.example.org/newsletter/subscribe"
SUNDAYS = ("2026-10-25", "2026-11-01", "2026-11-08", "2026-11-15")
"""Four successive Sundays; episode 14, the newest, comes out on 22 November."""
BEGIN, MEMBER, LATEST = "begin@example.net", "member@example.net", "weekly@example.net"
MEMBERS_ARTICLE = "lantern-and-compass walk"
"""Words of episode 3's article, which is members-only (tests/roots/weekly)."""


@pytest.fixture
def weekly(tmp_path: Path) -> Path:
    """A copy of the fourteen-episode programme (its content only: a send renders from the content)."""
    shutil.copytree(ROOTS / "weekly" / "content", tmp_path / "weekly" / "content")
    return tmp_path / "weekly"


def sign_up(database: str, tmp_path: Path) -> None:
    """Three people sign up through the service's form and confirm; one is then made a member."""
    mailer = RecordingMailer()
    service = make_service(tmp_path, FakeClock(), mailer, database=database)
    for address, start in ((BEGIN, "beginning"), (MEMBER, "beginning"), (LATEST, "latest")):
        assert call(service, "POST", SUBSCRIBE, {"email": address, "start": start}).status == 200
        deliver(service)
        assert call(service, "POST", mailer.links(address)[-1]).status == 200
    deliver(service)
    assert service.mailing.set_member(MEMBER, True)
    service.mailing.db.close()
    welcome = {to: text_of(data) for to, data in mailer.sent if "Welcome" in subject_of(data)}
    assert "start at the beginning" in welcome[BEGIN] and "start at the beginning" not in welcome[LATEST]
    assert "/newsletter/feeds/" in welcome[BEGIN]


def send_args(database: str, address: str, sunday: str) -> list[str]:
    return ["newsletter", "send", "--database", database, "--smtp", address, "--as-of", sunday, "--retry-delay", "0"]


def killed_send(weekly: Path, database: str, recorder: Recorder, sunday: str, victim: str) -> None:
    """A send that is killed (SIGKILL) the moment the server accepted `victim`'s message, before its answer."""
    process: list[subprocess.Popen] = []

    def kill(count: int) -> None:
        if recorder.received[-1].rcpt_tos == [victim]:
            os.kill(process[0].pid, signal.SIGKILL)

    recorder.after_accept = kill
    command = [BACKPUB, *send_args(database, recorder.address, sunday)]
    process.append(subprocess.Popen(command, cwd=weekly, env={**os.environ, **ENV}, stdout=subprocess.PIPE))
    process[0].communicate(timeout=120)
    recorder.after_accept = lambda count: None
    assert process[0].returncode == -signal.SIGKILL


def test_from_the_beginning_one_episode_a_sunday_each_once_kills_and_all(
    weekly, database, smtp_server, run_cli, tmp_path
):
    sign_up(database, tmp_path)
    recorder, address = smtp_server()
    recorder.address = address
    got: dict[str, list[str]] = {}

    for number, sunday in enumerate(SUNDAYS, start=1):
        before = len(recorder.received)
        if number == 2:  # killed after the server took the first reader's episode 2, before it said so
            killed_send(weekly, database, recorder, sunday, BEGIN)
        if number == 3:  # killed after the weekly reader's issue, mid-run
            killed_send(weekly, database, recorder, sunday, LATEST)
        result = run_cli(*send_args(database, address, sunday), cwd=weekly, env=ENV)
        assert "Traceback" not in result.output
        assert result.exit_code == (1 if number in (2, 3) else 0), result.output  # the killed one is uncertain
        again = run_cli(*send_args(database, address, sunday), cwd=weekly, env=ENV)  # a second run that day
        assert "sent      0" in again.output, again.output
        for item in recorder.received[before:]:
            got.setdefault(item.rcpt_tos[0], []).append(str(item.message["Subject"]))

    assert got[BEGIN] == [f"Synthetic episode {n}" for n in (1, 2, 3, 4)]
    assert got[MEMBER] == [f"Synthetic episode {n}" for n in (1, 2, 3, 4)]
    assert got[LATEST] == [f"Synthetic episode {n}" for n in (10, 11, 12, 13)]  # only ever the current issue
    issues = {(item.rcpt_tos[0], str(item.message["Subject"])): item.message for item in recorder.received}
    assert len(issues) == len(recorder.received)  # nothing twice
    third = {who: body_of(issues[(who, "Synthetic episode 3")]) for who in (BEGIN, MEMBER)}
    assert MEMBERS_ARTICLE in third[MEMBER] and MEMBERS_ARTICLE not in third[BEGIN]
    assert "https://weekly.example.org/membership" in third[BEGIN]
    back_issue = issues[(BEGIN, "Synthetic episode 2")]
    assert back_issue["Date"] == "Sun, 01 Nov 2026 07:00:00 +0000"  # dated the Sunday it went
    assert "first published on Sunday 30 August 2026" in " ".join(body_of(back_issue).split())
    assert "Call 999" in body_of(back_issue)  # today's safety notice
    assert positions(database) == {BEGIN: 5, MEMBER: 5, LATEST: None}


def test_a_ledger_keyed_by_issue_day_is_adopted_by_episode(weekly, database, smtp_server, run_cli, tmp_path):
    """A row from before the ledger was keyed by episode (its issue's day) counts as that day's episode."""
    sign_up(database, tmp_path)
    db = open_database(database, create=False)
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO deliveries (list_id, address, episode, issue, status, message_id, run_id, updated)"
            " VALUES ('sunday.weekly.example.org', ?, 'issue:2026-10-25', '2026-10-25', 'sent', '<x>', 'old', 'x')",
            (LATEST,),
        )
    db.close()
    recorder, address = smtp_server()
    result = run_cli(*send_args(database, address, "2026-10-25"), cwd=weekly, env=ENV)
    assert result.exit_code == 0, result.output
    assert sorted(item.rcpt_tos[0] for item in recorder.received) == [BEGIN, MEMBER]  # the weekly reader had it


def positions(database: str) -> dict[str, int | None]:
    mailing = MailingList(open_database(database, create=False))
    try:
        return {address: mailing.subscriber(address).position for address in (BEGIN, MEMBER, LATEST)}
    finally:
        mailing.db.close()


def text_of(data: bytes) -> str:
    return email.message_from_bytes(data, policy=policy.default).get_content()


def subject_of(data: bytes) -> str:
    return str(email.message_from_bytes(data, policy=policy.default)["Subject"])


def body_of(message) -> str:
    """Both bodies of an issue, decoded."""
    return "\n".join(part.get_content() for part in message.iter_parts())


def test_the_send_says_which_issue_went_to_how_many(weekly, database, smtp_server, run_cli, tmp_path):
    sign_up(database, tmp_path)
    recorder, address = smtp_server()
    result = run_cli(*send_args(database, address, SUNDAYS[0]), "--dry-run", cwd=weekly, env=ENV)
    assert result.exit_code == 0, result.output
    assert re.search(r"episode 10 \(current\) 1\n\s+episode 1 2\n", result.output), result.output
    assert recorder.received == []
