"""Bounces and complaints suppress their address, from a mailbox or a webhook; `send` never mails a suppressed
address; `newsletter suppressions` lists them. The DSN is read by flufl.bounce, the rest by shape."""

from __future__ import annotations

import json
import mailbox
from email import message_from_string

from list_service import FakeClock, RecordingMailer, call, make_service
from list_smtp import SECRET, add_subscribers, send_args

from backpub_mailinglist.bounces import from_json, from_message

ENV = {"BACKPUB_UNSUBSCRIBE_SECRET": SECRET}
BOUNCES = "https://minimal.example.org/newsletter/bounces"

DSN = """\
From: MAILER-DAEMON@mx.example.net
To: sunday@example.org
Subject: Delivery Status Notification (Failure)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

Your message could not be delivered.
--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {status} {why}

--b1--
"""
ARF = """\
From: fbl@isp.example.net
To: abuse@example.org
Subject: Abuse report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="b2"

--b2
Content-Type: text/plain

This is an e-mail abuse report.
--b2
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ExampleFBL/1.0
Version: 1
Original-Rcpt-To: <{recipient}>

--b2
Content-Type: message/rfc822

From: sunday@example.org
To: {recipient}
Subject: This week's issue

The issue.
--b2--
"""


def dsn(recipient: str, permanent: bool = True) -> str:
    if permanent:
        return DSN.format(recipient=recipient, action="failed", status="5.1.1", why="No such user")
    return DSN.format(recipient=recipient, action="delayed", status="4.2.2", why="Mailbox full")


def test_the_shapes_name_their_addresses_and_only_permanent_failures():
    assert [(r.address, r.reason) for r in from_message(message_from_string(dsn("Gone@Example.net")))] == [
        ("gone@example.net", "bounce")
    ]
    assert from_message(message_from_string(dsn("full@example.net", permanent=False))) == []
    assert [
        (r.address, r.reason) for r in from_message(message_from_string(ARF.format(recipient="c@example.net")))
    ] == [("c@example.net", "complaint")]
    ses = {
        "notificationType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "a@example.net"}]},
    }
    soft = {
        "notificationType": "Bounce",
        "bounce": {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": "b@example.net"}]},
    }
    complaint = {
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": "c@example.net"}]},
    }
    sns = {"Type": "Notification", "Message": json.dumps(ses)}
    assert [r.address for r in from_json(ses)] == ["a@example.net"] == [r.address for r in from_json(sns)]
    assert from_json(soft) == []
    assert [(r.address, r.reason) for r in from_json(complaint)] == [("c@example.net", "complaint")]
    assert [r.reason for r in from_json({"RecordType": "Bounce", "Type": "HardBounce", "Email": "d@example.net"})] == [
        "bounce"
    ]
    assert from_json({"RecordType": "Bounce", "Type": "SoftBounce", "Email": "d@example.net"}) == []
    assert [r.reason for r in from_json({"RecordType": "SpamComplaint", "Email": "e@example.net"})] == ["complaint"]
    assert from_json({"something": "else"}) is None


def test_a_mailbox_of_bounces_suppresses_them_and_send_skips_them(project, database, smtp_server, run_cli):
    subscribers = add_subscribers(database, 4)
    box = mailbox.mbox(project / "bounces.mbox")
    for text in (dsn(subscribers[0]), dsn(subscribers[1], permanent=False), ARF.format(recipient=subscribers[2])):
        box.add(message_from_string(text))
    box.flush()
    box.close()
    result = run_cli("newsletter", "bounces", "bounces.mbox", "--database", database, cwd=project)
    assert result.exit_code == 0, result.output
    assert "3 message(s), 2 address(es) suppressed" in result.output
    again = run_cli("newsletter", "bounces", "bounces.mbox", "--database", database, cwd=project)
    assert "0 address(es) suppressed, 2 already suppressed" in again.output
    listed = run_cli("newsletter", "suppressions", "--database", database, cwd=project)
    lines = sorted(line.split("\t")[:2] for line in listed.stdout.splitlines())
    assert lines == [[subscribers[0], "bounce"], [subscribers[2], "complaint"]]
    recorder, address = smtp_server()
    sent = run_cli(*send_args(database, address), cwd=project, env=ENV)
    assert sent.exit_code == 0, sent.output
    assert sorted(recorder.by_recipient()) == [subscribers[1], subscribers[3]]
    removed = run_cli("newsletter", "suppressions", "--remove", subscribers[0], "--database", database, cwd=project)
    assert removed.exit_code == 0 and f"no longer suppressed: {subscribers[0]}" in removed.output


def test_a_maildir_is_read_too(project, tmp_path, run_cli):
    database = str(tmp_path / "list.sqlite")
    add_subscribers(database, 1)
    box = mailbox.Maildir(project / "Maildir", create=True)
    box.add(message_from_string(dsn("reader000@example.net")))
    result = run_cli("newsletter", "bounces", "Maildir", "--database", database, cwd=project)
    assert "1 address(es) suppressed" in result.output, result.output


def test_the_webhook_takes_reports_only_with_its_key(tmp_path, database):
    app = make_service(
        tmp_path, FakeClock(), RecordingMailer(), database=database, webhook_secret="hook-key-0123456789"
    )
    postmark = json.dumps({"RecordType": "Bounce", "Type": "HardBounce", "Email": "Hard@Example.net"})
    assert call(app, "POST", f"{BOUNCES}?key=wrong", raw=postmark, content_type="application/json").status == 403
    ok = call(app, "POST", f"{BOUNCES}?key=hook-key-0123456789", raw=postmark, content_type="application/json")
    assert ok.status == 200 and "suppressed 1" in ok.body
    sns = json.dumps(
        {
            "Type": "Notification",
            "Message": json.dumps(
                {
                    "notificationType": "Complaint",
                    "complaint": {"complainedRecipients": [{"emailAddress": "c@example.net"}]},
                }
            ),
        }
    )
    assert call(app, "POST", f"{BOUNCES}?key=hook-key-0123456789", raw=sns, content_type="text/plain").status == 200
    report = call(
        app, "POST", f"{BOUNCES}?key=hook-key-0123456789", raw=dsn("d@example.net"), content_type="message/rfc822"
    )
    assert report.status == 200 and "suppressed 1" in report.body
    garbage = call(
        app, "POST", f"{BOUNCES}?key=hook-key-0123456789", raw='{"what": 1}', content_type="application/json"
    )
    assert garbage.status == 400
    assert sorted((s.address, s.reason) for s in app.mailing.suppressions()) == [
        ("c@example.net", "complaint"),
        ("d@example.net", "bounce"),
        ("hard@example.net", "bounce"),
    ]
    app.mailing.db.close()


def test_without_a_webhook_secret_there_is_no_bounces_path(tmp_path):
    app = make_service(tmp_path, FakeClock(), RecordingMailer())
    assert call(app, "POST", f"{BOUNCES}?key=", raw="{}", content_type="application/json").status == 404
