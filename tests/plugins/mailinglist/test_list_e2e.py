"""End to end on loopback: sign up through the site's form, confirm from the mail, send, unsubscribe in one click.

A real SMTP server (aiosmtpd), the service on waitress (the server `newsletter serve` runs) on port 0 with its
background mail worker, and `backpub newsletter send`.
"""

from __future__ import annotations

import email
import http.client
import os
import re
import shutil
import subprocess
import sys
import threading
from datetime import date
from email import policy
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from list_smtp import SECRET
from lxml import html as lxml_html

from backpub import ServerLimits, make_server
from backpub_mailinglist.service import HONEYPOT_FIELD, make_app
from backpub_testkit import ROOTS, edit, made_once

ENV = {"BACKPUB_UNSUBSCRIBE_SECRET": SECRET}
SIGNUP = "https://minimal.example.org/newsletter/subscribe"


class Loopback:
    """The service on waitress on 127.0.0.1; public URLs are fetched by their path and query."""

    def __init__(self, app) -> None:
        self.server = make_server(app, "127.0.0.1", 0, ServerLimits(threads=4))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def request(self, method: str, url: str, form: dict | None = None) -> tuple[int, str]:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        body = urlencode(form).encode() if form is not None else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
        connection = http.client.HTTPConnection("127.0.0.1", self.server.effective_port, timeout=10)
        try:
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def close(self) -> None:
        self.server.trigger.pull_trigger(self.server.close)  # closed in the server's own loop, which then ends
        self.thread.join(10)


def _build_subscribed_project(folder: Path) -> None:
    from backpub.build import build

    shutil.copytree(ROOTS / "feed-audio" / "content", folder / "content")
    edit(
        folder / "content/programme.yaml",
        "    unsubscribe_mailto: unsubscribe@example.org\n",
        f"    unsubscribe_mailto: unsubscribe@example.org\n    signup_form_action: {SIGNUP}\n",
    )
    # a build for another day than today writes where it is told (else a preview folder inside outputs/)
    build(folder / "content", output_dir=folder / "outputs", formats=["site"], as_of=date(2026, 11, 25), jobs=1)


@pytest.fixture
def subscribed_project(tmp_path_factory, tmp_path):
    """The three-episode test project with a sign-up form, and its built site (built once per test run)."""
    built = made_once(tmp_path_factory, "subscribed-project", _build_subscribed_project)
    project = tmp_path / "project"
    shutil.copytree(built / "content", project / "content")
    shutil.copytree(built / "outputs", project / "outputs")
    return project


def signup_form(project):
    """The sign-up form of the built home page: its action and the fields a browser would send."""
    page = lxml_html.fromstring((project / "outputs/site/index.html").read_bytes())
    (form,) = page.xpath("//form[@class='signup-form']")
    fields = {field.get("name"): field for field in form.xpath(".//input")}
    return form.get("action"), form.get("method"), fields


def text_of(data: bytes) -> str:
    message = email.message_from_bytes(data, policy=policy.default)
    part = message.get_body(preferencelist=("plain",))
    return part.get_content()


def send(run_cli, project, smtp, issue: str, as_of: str, database: str):
    args = ["newsletter", "send", "--issue", issue, "--smtp", smtp, "--as-of", as_of, "--retry-delay", "0.01"]
    return run_cli(*args, "--database", database, cwd=project, env=ENV)


def test_the_sites_form_carries_a_hidden_honeypot_the_service_knows(subscribed_project):
    action, method, fields = signup_form(subscribed_project)
    assert (action, method) == (SIGNUP, "post")
    trap = fields[HONEYPOT_FIELD]
    assert trap.get("tabindex") == "-1" and trap.get("autocomplete") == "off"
    assert trap.xpath("ancestor::*[@aria-hidden='true']"), "the trap is hidden from assistive technology"
    assert fields["email"].get("type") == "email"


def test_twenty_sign_up_nineteen_confirm_one_leaves_in_one_click(
    subscribed_project, smtp_server, run_cli, monkeypatch, database
):
    project = subscribed_project
    recorder, smtp = smtp_server()
    monkeypatch.setenv("BACKPUB_UNSUBSCRIBE_SECRET", SECRET)
    app = make_app(project / "content", smtp, False, database, None)
    store = app.mailing
    loopback = Loopback(app)
    try:
        action, _, fields = signup_form(project)
        people = [f"reader{index:02d}@example.net" for index in range(20)]
        for person in people:
            form = {name: "" for name in fields} | {"email": person}  # the honeypot left empty, as a person does
            status, page = loopback.request("POST", action, form)
            assert status == 200 and "Check your inbox" in page
        confirmations = {item.rcpt_tos[0]: text_of(item.data) for item in recorder.wait_for(20)}  # the worker's
        assert sorted(confirmations) == people
        assert store.counts() == {"pending": 20, "subscribed": 0, "unsubscribed": 0, "suppressed": 0}

        confirming = people[:19]
        for person in confirming:
            link = re.search(r"https://\S+/newsletter/confirm\?token=\S+", confirmations[person])[0]
            status, page = loopback.request("GET", link)
            assert status == 200 and store.status(person) == "pending"  # following the link changes nothing
            button_action = lxml_html.fromstring(page).xpath("//form[@method='post']/@action")[0]
            status, page = loopback.request("POST", link.split("?")[0] + button_action, {})
            assert status == 200 and "You are subscribed" in page
        assert store.counts() == {"pending": 1, "subscribed": 19, "unsubscribed": 0, "suppressed": 0}
        welcomes = recorder.wait_for(39)[20:]
        assert sorted(item.rcpt_tos[0] for item in welcomes) == confirming

        before = len(recorder.received)
        first = send(run_cli, project, smtp, "2026-11-22", "2026-11-25", database)
        assert first.exit_code == 0, first.output
        issue_one = recorder.received[before:]
        assert sorted(item.rcpt_tos[0] for item in issue_one) == confirming

        leaver = issue_one[0]
        https_url = re.findall(r"<([^>]+)>", leaver.message["List-Unsubscribe"])[0]
        assert leaver.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        status, page = loopback.request("GET", https_url)
        assert status == 200 and "<button" in page
        assert store.status(leaver.rcpt_tos[0]) == "subscribed"  # a GET never unsubscribes
        status, _ = loopback.request("POST", https_url, {"List-Unsubscribe": "One-Click"})
        assert status == 200
        assert store.status(leaver.rcpt_tos[0]) == "unsubscribed"

        other = issue_one[1]
        other_url = re.findall(r"<([^>]+)>", other.message["List-Unsubscribe"])[0]
        signature = other_url.split("token=")[1].split(".")[-1]
        tampered = other_url.replace(signature, signature[::-1])
        for method in ("GET", "POST"):
            status, page = loopback.request(
                method, tampered, {"List-Unsubscribe": "One-Click"} if method == "POST" else None
            )
            assert status == 400 and other.rcpt_tos[0] not in page
        assert store.counts() == {"pending": 1, "subscribed": 18, "unsubscribed": 1, "suppressed": 0}

        before = len(recorder.received)
        second = send(run_cli, project, smtp, "2026-11-29", "2026-12-01", database)
        assert second.exit_code == 0, second.output
        issue_two = recorder.received[before:]
        assert sorted(item.rcpt_tos[0] for item in issue_two) == sorted(set(confirming) - {leaver.rcpt_tos[0]})
        assert len(issue_two) == 18
    finally:
        loopback.close()
        app.worker.stop()
        store.db.close()


def test_a_csv_goes_in_through_import_only_and_never_brings_an_unsubscribed_address_back(
    subscribed_project, smtp_server, run_cli
):
    project = subscribed_project
    recorder, smtp = smtp_server()
    (project / "old.csv").write_text("email,name\nkeep@example.net,Keep\nleft@example.net,Left\n")
    imported = run_cli("newsletter", "import", "old.csv", cwd=project)
    assert imported.exit_code == 0, imported.output
    assert "added              2" in imported.output
    assert run_cli("newsletter", "unsubscribe", "LEFT@example.net", cwd=project).exit_code == 0
    again = run_cli("newsletter", "import", "old.csv", cwd=project)
    assert "left out           1" in again.output

    default = str(project / ".backpub/state/subscribers.sqlite")
    sent = send(run_cli, project, smtp, "2026-11-22", "2026-11-25", default)
    assert sent.exit_code == 0, sent.output
    from_csv = run_cli(
        "newsletter", "send", "--issue", "2026-11-29", "--subscribers", "old.csv", "--smtp", smtp,
        "--as-of", "2026-12-01", cwd=project, env=ENV,
    )  # fmt: skip
    assert from_csv.exit_code == 1 and "--subscribers is gone" in from_csv.output
    assert sorted(item.rcpt_tos[0] for item in recorder.received) == ["keep@example.net"]

    exported = run_cli("newsletter", "export", "-", cwd=project)
    assert exported.output == "email,name,start,position,member\nkeep@example.net,Keep,latest,,no\n"


def test_newsletter_serve_answers_on_the_port_it_prints(subscribed_project):
    backpub = str(Path(sys.executable).with_name("backpub"))
    env = {**os.environ, **ENV, "PYTHONUNBUFFERED": "1"}
    command = [backpub, "newsletter", "serve", "--port", "0", "--smtp", "127.0.0.1:9"]
    process = subprocess.Popen(command, cwd=subscribed_project, env=env, stdout=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()  # blocks until the server listens
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", first)[1])
        routes = [process.stdout.readline().strip() for _ in range(3)]
        assert sorted(routes) == ["/newsletter/confirm", "/newsletter/subscribe", "/unsubscribe"]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/unsubscribe?token=bm90.dGhpcw")
        response = connection.getresponse()
        assert response.status == 400 and b"This link does not work" in response.read()
        assert response.getheader("Server") == "backpub"  # waitress, as `serve` configures it
        connection.close()
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_any_wsgi_server_can_build_the_app_from_the_environment(subscribed_project, monkeypatch):
    from backpub_mailinglist.service import app_from_environment

    monkeypatch.chdir(subscribed_project)
    monkeypatch.setenv("BACKPUB_UNSUBSCRIBE_SECRET", SECRET)
    monkeypatch.setenv("BACKPUB_SMTP", "127.0.0.1:9")
    monkeypatch.setenv("BACKPUB_DATABASE", str(subscribed_project / "elsewhere.sqlite"))
    app = app_from_environment()
    assert app.mailing.db.label == str(subscribed_project / "elsewhere.sqlite")
    assert "/newsletter/subscribe" in app.routes
