"""The subscription service: a WSGI application for signing up, confirming, unsubscribing and reporting bounces.

It answers the paths programme.yaml's `formats.newsletter` names: the sign-up form's action
(`signup_form_action`), `confirm` and `bounces` beside it, and `unsubscribe_url`. Pages and mails come from
Jinja2 templates (`templates/service/`, overridable in `theme/newsletter/service/`); no page needs JavaScript.

- Sign-up (POST only): double opt-in. The answer is the same page, status and work whatever the list holds: one
  database transaction records the request and, when the address may get one, queues a confirmation mail; the
  mail worker sends it (`worker.py`), never the request. A filled honeypot field gets the same page and changes
  nothing. Too many sign-ups from one client get 429.
- Confirm and unsubscribe: a GET shows a page with a button and changes nothing (mail scanners follow links); a
  POST does it. A confirmation link works only while its request is pending (never after an unsubscribe); the
  unsubscribe POST is RFC 8058's one-click (`List-Unsubscribe=One-Click`), answered 200. A bad, tampered, spent or
  expired token gets 400 and a page that says no more than that the link does not work. A confirmation queues
  the welcome mail.
- Bounces (POST, with `?key=` BACKPUB_WEBHOOK_SECRET; off without it): a bounce or complaint (a DSN or ARF
  message, or an Amazon SES / Postmark webhook) suppresses its address.
- Private feeds (GET or HEAD `feeds/<token>.xml` beside the form's action): each subscriber's podcast feed, put
  together from the build's service folder (`private_feeds.py`); 410 once revoked or unsubscribed, 304 with the
  current ETag.
- A database that fails (damaged, read-only, unreachable) gets a 503 page and one line in the log.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.headerregistry import Address
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urljoin, urlsplit

from backpub import ConfigError, messages
from backpub_mailinglist.addresses import MAX_ADDRESS, InvalidAddress, check_address, clean_name
from backpub_mailinglist.database import DatabaseError
from backpub_mailinglist.mails import Templates, build_mail, recipient_address
from backpub_mailinglist.private_feeds import NotBuilt, PrivateFeeds
from backpub_mailinglist.store import (
    BEGINNING,
    CONFIRM,
    FEED_SCOPES,
    LATEST,
    LIMITED,
    PACE,
    PENDING,
    STARTS,
    SUBSCRIBED,
    Mail,
    MailingList,
    Recipient,
    SignUpLimits,
    token_hash,
)
from backpub_mailinglist.tokens import CONFIRM as CONFIRM_TOKEN
from backpub_mailinglist.tokens import FEED_TOKEN, UNSUBSCRIBE, feed_token, link, make_token, read_token
from backpub_mailinglist.worker import Mailer, MailError, MailWorker, RetryPolicy, log

HONEYPOT_FIELD = "website"
"""The sign-up form's trap: visually hidden in the site's form, so only a bot fills it in."""
EMAIL_FIELD = "email"
NAME_FIELD = "name"
START_FIELD = "start"
"""`latest` (the weekly issue) or `beginning` (from episode 1, one a Sunday); absent: the newsletter's `start`."""
FEED_FIELD = "feed"
"""What the private feed lists: `pace` (the episodes sent so far) or `all` (every released episode)."""
FEEDS_PATH = "feeds/"
"""Where the private feeds are, beside the sign-up form's action: `<base>/feeds/<token>.xml`."""
FEED_HEADERS = [
    ("Content-Type", "application/rss+xml; charset=utf-8"),
    ("Cache-Control", "private, no-cache"),  # apps keep it and ask again with If-None-Match
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Robots-Tag", "noindex"),
]
MAX_BODY = 8192
"""The largest form the sign-up, confirm and unsubscribe paths read."""
MAX_REPORT = 1024 * 1024
"""The largest bounce report or webhook the bounces path reads."""
WEBHOOK_SECRET_ENV = "BACKPUB_WEBHOOK_SECRET"
SERVICE_FILES_ENV = "BACKPUB_SERVICE_FILES"
"""The build's service folder (`outputs/service/`, copied wherever the service runs): the private feeds' files."""
PACKAGE = Path(__file__).resolve().parent
SECURITY_HEADERS = [
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none';"
     " frame-ancestors 'none'"),
    ("Referrer-Policy", "no-referrer"),  # the URLs carry tokens
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
]  # fmt: skip

__all__ = ["MailError", "ServiceSettings", "SubscriptionService", "make_app"]


@dataclass(frozen=True)
class ServiceSettings:
    """Everything the service needs; `from_format` fills it from programme.yaml."""

    list_id: str
    title: str
    language: str
    site_url: str
    subscribe_url: str | None
    confirm_url: str
    unsubscribe_url: str
    bounces_url: str
    feeds_url: str
    """The private feeds' base URL: a subscriber's feed is `<feeds_url><token>.xml`."""
    sender: Address
    postal_address: str
    secret: str
    mailing: MailingList
    mailer: Mailer
    templates: list[Path]
    limits: SignUpLimits = field(default_factory=SignUpLimits)
    confirm_days: int = 7
    """How long a confirmation link works."""
    webhook_secret: str | None = None
    """The `key` a bounce report must carry (BACKPUB_WEBHOOK_SECRET); without it the bounces path is off."""
    client_ip_header: str | None = None
    """A header your HTTPS proxy sets to the client's address (e.g. X-Forwarded-For); its last entry is used."""
    locales: list[Path] = field(default_factory=list)
    """The message catalogues of the pages and the mails, lowest priority first (the list's own, then the
    project's theme/locale/ and theme/newsletter/locale/); the core's always come first."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    background_mail: bool = True
    """Send queued mail from a background thread (tests turn it off and call `worker.run_once()` themselves)."""
    private_feeds: PrivateFeeds | None = None
    """The build's service folder the private feeds are put together from (None: private feeds answer 503)."""
    default_start: str = LATEST
    """Where a subscriber starts when the sign-up form does not say (`formats.newsletter.start`)."""

    @classmethod
    def from_format(cls, programme: Any, newsletter_format: Any, theme_dir: Path, **rest: Any) -> ServiceSettings:
        """The settings from the programme and the `newsletter` format's options (programme.yaml), asked of the
        format instance the session made (the list imports no other plugin)."""
        newsletter = newsletter_format.options
        base = newsletter.signup_form_action or newsletter.unsubscribe_url
        return cls(
            list_id=newsletter.list_id,
            title=programme.title,
            language=programme.language,
            site_url=str(programme.site_url),
            subscribe_url=newsletter.signup_form_action,
            confirm_url=urljoin(base, "confirm"),
            unsubscribe_url=newsletter.unsubscribe_url,
            bounces_url=urljoin(base, "bounces"),
            feeds_url=feeds_url(newsletter),
            sender=newsletter_format.sender(),
            default_start=newsletter.start,
            postal_address=newsletter.postal_address,
            templates=template_search_path(theme_dir),
            locales=[PACKAGE / "locale", theme_dir.parent / "locale", theme_dir / "locale"],
            **rest,
        )


def feeds_url(newsletter: Any) -> str:
    """Where the private feeds are: `feeds/` beside the sign-up form's action (else the unsubscribe URL)."""
    return urljoin(newsletter.signup_form_action or newsletter.unsubscribe_url, FEEDS_PATH)


def template_search_path(theme_dir: Path) -> list[Path]:
    """A project's `theme/newsletter/` first (it may override any page or mail), then the list's own templates."""
    return [theme_dir, PACKAGE / "templates"]


class SubscriptionService:
    """The WSGI application, with its mail worker (started on the first request, or by `start_worker`)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.mailing = settings.mailing
        self.templates = Templates(settings.templates, messages(settings.language, settings.locales))
        self.worker = MailWorker(self.mailing, self.render_mail, settings.mailer, settings.retry)
        routes: dict[str, Callable[..., Iterable[bytes]]] = {
            settings.confirm_url: self.confirm,
            settings.unsubscribe_url: self.unsubscribe,
        }
        if settings.subscribe_url:
            routes[settings.subscribe_url] = self.subscribe
        if settings.webhook_secret:
            routes[settings.bounces_url] = self.bounces
        self.routes = {urlsplit(url).path: handler for url, handler in routes.items()}
        self.feeds_path = urlsplit(settings.feeds_url).path
        self._worker_pid: int | None = None

    def start_worker(self) -> None:
        """Start this process's mail worker (a forking WSGI server gets one per worker process)."""
        if self.settings.background_mail and self._worker_pid != os.getpid():
            self._worker_pid = os.getpid()
            self.worker = MailWorker(self.mailing, self.render_mail, self.settings.mailer, self.settings.retry)
            self.worker.start()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if path.startswith(self.feeds_path):
            return self.private_feed(start_response, environ, path.removeprefix(self.feeds_path))
        handler = self.routes.get(path)
        if handler is None:
            return self._page(start_response, HTTPStatus.NOT_FOUND, "not_found")
        method = environ.get("REQUEST_METHOD", "GET")
        allowed = ("POST",) if handler in (self.subscribe, self.bounces) else ("GET", "POST")
        if method not in allowed:
            return self._page(start_response, HTTPStatus.METHOD_NOT_ALLOWED, "bad_request", allow=", ".join(allowed))
        query = parse_qs(environ.get("QUERY_STRING", ""))
        token = (query.get("token") or query.get("key") or [""])[0]
        try:
            if handler == self.bounces:
                return self.bounces(start_response, environ, token)
            form = _form(environ) if method == "POST" else {}
            if form is None:
                return self._page(start_response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "bad_request")
            return handler(start_response, method, form, token, environ)
        except DatabaseError as exc:
            log(f"{method} {path} 503: {exc}")
            return self._page(start_response, HTTPStatus.SERVICE_UNAVAILABLE, "try_later", retry_after="120")

    # -- the endpoints ---------------------------------------------------------------------------

    def subscribe(self, start_response, method: str, form: dict, token: str, environ: dict) -> Iterable[bytes]:
        limits = self.settings.limits
        client = self._client(environ)
        email = form.get(EMAIL_FIELD, "").strip()[: MAX_ADDRESS + 1]
        try:
            address = check_address(email) if not form.get(HONEYPOT_FIELD) else None
        except InvalidAddress:
            if not self.mailing.allow_client(client, limits):
                return self._limited(start_response)
            return self._page(start_response, HTTPStatus.BAD_REQUEST, "invalid_address", address=clean_name(email))
        if address is None:  # a bot filled the trap: the normal answer, nothing else
            if not self.mailing.allow_client(client, limits):
                return self._limited(start_response)
            return self._page(start_response, HTTPStatus.OK, "check_inbox", address=clean_name(email))
        start = _choice(form.get(START_FIELD), STARTS, self.settings.default_start)
        scope = _choice(form.get(FEED_FIELD), FEED_SCOPES, PACE)
        outcome = self.mailing.sign_up(address, form.get(NAME_FIELD, ""), client, limits, start=start, feed_scope=scope)
        if outcome == LIMITED:
            return self._limited(start_response)
        self.start_worker()
        self.worker.notify()
        return self._page(start_response, HTTPStatus.OK, "check_inbox", address=address.email)

    def confirm(self, start_response, method: str, form: dict, token: str, environ: dict) -> Iterable[bytes]:
        settings = self.settings
        found = read_token(
            settings.secret, CONFIRM_TOKEN, settings.list_id, token, now=self.mailing.clock(),
            binding=self.mailing.pending_binding,
        )  # fmt: skip
        if found is None:
            return self._page(start_response, HTTPStatus.BAD_REQUEST, "bad_link")
        shown = self._shown_address(found)
        if method == "GET":
            return self._page(start_response, HTTPStatus.OK, "confirm", action=_self_link(token), address=shown)
        binding = self.mailing.pending_binding(found)
        if binding is None or not self.mailing.confirm(found, binding):
            return self._page(start_response, HTTPStatus.BAD_REQUEST, "bad_link")
        self.start_worker()
        self.worker.notify()  # the welcome mail
        return self._page(start_response, HTTPStatus.OK, "confirmed", address=shown, **self._pace(found))

    def unsubscribe(self, start_response, method: str, form: dict, token: str, environ: dict) -> Iterable[bytes]:
        settings = self.settings
        found = read_token(settings.secret, UNSUBSCRIBE, settings.list_id, token, now=self.mailing.clock())
        if not token or found is None:
            return self._page(start_response, HTTPStatus.BAD_REQUEST, "bad_link")
        if method == "GET":
            return self._page(start_response, HTTPStatus.OK, "unsubscribe", action=_self_link(token), address=found)
        # RFC 8058: the POST itself unsubscribes, whatever its body; no cookie, no second step.
        self.mailing.unsubscribe(found)
        return self._page(start_response, HTTPStatus.OK, "unsubscribed", address=found)

    def bounces(self, start_response, environ: dict, key: str) -> Iterable[bytes]:
        from backpub_mailinglist.bounces import ReportError, suppress_reports

        expected = (self.settings.webhook_secret or "").encode()
        if not expected or not hmac.compare_digest(expected, key.encode()):
            return self._plain(start_response, HTTPStatus.FORBIDDEN, "forbidden\n")
        body = _body(environ, MAX_REPORT)
        if body is None:
            return self._plain(start_response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too large\n")
        try:
            counts = suppress_reports(self.mailing, environ.get("CONTENT_TYPE", ""), body, source="webhook")
        except ReportError as exc:
            log(f"POST bounces 400: {exc}")
            return self._plain(start_response, HTTPStatus.BAD_REQUEST, f"{exc}\n")
        return self._plain(start_response, HTTPStatus.OK, f"suppressed {counts.suppressed}, ignored {counts.ignored}\n")

    def private_feed(self, start_response, environ: dict, name: str) -> Iterable[bytes]:
        """A subscriber's private feed (GET or HEAD `<feeds>/<token>.xml`): 404 for a token never issued, 410 Gone
        once it was revoked or its subscriber left, 304 when the app has this version already."""
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return self._plain(start_response, HTTPStatus.METHOD_NOT_ALLOWED, "GET or HEAD\n", allow="GET, HEAD")
        token = name.removesuffix(".xml")
        if not name.endswith(".xml") or not FEED_TOKEN.fullmatch(token):
            return self._plain(start_response, HTTPStatus.NOT_FOUND, "no such feed\n")
        try:
            access = self.mailing.feed_access(token)
            if access is None:
                return self._plain(start_response, HTTPStatus.NOT_FOUND, "no such feed\n")
            if not access.live:
                return self._plain(start_response, HTTPStatus.GONE, "this private feed was revoked\n")
            feeds = self.settings.private_feeds
            if feeds is None:
                raise NotBuilt("the service was started without the build's service folder")
            hashed = token_hash(token)
            etag = feeds.etag(access, hashed)
            if etag in _etags(environ.get("HTTP_IF_NONE_MATCH", "")):
                start_response("304 Not Modified", [("ETag", etag), *FEED_HEADERS[1:]])
                return []
            feed = feeds.feed(access, hashed, f"{self.settings.feeds_url}{token}.xml")
        except NotBuilt as exc:
            log(f"{method} private feed 503: {exc}")
            return self._plain(start_response, HTTPStatus.SERVICE_UNAVAILABLE, "try again later\n", retry_after="120")
        headers = [*FEED_HEADERS, ("Content-Length", str(len(feed.body))), ("ETag", feed.etag)]
        start_response("200 OK", headers)
        return [] if method == "HEAD" else [feed.body]

    # -- the mail worker's rendering -------------------------------------------------------------

    def render_mail(self, mail: Mail, recipient: Recipient) -> bytes | None:
        """The confirmation or welcome mail for `recipient` as things stand now; None when it is not wanted."""
        settings = self.settings
        if recipient.suppressed:
            return None
        now = self.mailing.clock()
        values = {**self._values(), "address": recipient.email}
        unsubscribe = None
        if mail.kind == CONFIRM:
            if recipient.status != PENDING or not recipient.pending_id:
                return None  # confirmed or gone meanwhile
            expires = int(now) + settings.confirm_days * 24 * 3600
            token = make_token(
                settings.secret, CONFIRM_TOKEN, settings.list_id, mail.address, expires=expires,
                binding=recipient.pending_id,
            )  # fmt: skip
            values |= {"url": link(settings.confirm_url, token), "days": settings.confirm_days}
            letter = self.templates.letter("confirm", values)
        else:
            if recipient.status != SUBSCRIBED:
                return None
            url = link(
                settings.unsubscribe_url, make_token(settings.secret, UNSUBSCRIBE, settings.list_id, mail.address)
            )
            values |= {"unsubscribe_url": url, "postal_address": settings.postal_address, **self._pace(mail.address)}
            letter = self.templates.letter("welcome", values)
            unsubscribe = (url, settings.list_id)
        to = recipient_address(recipient.email, recipient.name)
        return build_mail(settings.sender, to, letter, settings.language, now, unsubscribe=unsubscribe)

    def _pace(self, key: str) -> dict[str, Any]:
        """What the welcome mail and the confirmed page say about the subscriber's pace and their private feed (its
        URL, and the same URL for Apple Podcasts, which opens `podcast://` links)."""
        settings = self.settings
        subscriber = self.mailing.subscriber(key)
        beginning = subscriber is not None and subscriber.start == BEGINNING
        token = self.mailing.feed_token(key, lambda nonce: feed_token(settings.secret, settings.list_id, key, nonce))
        feed_url = f"{settings.feeds_url}{token}.xml" if token else None
        return {
            "beginning": beginning,
            "feed_url": feed_url,
            "apple_url": "podcast://" + feed_url.split("://", 1)[1] if feed_url else None,
            "feed_all": subscriber is None or subscriber.feed_scope != PACE or not beginning,
        }

    # -- helpers ---------------------------------------------------------------------------------

    def _shown_address(self, key: str) -> str:
        found = self.mailing.recipient(key)
        return found.email if found else key

    def _limited(self, start_response) -> list[bytes]:
        retry = int(self.settings.limits.client_window)
        return self._page(
            start_response, HTTPStatus.TOO_MANY_REQUESTS, "rate_limited", retry_after=str(retry),
            minutes=max(1, retry // 60),
        )  # fmt: skip

    def _client(self, environ: dict) -> str:
        header = self.settings.client_ip_header
        if header:
            forwarded = environ.get("HTTP_" + header.upper().replace("-", "_"), "")
            if forwarded.strip():
                return forwarded.split(",")[-1].strip()[:100]  # the entry our own proxy appended
        return environ.get("REMOTE_ADDR", "")

    def _values(self) -> dict[str, Any]:
        settings = self.settings
        return {"title": settings.title, "language": settings.language, "site_url": settings.site_url}

    def _page(self, start_response, status: HTTPStatus, name: str, **values: Any) -> list[bytes]:
        allow, retry_after = values.pop("allow", None), values.get("retry_after")
        body = self.templates.page(name, {**self._values(), **values, "status": status.value}).encode()
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
        headers += [(key, value) for key, value in (("Allow", allow), ("Retry-After", retry_after)) if value]
        start_response(f"{status.value} {status.phrase}", headers + SECURITY_HEADERS)
        return [body]

    def _plain(self, start_response, status: HTTPStatus, text: str, **extra: str) -> list[bytes]:
        body = text.encode()
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
        headers += [(name.replace("_", "-").title(), value) for name, value in extra.items()]
        start_response(f"{status.value} {status.phrase}", headers + SECURITY_HEADERS)
        return [body]


def _body(environ: dict, limit: int) -> bytes | None:
    """The request body, or None when it is larger than `limit`."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return None
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _form(environ: dict) -> dict[str, str] | None:
    """The POSTed form's first value per field; None when the body is too large to be a form of ours."""
    body = _body(environ, MAX_BODY)
    if body is None:
        return None
    if "multipart/" in environ.get("CONTENT_TYPE", ""):
        return {}  # RFC 8058 allows a multipart one-click POST; its body carries nothing we need
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {key: values[0] for key, values in fields.items()}


def _choice(value: str | None, allowed: tuple[str, ...], default: str) -> str:
    """A form's choice among `allowed`, else `default` (a field left out, or a value no form of ours sends)."""
    return value if value is not None and value in allowed else default


def _etags(header: str) -> set[str]:
    """The entity tags of an If-None-Match header (weak ones compare by their value)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _self_link(token: str) -> str:
    """The form action that posts back to the same path with the same token."""
    return f"?token={quote(token, safe='')}"


class SmtpMailer:
    """Hands messages to the SMTP server `newsletter send` uses (the same settings and credentials), over one
    connection per round of the mail worker (`close` ends it)."""

    def __init__(self, settings: Any, sender: Address) -> None:
        from backpub_mailinglist.sending import Connection

        self.settings = settings
        self.sender = sender.addr_spec
        self.connection = Connection(settings)

    def __call__(self, recipient: str, data: bytes) -> None:
        from backpub_mailinglist.sending import NotSent, Outgoing, transmit

        item = Outgoing(key=recipient.lower(), label=recipient, recipient=recipient, message_id="", data=lambda: data)
        try:
            transmit(self.connection.get(), self.sender, item, lambda: True)
        except NotSent as exc:
            self.connection.drop()
            raise MailError(str(exc)) from None

    def close(self) -> None:
        self.connection.quit()


def make_app(
    content_dir: Path | str = "content",
    smtp_address: str = "",
    starttls: bool = False,
    database: str | None = None,
    client_ip_header: str | None = None,
    *,
    pool_size: int = 4,
    limits: SignUpLimits | None = None,
    service_files: Path | str | None = None,
) -> SubscriptionService:
    """The service for a project: programme.yaml's settings, the secrets and SMTP credentials from the environment,
    the list's database (created when there is none yet), and the build's service folder the private feeds are
    made from (`service_files`, else BACKPUB_SERVICE_FILES, else `outputs/service/` beside the content)."""
    from backpub import SERVICE_FOLDER, Session
    from backpub_mailinglist.project import open_list
    from backpub_mailinglist.send_command import secret_from_environment, smtp_settings

    content_dir = Path(content_dir)
    smtp = smtp_settings(smtp_address, starttls)
    secret = secret_from_environment()
    session = Session(content_dir)
    newsletter = session.formats(["newsletter"])["newsletter"]
    mailing = open_list(content_dir, database, create=True, pool_size=pool_size)
    mailing.check_writable()  # a read-only state folder is one line at start, not a 503 for every visitor
    settings = ServiceSettings.from_format(
        session.publication.programme,
        newsletter,
        session.paths.project_dir / "theme" / "newsletter",
        secret=secret,
        mailing=mailing,
        mailer=SmtpMailer(smtp, newsletter.sender()),
        limits=limits or SignUpLimits(),
        webhook_secret=os.environ.get(WEBHOOK_SECRET_ENV) or None,
        client_ip_header=client_ip_header,
        private_feeds=PrivateFeeds(
            Path(service_files or os.environ.get(SERVICE_FILES_ENV) or session.paths.output_dir / SERVICE_FOLDER)
        ),
    )
    return SubscriptionService(settings)


def app_from_environment() -> SubscriptionService:
    """The WSGI application for any WSGI server, configured from the environment.

    BACKPUB_CONTENT (default `content`), BACKPUB_SMTP (HOST:PORT, required), BACKPUB_SMTP_STARTTLS=1,
    BACKPUB_DATABASE (default `.backpub/state/subscribers.sqlite`), BACKPUB_CLIENT_IP_HEADER, BACKPUB_SERVICE_FILES
    (default `outputs/service` beside the content), plus
    BACKPUB_UNSUBSCRIBE_SECRET, BACKPUB_WEBHOOK_SECRET and the optional BACKPUB_SMTP_USER / BACKPUB_SMTP_PASSWORD.
    """
    smtp = os.environ.get("BACKPUB_SMTP", "")
    if not smtp:
        raise ConfigError("set BACKPUB_SMTP to the SMTP server (HOST:PORT) that sends the confirmation mails")
    return make_app(
        os.environ.get("BACKPUB_CONTENT", "content"),
        smtp,
        os.environ.get("BACKPUB_SMTP_STARTTLS", "") in {"1", "true", "yes"},
        os.environ.get("BACKPUB_DATABASE") or None,
        os.environ.get("BACKPUB_CLIENT_IP_HEADER") or None,
    )
