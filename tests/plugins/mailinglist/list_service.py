"""Helpers for the subscription service tests: a fake clock, a recording mailer, and WSGI calls without a server."""

from __future__ import annotations

import email
import io
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from wsgiref.util import setup_testing_defaults

from list_smtp import SECRET

import backpub_mailinglist
from backpub_mailinglist.database import open_database
from backpub_mailinglist.private_feeds import PrivateFeeds
from backpub_mailinglist.service import ServiceSettings, SubscriptionService, template_search_path
from backpub_mailinglist.store import MailingList, SignUpLimits
from backpub_mailinglist.worker import MailError, RetryPolicy

LIST_ID = "sunday.minimal.example.org"
SUBSCRIBE = "https://minimal.example.org/newsletter/subscribe"
UNSUBSCRIBE = "https://minimal.example.org/unsubscribe"
BOUNCES = "https://minimal.example.org/newsletter/bounces"
FEEDS = "https://minimal.example.org/newsletter/feeds/"


@dataclass
class FakeClock:
    """Seconds since the epoch that move only when a test says so."""

    now: float = 1_795_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class RecordingMailer:
    """Keeps every message instead of sending it; `fail` makes it refuse like an unreachable server."""

    sent: list[tuple[str, bytes]] = field(default_factory=list)
    fail: bool = False

    def __call__(self, recipient: str, data: bytes) -> None:
        if self.fail:
            raise MailError("cannot connect")
        self.sent.append((recipient, data))

    def links(self, recipient: str) -> list[str]:
        """The confirmation links mailed to `recipient`, oldest first."""
        found = (confirmation_link(data) for to, data in self.sent if to == recipient)
        return [url for url in found if url]

    def subjects(self, recipient: str) -> list[str]:
        return [
            str(email.message_from_bytes(data, policy=policy.default)["Subject"])
            for to, data in self.sent
            if to == recipient
        ]


def confirmation_link(data: bytes) -> str | None:
    """The confirmation URL in a confirmation email (decoded from quoted-printable), if it has one."""
    message = email.message_from_bytes(data, policy=policy.default)
    found = re.search(r"https://\S+/confirm\?token=\S+", message.get_content())
    return found[0] if found else None


def make_service(
    tmp_path: Path,
    clock: FakeClock,
    mailer: RecordingMailer,
    language: str = "en-GB",
    *,
    database: str | None = None,
    webhook_secret: str | None = None,
    private_feeds: PrivateFeeds | None = None,
    **limits: float,
) -> SubscriptionService:
    """A service for the minimal test programme's URLs, its list in `database` (a SQLite file in tmp_path by
    default), its words in `language` from the list's catalogues (and tmp_path/theme/newsletter/locale/). Queued
    mail is sent when the test calls `deliver(service)`, never by a thread."""
    theme = tmp_path / "theme" / "newsletter"
    db = open_database(database or str(tmp_path / "list.sqlite"), create=True)
    settings = ServiceSettings(
        list_id=LIST_ID,
        title="Minimal Programme",
        language=language,
        site_url="https://minimal.example.org/",
        subscribe_url=SUBSCRIBE,
        confirm_url="https://minimal.example.org/newsletter/confirm",
        unsubscribe_url=UNSUBSCRIBE,
        bounces_url=BOUNCES,
        feeds_url=FEEDS,
        sender=Address("Minimal", "sunday", "example.org"),
        postal_address="Minimal Programme (sample address)\n1 Example Street, Sampletown",
        secret=SECRET,
        mailing=MailingList(db, clock),
        mailer=mailer,
        templates=template_search_path(theme),
        limits=SignUpLimits(**limits),
        webhook_secret=webhook_secret,
        locales=[Path(backpub_mailinglist.__file__).parent / "locale", theme / "locale"],
        retry=RetryPolicy(delays=(10, 60)),
        background_mail=False,
        private_feeds=private_feeds,
    )
    return SubscriptionService(settings)


def deliver(service: SubscriptionService) -> int:
    """Send the mail the service queued (as its worker thread would); how many were handled."""
    return service.worker.run_once()


@dataclass
class Response:
    """A WSGI response, collected."""

    status: int
    headers: dict[str, str]
    body: str


def call(
    app,
    method: str,
    url: str,
    form: dict | None = None,
    client: str = "192.0.2.10",
    *,
    raw: str | None = None,
    content_type: str = "application/x-www-form-urlencoded",
    **headers: str,
) -> Response:
    """Call the WSGI app directly, as a server would for `method url` from `client` (a form, or a `raw` body)."""
    parts = urlsplit(url)
    body = raw.encode() if raw is not None else urlencode(form or {}).encode() if method == "POST" else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "REMOTE_ADDR": client,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **{"HTTP_" + key.upper(): value for key, value in headers.items()},
    }
    setup_testing_defaults(environ)
    seen: dict = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = int(status.split()[0]), dict(response_headers)

    chunks = app(environ, start_response)
    return Response(seen["status"], seen["headers"], b"".join(chunks).decode())
