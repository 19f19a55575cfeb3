"""Issue 24's observations 1-9, one test each, on SQLite and on PostgreSQL: each failed on the code the issue was
filed against, and passes now (observation 10's bounces, welcome mail, postal address and web link are tested in
test_list_bounces.py, test_list_service.py and the newsletter format's tests)."""

from __future__ import annotations

import email
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from email import policy
from http.client import HTTPConnection
from pathlib import Path

from list_service import SUBSCRIBE, UNSUBSCRIBE, FakeClock, RecordingMailer, call, deliver, make_service
from list_smtp import SECRET, Recorder, add_subscribers, send_args

from backpub import ServerLimits, make_server
from backpub_mailinglist.database import open_database
from backpub_mailinglist.store import MailingList, Member
from backpub_mailinglist.tokens import UNSUBSCRIBE as UNSUBSCRIBE_PURPOSE
from backpub_mailinglist.tokens import link, make_token

BACKPUB = str(Path(sys.executable).with_name("backpub"))
ENV = {"BACKPUB_UNSUBSCRIBE_SECRET": SECRET}
LIST_ID = "sunday.minimal.example.org"


def copies(recorder: Recorder) -> dict[str, int]:
    return {rcpt: len(items) for rcpt, items in recorder.by_recipient().items()}


def one_line_error(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in output, output
    return lines[0]


def test_observation_1_a_killed_send_resumed_elsewhere_mails_nobody_twice(project, database, smtp_server, run_cli):
    """The ledger is in the list's database, committed in it (SQLite: no -wal file to lose); a send killed with
    SIGKILL and resumed from another place (SQLite: the file alone copied to another folder; PostgreSQL: another
    process on the same server) sends to the rest only."""
    subscribers = add_subscribers(database, 50)
    victim: list[subprocess.Popen] = []

    def kill_after_19(count: int) -> None:
        if count == 19:
            os.kill(victim[0].pid, signal.SIGKILL)

    recorder, address = smtp_server(Recorder(after_accept=kill_after_19))
    victim.append(subprocess.Popen([BACKPUB, *send_args(database, address)], cwd=project, env={**os.environ, **ENV}))
    assert victim[0].wait(timeout=120) == -signal.SIGKILL
    if not database.startswith("postgresql"):
        beside = sorted(path.name for path in Path(database).parent.iterdir() if path.suffix != ".lock")
        assert beside == ["list.sqlite"]  # no -wal, no -journal: the file is the whole state
        elsewhere = project / "elsewhere" / "list.sqlite"
        elsewhere.parent.mkdir()
        shutil.copyfile(database, elsewhere)  # only the database file, as a copy between machines would
        database = str(elsewhere)
    resumed = run_cli(*send_args(database, address), cwd=project, env=ENV)
    assert "sent      31" in resumed.output and "uncertain 1" in resumed.output, resumed.output
    assert sorted(copies(recorder)) == subscribers and set(copies(recorder).values()) == {1}


def test_observation_2_an_emptied_database_refuses_instead_of_mailing_everyone(project, database, smtp_server, run_cli):
    add_subscribers(database, 5)
    recorder, address = smtp_server()
    assert run_cli(*send_args(database, address), cwd=project, env=ENV).exit_code == 0
    if database.startswith("postgresql"):
        db = open_database(database, create=False)
        with db.transaction() as tx:
            for table in ("deliveries", "outbox", "suppressions", "subscribers", "requests", "schema_version"):
                tx.execute(f"DROP TABLE {table}")
        db.close()
    else:
        Path(database).write_bytes(b"")  # `: > list.sqlite`
    again = run_cli(*send_args(database, address), cwd=project, env=ENV)
    assert again.exit_code == 1
    error = one_line_error(again.output)
    assert "empty (0 bytes)" in error or "holds no mailing list" in error
    assert len(recorder.received) == 5


def test_observation_3_an_unsubscribed_address_is_never_mailed_whatever_file_is_missing_or_given(
    project, database, smtp_server, run_cli
):
    subscribers = add_subscribers(database, 3)
    mailing = MailingList(open_database(database, create=False))
    mailing.unsubscribe(subscribers[0])
    mailing.db.close()
    (project / "old.csv").write_text("email\n" + "\n".join(subscribers) + "\n")
    recorder, address = smtp_server()
    with_csv = run_cli(*send_args(database, address), "--subscribers", "old.csv", cwd=project, env=ENV)
    assert with_csv.exit_code == 1 and "--subscribers is gone" in one_line_error(with_csv.output)
    mistyped = run_cli(*send_args(str(project / "typo.sqlite"), address), "--dry-run", cwd=project, env=ENV)
    assert mistyped.exit_code == 1 and "there is no subscriber database" in one_line_error(mistyped.output)
    assert recorder.received == []
    sent = run_cli(*send_args(database, address), cwd=project, env=ENV)
    assert sent.exit_code == 0 and sorted(copies(recorder)) == subscribers[1:]


class Server:
    """The service on waitress, in this process."""

    def __init__(self, app, **limits) -> None:
        self.server = make_server(app, "127.0.0.1", 0, ServerLimits(**limits))
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.trigger.pull_trigger(self.server.close)
        self.thread.join(10)


def _sign_up(port: int, index: int, statuses: list[int]) -> None:
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    body = f"email=burst{index:04d}%40example.net&website="
    connection.request(
        "POST",
        "/newsletter/subscribe",
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": f"198.51.100.{index % 250}"},
    )
    statuses.append(connection.getresponse().status)
    connection.close()


def test_observation_4_a_burst_of_concurrent_sign_ups_is_answered_and_stored_once(tmp_path, database):
    """120 sign-ups at once on waitress: every one answered (200, or 429 past a client's limit), every accepted one
    stored once, no connection left open per thread, and a silent client is dropped after the timeout."""
    from dataclasses import replace

    from backpub_mailinglist.service import SubscriptionService

    app = make_service(tmp_path, FakeClock(), RecordingMailer(), database=database, signups_per_client=1000)
    app = SubscriptionService(replace(app.settings, client_ip_header="X-Forwarded-For"))
    server = Server(app, threads=8, channel_timeout=2)
    open_before = len(os.listdir("/proc/self/fd"))
    try:
        statuses: list[int] = []
        threads = [threading.Thread(target=_sign_up, args=(server.port, index, statuses)) for index in range(120)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert len(statuses) == 120 and set(statuses) == {200}
        assert app.mailing.counts()["pending"] == 120
        assert app.mailing.outbox_counts() == {"queued": 120}
        assert len(os.listdir("/proc/self/fd")) <= open_before + 12  # the pool's few connections, not one per thread
        silent = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        silent.sendall(b"POST /newsletter/subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nemail=")
        assert silent.recv(1024) == b""  # the server hung up on the silent client (recv returns at once then)
        silent.close()
    finally:
        server.close()
        app.mailing.db.close()


def test_observation_5_an_old_confirmation_link_cannot_subscribe_someone_who_left(tmp_path, database):
    mailer, clock = RecordingMailer(), FakeClock()
    app = make_service(tmp_path, clock, mailer, database=database)
    call(app, "POST", SUBSCRIBE, {"email": "reader@example.net"})
    deliver(app)
    (old_link,) = mailer.links("reader@example.net")
    assert call(app, "POST", old_link).status == 200
    unsubscribe = link(UNSUBSCRIBE, make_token(SECRET, UNSUBSCRIBE_PURPOSE, LIST_ID, "reader@example.net"))
    assert call(app, "POST", unsubscribe).status == 200
    clock.advance(3 * 86400)  # well within the link's 7 days
    for method in ("GET", "POST"):
        assert call(app, method, old_link).status == 400
    assert app.mailing.status("reader@example.net") == "unsubscribed"
    call(app, "POST", SUBSCRIBE, {"email": "reader@example.net"})  # signing up again: a new request, new links
    assert call(app, "POST", old_link).status == 400 and app.mailing.status("reader@example.net") == "pending"
    app.mailing.db.close()


def test_observation_6_the_answer_is_the_same_whatever_the_list_holds(tmp_path, database):
    """Subscribed, pending, unsubscribed, suppressed or unknown, with the mail server down or up: the same status
    and page (but for the address it names), and no mail is sent while the request waits."""
    mailer = RecordingMailer(fail=True)
    app = make_service(tmp_path, FakeClock(), mailer, database=database)
    mailing = app.mailing
    mailing.import_members([Member("subscribed@example.net", "")])
    call(app, "POST", SUBSCRIBE, {"email": "pending@example.net"})
    mailing.unsubscribe("left@example.net")
    mailing.suppress("bounced@example.net", "bounce", "bounce: 5.1.1", "test")
    kinds = ("subscribed", "pending", "left", "bounced", "unknown")
    for smtp_up in (False, True):
        mailer.fail = not smtp_up
        answers = set()
        for kind in kinds:
            response = call(app, "POST", SUBSCRIBE, {"email": f"{kind}@example.net"}, client=f"192.0.2.{smtp_up}")
            answers.add((response.status, response.body.replace(f"{kind}@example.net", "ADDRESS")))
        assert len(answers) == 1 and next(iter(answers))[0] == 200
    assert mailer.sent == []  # nothing was mailed inside a request, with the server up or down
    app.mailing.db.close()


def test_observation_7_a_mail_that_could_not_be_sent_is_retried_and_the_person_can_ask_again(tmp_path, database):
    mailer, clock = RecordingMailer(fail=True), FakeClock()
    app = make_service(tmp_path, clock, mailer, database=database, mails_per_address=1)
    assert call(app, "POST", SUBSCRIBE, {"email": "reader@example.net"}).status == 200
    deliver(app)  # the server is down: the mail waits for its retry
    assert app.mailing.outbox_counts() == {"queued": 1}
    clock.advance(10)
    mailer.fail = False
    deliver(app)
    assert len(mailer.links("reader@example.net")) == 1  # the retry got through

    other = "second@example.net"
    mailer.fail = True
    call(app, "POST", SUBSCRIBE, {"email": other})
    for wait in (0, 10, 60):  # every attempt fails: the mail is given up
        clock.advance(wait)
        deliver(app)
    assert app.mailing.outbox_counts().get("failed") == 1
    mailer.fail = False
    assert call(app, "POST", SUBSCRIBE, {"email": other}).status == 200  # asking again is not held against them
    deliver(app)
    assert len(mailer.links(other)) == 1
    app.mailing.db.close()


def test_observation_8_names_reach_no_header_or_csv_raw(tmp_path, database, run_cli, project):
    mailer = RecordingMailer()
    app = make_service(tmp_path, FakeClock(), mailer, database=database)
    hostile = "=?utf-8?q?Your_Bank:_account_locked?= \x00Ann\x1b[31m\x07 Reader\u202e"
    call(app, "POST", SUBSCRIBE, {"email": "reader@example.net", "name": hostile})
    deliver(app)
    message = email.message_from_bytes(mailer.sent[0][1], policy=policy.default)
    assert message["To"].addresses[0].display_name == "Ann [31m Reader"
    raw_to = next(line for line in mailer.sent[0][1].split(b"\r\n") if line.startswith(b"To:"))
    assert raw_to == b'To: "Ann [31m Reader" <reader@example.net>'  # quoted by the email package's policy
    app.mailing.db.close()
    (project / "list.csv").write_text(f'email,name\nother@example.net,"{hostile}"\n', encoding="utf-8")
    assert run_cli("newsletter", "import", "list.csv", "--database", database, cwd=project).exit_code == 0
    exported = run_cli("newsletter", "export", "-", "--database", database, cwd=project).output
    assert exported == "email,name,start,position,member\nother@example.net,Ann [31m Reader,latest,,no\n"


def test_observation_9_a_damaged_database_or_a_read_only_state_folder_is_a_one_line_error(
    project, database, smtp_server, run_cli
):
    add_subscribers(database, 2)
    recorder, address = smtp_server()
    if database.startswith("postgresql"):
        read_only = database + "%20-cdefault_transaction_read_only%3Don"
        result = run_cli(*send_args(read_only, address), cwd=project, env=ENV)
        assert result.exit_code == 1 and "read-only" in one_line_error(result.output)
        unreachable = "postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=2"
        result = run_cli(*send_args(unreachable, address), cwd=project, env=ENV)
        assert result.exit_code == 1 and "cannot reach the database" in one_line_error(result.output)
        assert recorder.received == []
        return
    path = Path(database)
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(3996)  # the schema's page, past the file header
    damaged = project / "damaged.sqlite"
    damaged.write_bytes(bytes(data))
    result = run_cli(*send_args(str(damaged), address), cwd=project, env=ENV)
    assert result.exit_code == 1 and "damaged" in one_line_error(result.output)
    _read_only_state(project, path, address, run_cli)
    assert recorder.received == []


def _read_only_state(project: Path, database: Path, address: str, run_cli) -> None:
    """`newsletter send` and `serve` with the list in a folder nobody may write (root may write anywhere a
    permission allows: the folder is made immutable for the test instead)."""
    state = project / "read-only"
    state.mkdir()
    shutil.copyfile(database, state / "list.sqlite")
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(state)], check=True)
    else:
        state.chmod(0o555)
    serve = ["newsletter", "serve", "--port", "0", "--smtp", address, "--database", str(state / "list.sqlite")]
    try:
        result = run_cli(*send_args(str(state / "list.sqlite"), address), cwd=project, env=ENV)
        served = run_cli(*serve, cwd=project, env=ENV)  # refuses to start rather than answer 503 to everyone
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(state)], check=True)
        state.chmod(0o755)
    for outcome in (result, served):
        assert outcome.exit_code == 1, outcome.output
        assert "read-only" in one_line_error(outcome.output)
