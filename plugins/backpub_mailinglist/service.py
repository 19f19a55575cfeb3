"""The subscription service: a standard-library WSGI application for signing up, confirming and unsubscribing.

It answers three paths, taken from programme.yaml's `newsletter` settings: the sign-up form's action
(`signup_form_action`), a `confirm` path beside it, and `unsubscribe_url`. Pages and the confirmation email come
from Jinja2 templates (`templates/service/`, overridable in `theme/newsletter/service/`); no page needs JavaScript.

- Sign-up (POST only): double opt-in. The address gets a signed link that expires; only confirming it subscribes.
  A filled honeypot field, an address that is already subscribed, or one that already had its share of
  confirmation mails gets the same "check your inbox" page and no mail (nothing tells a stranger who is on the
  list). Too many sign-ups from one client get 429.
- Confirm and unsubscribe: a GET shows a page with a button and changes nothing (mail scanners follow links);
  a POST does it. The unsubscribe POST is RFC 8058's one-click (`List-Unsubscribe=One-Click`), answered 200.
  A bad, tampered or expired token gets 400 and a page that says no more than that the link does not work.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.headerregistry import Address
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urljoin, urlsplit

from backpub import messages
from backpub_mailinglist.confirmation import confirmation_message, confirmation_token, verify_confirmation
from backpub_mailinglist.store import SUBSCRIBED, SubscriberStore
from backpub_mailinglist.subscribers import ADDRESS
from backpub_mailinglist.tokens import verify_token

HONEYPOT_FIELD = "website"
"""The sign-up form's trap: visually hidden in the site's form, so only a bot fills it in."""
EMAIL_FIELD = "email"
NAME_FIELD = "name"
MAX_BODY = 8192
PACKAGE = Path(__file__).resolve().parent
MAX_ADDRESS = 254
SECURITY_HEADERS = [
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none';"
     " frame-ancestors 'none'"),
    ("Referrer-Policy", "no-referrer"),  # the URLs carry tokens
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
]  # fmt: skip

Mailer = Callable[[str, bytes], None]
"""Delivers one message (recipient, bytes); raises MailError when it could not."""


class MailError(Exception):
    """The confirmation email could not be handed to the SMTP server."""


@dataclass(frozen=True)
class Limits:
    """How much one address and one client may ask for."""

    mails_per_address: int = 3
    """Confirmation mails to one address per `address_window` (against mail-bombing someone else's inbox)."""
    address_window: float = 24 * 3600
    signups_per_client: int = 30
    """Sign-up posts from one client address per `client_window` (a clinic's reception shares one address)."""
    client_window: float = 3600
    confirm_days: int = 7
    """How long a confirmation link works."""


@dataclass(frozen=True)
class ServiceSettings:
    """Everything the service needs; `from_publication` fills it from programme.yaml."""

    list_id: str
    title: str
    language: str
    site_url: str
    subscribe_url: str | None
    confirm_url: str
    unsubscribe_url: str
    sender: Address
    secret: str
    store: SubscriberStore
    mailer: Mailer
    templates: list[Path]
    limits: Limits = field(default_factory=Limits)
    client_ip_header: str | None = None
    """A header your HTTPS proxy sets to the client's address (e.g. X-Forwarded-For); its last entry is used."""
    locales: list[Path] = field(default_factory=list)
    """The message catalogues of the pages and the confirmation mail, lowest priority first (the newsletter's own,
    then the project's theme/locale/ and theme/newsletter/locale/); the core's always come first."""

    @classmethod
    def from_publication(cls, publication, newsletter, theme_dir: Path, **rest: Any) -> ServiceSettings:
        """The settings from the programme and the newsletter format's options (programme.yaml)."""
        from backpub_newsletter.message import sender_address

        programme = publication.programme
        base = newsletter.signup_form_action or newsletter.unsubscribe_url
        return cls(
            list_id=newsletter.list_id,
            title=programme.title,
            language=programme.language,
            site_url=str(programme.site_url),
            subscribe_url=newsletter.signup_form_action,
            confirm_url=urljoin(base, "confirm"),
            unsubscribe_url=newsletter.unsubscribe_url,
            sender=sender_address(newsletter),
            templates=template_search_path(theme_dir),
            locales=[PACKAGE / "locale", theme_dir.parent / "locale", theme_dir / "locale"],
            **rest,
        )


def template_search_path(theme_dir: Path) -> list[Path]:
    """A project's `theme/newsletter/` first (it may override any page or mail), then the list's own templates."""
    return [theme_dir, PACKAGE / "templates"]


class SubscriptionService:
    """The WSGI application."""

    def __init__(self, settings: ServiceSettings) -> None:
        import jinja2

        self.settings = settings
        self.store = settings.store
        loader = jinja2.FileSystemLoader([str(path) for path in settings.templates])
        self.pages = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)
        self.text = jinja2.Environment(
            loader=loader, autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
        )
        words = messages(settings.language, settings.locales)
        words.install(self.pages)
        words.install(self.text)
        routes = {settings.confirm_url: self.confirm, settings.unsubscribe_url: self.unsubscribe}
        if settings.subscribe_url:
            routes[settings.subscribe_url] = self.subscribe
        self.routes = {urlsplit(url).path: handler for url, handler in routes.items()}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        handler = self.routes.get(path)
        if handler is None:
            return self._page(start_response, HTTPStatus.NOT_FOUND, "not_found")
        method = environ.get("REQUEST_METHOD", "GET")
        allowed = ("POST",) if handler == self.subscribe else ("GET", "POST")
        if method not in allowed:
            return self._page(start_response, HTTPStatus.METHOD_NOT_ALLOWED, "bad_request", allow=", ".join(allowed))
        form = _form(environ) if method == "POST" else {}
        if form is None:
            return self._page(start_response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "bad_request")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        token = (query.get("token") or [""])[0]
        return handler(start_response, method, form, token, environ)

    # -- the three endpoints ---------------------------------------------------------------------

    def subscribe(self, start_response, method: str, form: dict, token: str, environ: dict) -> Iterable[bytes]:
        limits = self.settings.limits
        if not self.store.allow("client", self._client(environ), limits.signups_per_client, limits.client_window):
            retry = int(limits.client_window)
            return self._page(
                start_response, HTTPStatus.TOO_MANY_REQUESTS, "rate_limited", retry_after=str(retry),
                minutes=max(1, retry // 60),
            )  # fmt: skip
        email = form.get(EMAIL_FIELD, "").strip()
        if form.get(HONEYPOT_FIELD, ""):
            return self._page(start_response, HTTPStatus.OK, "check_inbox", address=email)  # a bot: say nothing
        if len(email) > MAX_ADDRESS or not ADDRESS.match(email):
            return self._page(start_response, HTTPStatus.BAD_REQUEST, "invalid_address", address=email)
        if self.store.status(email) != SUBSCRIBED and self.store.allow(
            "address", email.lower(), limits.mails_per_address, limits.address_window
        ):
            self.store.request(email, " ".join(form.get(NAME_FIELD, "").split())[:200])
            try:
                self._send_confirmation(email)
            except MailError:
                return self._page(start_response, HTTPStatus.SERVICE_UNAVAILABLE, "try_later")
        return self._page(start_response, HTTPStatus.OK, "check_inbox", address=email)

    def confirm(self, start_response, method: str, form: dict, token: str, environ: dict) -> Iterable[bytes]:
        settings = self.settings
        address = verify_confirmation(settings.secret, settings.list_id, token, self.store.clock())
        if address is None:
            return self._page(start_response, HTTPStatus.BAD_REQUEST, "bad_link")
        if method == "GET":
            return self._page(start_response, HTTPStatus.OK, "confirm", action=_self_link(token), address=address)
        self.store.confirm(address)
        return self._page(start_response, HTTPStatus.OK, "confirmed", address=address)

    def unsubscribe(self, start_response, method: str, form: dict, token: str, environ: dict) -> Iterable[bytes]:
        address = verify_token(self.settings.secret, self.settings.list_id, token) if token else None
        if address is None:
            return self._page(start_response, HTTPStatus.BAD_REQUEST, "bad_link")
        if method == "GET":
            return self._page(start_response, HTTPStatus.OK, "unsubscribe", action=_self_link(token), address=address)
        # RFC 8058: the POST itself unsubscribes, whatever its body; no cookie, no second step.
        self.store.unsubscribe(address)
        return self._page(start_response, HTTPStatus.OK, "unsubscribed", address=address)

    # -- helpers ---------------------------------------------------------------------------------

    def _send_confirmation(self, email: str) -> None:
        settings = self.settings
        now = self.store.clock()
        expires = int(now) + settings.limits.confirm_days * 24 * 3600
        token = confirmation_token(settings.secret, settings.list_id, email, expires)
        values = {**self._values(), "address": email, "url": _link(settings.confirm_url, token),
                  "days": settings.limits.confirm_days}  # fmt: skip
        subject = self.text.get_template("service/confirm_subject.txt.j2").render(values).strip()
        text = self.text.get_template("service/confirm_email.txt.j2").render(values)
        data = confirmation_message(settings.sender, email, subject, text, settings.language, now)
        settings.mailer(email, data)

    def _client(self, environ: dict) -> str:
        header = self.settings.client_ip_header
        if header:
            forwarded = environ.get("HTTP_" + header.upper().replace("-", "_"), "")
            if forwarded.strip():
                return forwarded.split(",")[-1].strip()  # the entry our own proxy appended
        return environ.get("REMOTE_ADDR", "")

    def _values(self) -> dict[str, Any]:
        settings = self.settings
        return {"title": settings.title, "language": settings.language, "site_url": settings.site_url}

    def _page(self, start_response, status: HTTPStatus, name: str, **values: Any) -> list[bytes]:
        allow, retry_after = values.pop("allow", None), values.get("retry_after")
        template = self.pages.get_template(f"service/{name}.html.j2")
        body = template.render({**self._values(), **values, "status": status.value}).encode()
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
        headers += [(key, value) for key, value in (("Allow", allow), ("Retry-After", retry_after)) if value]
        start_response(f"{status.value} {status.phrase}", headers + SECURITY_HEADERS)
        return [body]


def _form(environ: dict) -> dict[str, str] | None:
    """The POSTed form's first value per field; None when the body is too large to be a form of ours."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return None
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    if "multipart/" in environ.get("CONTENT_TYPE", ""):
        return {}  # RFC 8058 allows a multipart one-click POST; its body carries nothing we need
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {key: values[0] for key, values in fields.items()}


def _link(base: str, token: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}token={quote(token, safe='')}"


def _self_link(token: str) -> str:
    """The form action that posts back to the same path with the same token."""
    return f"?token={quote(token, safe='')}"


class SmtpMailer:
    """Hands one message to the SMTP server `newsletter send` uses (the same settings and credentials)."""

    def __init__(self, settings, sender: Address) -> None:
        self.settings = settings
        self.sender = sender.addr_spec

    def __call__(self, recipient: str, data: bytes) -> None:
        from backpub_mailinglist.sending import (
            Connection,
            Outgoing,
            PermanentError,
            ServerUnavailable,
            TransientError,
            UncertainError,
            transmit,
        )

        connection = Connection(self.settings)
        item = Outgoing(key=recipient.lower(), label=recipient, recipient=recipient, message_id="", data=lambda: data)
        try:
            transmit(connection.get(), self.sender, item, lambda: None)
        except (TransientError, PermanentError, UncertainError, ServerUnavailable) as exc:
            raise MailError(str(exc)) from None
        finally:
            connection.quit()


def serve_wsgi(app: Callable, host: str, port: int):
    """A threaded wsgiref server for `app` (one thread per request, so a slow SMTP server blocks nobody else)."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class ThreadingServer(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            # The default log prints each request line, tokens and all; print method, path and status only.
            request = self.requestline.split("?", 1)[0]
            status = args[1] if len(args) > 1 else ""
            print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {request} {status}", file=sys.stderr)

    return make_server(host, port, app, server_class=ThreadingServer, handler_class=QuietHandler)


def make_app(
    content_dir: Path | str = "content",
    smtp_address: str = "",
    starttls: bool = False,
    store_path: Path | None = None,
    client_ip_header: str | None = None,
) -> SubscriptionService:
    """The service for a project: programme.yaml's settings, the secret and SMTP credentials from the environment."""
    from backpub import Session
    from backpub_mailinglist.send_command import secret_from_environment, smtp_settings
    from backpub_mailinglist.store import default_store_path
    from backpub_newsletter.message import sender_address

    content_dir = Path(content_dir)
    smtp = smtp_settings(smtp_address, starttls)
    secret = secret_from_environment()
    session = Session(content_dir)
    newsletter = session.formats(["newsletter"])["newsletter"].options
    theme_dir = session.paths.project_dir / "theme" / "newsletter"
    settings = ServiceSettings.from_publication(
        session.publication,
        newsletter,
        theme_dir,
        secret=secret,
        store=SubscriberStore(store_path or default_store_path(content_dir)),
        mailer=SmtpMailer(smtp, sender_address(newsletter)),
        client_ip_header=client_ip_header,
    )
    return SubscriptionService(settings)


def app_from_environment() -> SubscriptionService:
    """The WSGI application for any WSGI server, configured from the environment.

    BACKPUB_CONTENT (default `content`), BACKPUB_SMTP (HOST:PORT, required), BACKPUB_SMTP_STARTTLS=1,
    BACKPUB_SUBSCRIBER_STORE (default `.backpub/state/subscribers.sqlite`), BACKPUB_CLIENT_IP_HEADER, plus
    BACKPUB_UNSUBSCRIBE_SECRET and the optional BACKPUB_SMTP_USER / BACKPUB_SMTP_PASSWORD.
    """
    import os

    from backpub import ConfigError

    smtp = os.environ.get("BACKPUB_SMTP", "")
    if not smtp:
        raise ConfigError("set BACKPUB_SMTP to the SMTP server (HOST:PORT) that sends the confirmation mails")
    store = os.environ.get("BACKPUB_SUBSCRIBER_STORE")
    return make_app(
        os.environ.get("BACKPUB_CONTENT", "content"),
        smtp,
        os.environ.get("BACKPUB_SMTP_STARTTLS", "") in {"1", "true", "yes"},
        Path(store) if store else None,
        os.environ.get("BACKPUB_CLIENT_IP_HEADER") or None,
    )
