"""`backpub newsletter send` against a real SMTP server on loopback: exactly once, retries, failures, secrets; the
tests that are about the ledger run on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from list_smtp import SECRET, Recorder, add_subscribers, refuse_everyone, send_args

from backpub_mailinglist.database import open_database
from backpub_mailinglist.ledger import EpisodeKey, Ledger
from backpub_mailinglist.store import MailingList
from backpub_mailinglist.tokens import UNSUBSCRIBE, read_token

BACKPUB = str(Path(sys.executable).with_name("backpub"))
ENV = {"BACKPUB_UNSUBSCRIBE_SECRET": SECRET}


def ledger_rows(database: str) -> dict[str, str]:
    db = open_database(database, create=False)
    try:
        with db.transaction(write=False) as tx:
            return dict(tx.rows("SELECT address, status FROM deliveries"))
    finally:
        db.close()


def sqlite_list(project: Path) -> str:
    return str(project / "list.sqlite")


def test_delivers_every_subscriber_exactly_once_with_headers_and_both_parts(project, database, smtp_server, run_cli):
    recorder, address = smtp_server()
    subscribers = add_subscribers(database, 60)
    started = time.perf_counter()
    result = run_cli(*send_args(database, address), cwd=project, env=ENV)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert "sent      60" in result.output
    by_recipient = recorder.by_recipient()
    assert sorted(by_recipient) == subscribers
    assert all(len(copies) == 1 for copies in by_recipient.values())
    message_ids, unsubscribe_urls = set(), set()
    for recipient, (received,) in by_recipient.items():
        message = received.message
        assert message["To"].addresses[0].addr_spec == recipient
        assert message["From"].addresses[0].addr_spec == "sunday@example.org"
        assert message["Date"] == "Sun, 22 Nov 2026 07:00:00 +0000"
        assert message["List-Id"] == "Minimal Programme Sunday newsletter <sunday.minimal.example.org>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        https, mailto = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
        assert https.startswith("https://minimal.example.org/unsubscribe?token=") and mailto.startswith("mailto:")
        assert recipient not in https  # a signed token, not the bare address
        token = https.split("token=")[1]
        assert read_token(SECRET, UNSUBSCRIBE, "sunday.minimal.example.org", token, now=time.time()) == recipient
        assert message.get_content_type() == "multipart/alternative"
        assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
        text, html = (part.get_content() for part in message.iter_parts())
        assert https in text and https.replace("&", "&amp;") in html
        message_ids.add(message["Message-ID"])
        unsubscribe_urls.add(https)
    assert len(message_ids) == len(unsubscribe_urls) == 60  # per recipient
    assert set(ledger_rows(database).values()) == {"sent"}
    print(f"60 messages in {elapsed:.2f} s")


def test_killed_run_resumes_and_nobody_gets_two(project, database, smtp_server, run_cli):
    subscribers = add_subscribers(database, 60)
    process: list[subprocess.Popen] = []

    def kill_after_20(count: int) -> None:
        if count == 20:
            # The 20th message is in the server's hands; the sender has not heard the 250 yet.
            os.kill(process[0].pid, signal.SIGKILL)

    recorder, address = smtp_server(Recorder(after_accept=kill_after_20))
    command = [BACKPUB, *send_args(database, address)]
    process.append(subprocess.Popen(command, cwd=project, env={**os.environ, **ENV}, stdout=subprocess.PIPE))
    process[0].communicate(timeout=120)
    assert process[0].returncode == -signal.SIGKILL
    assert len(recorder.received) == 20
    rows = ledger_rows(database)
    assert sorted(rows.values()).count("sent") == 19 and list(rows.values()).count("claimed") == 1

    result = run_cli(*send_args(database, address), cwd=project, env=ENV)
    assert result.exit_code == 1, result.output  # an uncertain delivery is not a success for a scheduled job
    assert "sent      40" in result.output and "skipped   19" in result.output
    assert "uncertain 1" in result.output  # the 20th: delivered, so at-most-once must not resend it
    assert "Not delivered for certain: 0 failed, 1 uncertain" in result.stderr
    by_recipient = recorder.by_recipient()
    assert sorted(by_recipient) == subscribers
    assert all(len(copies) == 1 for copies in by_recipient.values())

    again = run_cli(*send_args(database, address), cwd=project, env=ENV)
    assert "sent      0" in again.output and "skipped   59" in again.output
    assert len(recorder.received) == 60


def test_a_temporary_refusal_is_retried_until_accepted(project, smtp_server, run_cli):
    recorder, address = smtp_server(
        Recorder(decide=lambda rcpt, attempt: "451 4.7.1 Greylisted, try again" if attempt < 3 else None)
    )
    add_subscribers(sqlite_list(project), 3)
    result = run_cli(*send_args(sqlite_list(project), address), cwd=project, env=ENV)
    assert result.exit_code == 0, result.output
    assert "sent      3" in result.output and "failed    0" in result.output
    assert all(count == 3 for count in recorder.attempts.values())
    assert all(len(copies) == 1 for copies in recorder.by_recipient().values())


def test_a_dropped_connection_before_the_end_of_data_is_retried(project, smtp_server, run_cli):
    def drop_first(server_recipient: str, attempt: int) -> str | None:
        return "421 4.3.2 Shutting down, closing connection" if attempt == 1 else None

    recorder, address = smtp_server(Recorder(decide=drop_first))
    add_subscribers(sqlite_list(project), 2)
    result = run_cli(*send_args(sqlite_list(project), address), cwd=project, env=ENV)
    assert result.exit_code == 0, result.output
    assert len(recorder.received) == 2


def test_a_lost_answer_is_uncertain_and_never_resent_unless_asked(project, database, smtp_server, run_cli):
    subscribers = add_subscribers(database, 3)
    recorder, address = smtp_server(Recorder(hang_up_after={subscribers[1]}))
    first = run_cli(*send_args(database, address), cwd=project, env=ENV)
    assert first.exit_code == 1
    assert "sent      2" in first.output and "uncertain 1" in first.output
    assert f"    {subscribers[1]}" in first.output
    again = run_cli(*send_args(database, address), cwd=project, env=ENV)
    assert "sent      0" in again.output and "uncertain 1" in again.output
    assert all(len(copies) == 1 for copies in recorder.by_recipient().values())
    forced = run_cli(*send_args(database, address, "--resend-uncertain"), cwd=project, env=ENV)
    assert "sent      1" in forced.output and len(recorder.by_recipient()[subscribers[1]]) == 2
    assert forced.exit_code == 0, forced.output  # everyone now has it for certain


def test_a_permanent_refusal_is_recorded_and_reported(project, smtp_server, run_cli):
    subscribers = add_subscribers(sqlite_list(project), 5)
    recorder, address = smtp_server(Recorder(reject_rcpt={subscribers[2]}))
    result = run_cli(*send_args(sqlite_list(project), address), cwd=project, env=ENV)
    assert result.exit_code == 1
    assert "sent      4" in result.output and "failed    1" in result.output
    assert f"{subscribers[2]}: RCPT TO: 550 5.1.1 No such mailbox here" in result.output
    assert ledger_rows(sqlite_list(project))[subscribers[2]] == "failed"
    assert subscribers[2] not in recorder.by_recipient()
    assert recorder.attempts.get(subscribers[2]) is None  # 5xx is not retried
    assert "Not delivered for certain: 1 failed, 0 uncertain" in result.stderr


def test_refuses_to_send_without_the_signing_secret(project, smtp_server, run_cli):
    recorder, address = smtp_server()
    add_subscribers(sqlite_list(project), 2)
    unset = {"BACKPUB_UNSUBSCRIBE_SECRET": None}  # (whatever the environment running the tests has)
    result = run_cli(*send_args(sqlite_list(project), address), cwd=project, env=unset)
    assert result.exit_code == 1
    assert "BACKPUB_UNSUBSCRIBE_SECRET" in result.output
    assert recorder.received == [] and ledger_rows(sqlite_list(project)) == {}


def test_dry_run_connects_to_nothing_and_records_nothing(project, run_cli):
    add_subscribers(sqlite_list(project), 3)
    result = run_cli(*send_args(sqlite_list(project), "127.0.0.1:9", "--dry-run"), cwd=project, env={})
    assert result.exit_code == 0, result.output
    assert "would send   3" in result.output
    assert ledger_rows(sqlite_list(project)) == {}


def test_the_password_never_appears_even_when_the_login_fails(project, smtp_server, run_cli):
    password = "Hunter2-very-secret-pw"
    recorder, address = smtp_server(authenticator=refuse_everyone)
    add_subscribers(sqlite_list(project), 2)
    env = {**ENV, "BACKPUB_SMTP_USER": "mailer", "BACKPUB_SMTP_PASSWORD": password}
    result = run_cli(*send_args(sqlite_list(project), address), cwd=project, env=env)
    assert result.exit_code == 1
    assert "refused the login for 'mailer'" in result.output
    encoded = base64.b64encode(f"\0mailer\0{password}".encode()).decode()
    for shown in (result.output, result.stderr):
        assert password not in shown and encoded not in shown
    assert recorder.received == []


def test_the_list_and_its_ledger_live_in_the_state_folder_and_survive_backpub_clean(project, smtp_server, run_cli):
    recorder, address = smtp_server()
    default = project / ".backpub" / "state" / "subscribers.sqlite"
    add_subscribers(str(default), 1)
    args = [arg for arg in send_args("-", address) if arg not in ("--database", "-")]
    assert run_cli(*args, cwd=project, env=ENV).exit_code == 0
    assert run_cli("clean", "--content", "content", cwd=project).exit_code == 0
    assert default.is_file()
    result = run_cli(*args, cwd=project, env=ENV)
    assert "skipped   1" in result.output and len(recorder.received) == 1


def test_rate_limit_spaces_the_messages(project, smtp_server, run_cli):
    recorder, address = smtp_server()
    add_subscribers(sqlite_list(project), 6)
    started = time.perf_counter()
    result = run_cli(*send_args(sqlite_list(project), address, "--rate", "10/s"), cwd=project, env=ENV)
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - started >= 0.5  # 6 messages at most 10 per second: 5 gaps of 0.1 s
    assert len(recorder.received) == 6


def test_without_a_subscriber_list_it_says_how_to_get_one(project, run_cli):
    args = ["newsletter", "send", "--issue", "2026-11-22", "--smtp", "127.0.0.1:9", "--as-of", "2026-11-25"]
    result = run_cli(*args, "--dry-run", cwd=project, env={})
    assert result.exit_code == 1
    assert "there is no subscriber database at" in result.output and "backpub newsletter import" in result.output
    assert not (project / ".backpub" / "state" / "subscribers.sqlite").exists()


class RefuseEverything(Recorder):
    """A server that answers 421 to every command after the greeting (issue 16, item 7)."""

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.attempts["MAIL"] = self.attempts.get("MAIL", 0) + 1
        return "421 4.3.2 Service not available, try again later"


def test_a_server_that_keeps_refusing_stops_the_send_and_a_later_run_resumes(project, smtp_server, run_cli):
    refusing, address = smtp_server(RefuseEverything())
    add_subscribers(sqlite_list(project), 20)
    started = time.monotonic()
    args = send_args(sqlite_list(project), address)
    result = run_cli(*[*args[:-2], "--retry-delay", "0.05"], cwd=project, env=ENV)
    assert time.monotonic() - started < 120
    assert result.exit_code == 1, result.output
    assert "Stopped: the server refused 10 deliveries in a row with temporary errors" in result.output
    assert "421" in result.output and "run the same command again" in result.output
    assert refusing.attempts["MAIL"] == 10  # not 20 subscribers x 5 attempts
    assert "Traceback" not in result.output

    recorder, working = smtp_server()
    again = run_cli(*send_args(sqlite_list(project), working), cwd=project, env=ENV)
    assert again.exit_code == 0, again.output
    assert "sent      20" in again.output
    assert all(len(copies) == 1 for copies in recorder.by_recipient().values())
    assert set(ledger_rows(sqlite_list(project)).values()) == {"sent"}


def test_a_second_send_of_the_list_refuses_while_one_runs(project, database, smtp_server, run_cli):
    recorder, address = smtp_server()
    add_subscribers(database, 3)
    mailing = MailingList(open_database(database, create=False))
    with Ledger(mailing.db, "sunday.minimal.example.org", "2026-11-22"):  # another run holds the list's send lock
        result = run_cli(*send_args(database, address), cwd=project, env=ENV)
    mailing.db.close()
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "another `backpub newsletter send` of the list 'sunday.minimal.example.org' is running" in result.output
    assert recorder.received == []


def test_two_runs_racing_for_one_address_hand_it_over_once(database):
    """Even without the send lock (two machines whose lock failed), the claim is a unique key: one run wins."""
    (address,) = add_subscribers(database, 1)
    mailing = MailingList(open_database(database, create=False))
    first, second = (Ledger(mailing.db, "sunday.minimal.example.org", "2026-11-22") for _ in range(2))
    episode = EpisodeKey("a1b2c3d4-episode-one", 1, "2026-11-22")
    assert first.claim(address, episode, "<1@example.org>") is True
    assert second.claim(address, episode, "<1@example.org>") is False
    first.mark(address, episode, "sent")
    assert second.claim(address, episode, "<1@example.org>", again_uncertain=True) is False  # never claimed again
    mailing.db.close()


def test_an_address_that_leaves_or_bounces_during_a_send_is_not_mailed(project, database, smtp_server, run_cli):
    subscribers = add_subscribers(database, 6)
    mailing = MailingList(open_database(database, create=False))

    def leave_after_two(count: int) -> None:
        if count == 2:  # while the third message is on its way, two later readers leave the list
            mailing.unsubscribe(subscribers[4])
            mailing.suppress(subscribers[5], "bounce", "bounce: 5.1.1", "test")

    recorder, address = smtp_server(Recorder(after_accept=leave_after_two))
    result = run_cli(*send_args(database, address), cwd=project, env=ENV)
    mailing.db.close()
    assert result.exit_code == 0, result.output
    assert sorted(recorder.by_recipient()) == subscribers[:4]
    assert "withheld  2" in result.output


def test_suppressed_and_unsubscribed_addresses_are_left_out(project, database, smtp_server, run_cli):
    subscribers = add_subscribers(database, 4)
    mailing = MailingList(open_database(database, create=False))
    mailing.suppress(subscribers[0], "complaint", "complaint: abuse", "test")
    mailing.unsubscribe(subscribers[1].upper())  # an unsubscribe matches whatever the case
    mailing.db.close()
    recorder, address = smtp_server()
    result = run_cli(*send_args(database, address), cwd=project, env=ENV)
    assert result.exit_code == 0, result.output
    assert sorted(recorder.by_recipient()) == subscribers[2:]
    assert "left out  1 unsubscribed, 1 suppressed" in result.output
