"""Deliver personalised messages over SMTP, once per subscriber, with retries and a ledger.

The exactly-once window: the ledger says `sending` (committed) before the last byte of DATA leaves; the server's
250 turns it into `sent`. If the process dies in between, the server may or may not have the message. We choose
at-most-once for that window: such a subscriber is reported as uncertain and not sent again unless the operator
asks (`--resend-uncertain`), because a second copy is the failure the newsletter promises never to make.
An error while *sending* DATA is not uncertain (the terminating "." never left whole), so it is retried.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from backpub import ConfigError
from backpub_mailinglist.ledger import FAILED, SENDING, SENT, Ledger

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


class TransientError(Exception):
    """The server said try later (4xx) or the connection dropped before the message was complete."""


class PermanentError(Exception):
    """The server refused the message for good (5xx)."""


class UncertainError(Exception):
    """The message was complete but the server's answer never came: it may or may not have been accepted."""


class ServerUnavailable(Exception):
    """The SMTP server cannot be reached (or refused the login): the run stops."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect; credentials come only from the environment."""

    host: str
    port: int
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0

    def __repr__(self) -> str:  # never show the password, even in a traceback
        return f"SmtpSettings(host={self.host!r}, port={self.port}, starttls={self.starttls}, user={self.user!r})"

    def check(self) -> None:
        """Refuse to send a password over an unencrypted connection to another machine."""
        if self.password and not self.starttls and self.host not in LOOPBACK_HOSTS:
            raise ConfigError("refusing to send SMTP credentials unencrypted: add --starttls")


def parse_smtp(value: str) -> tuple[str, int]:
    """HOST:PORT (or [IPv6]:PORT)."""
    match = re.fullmatch(r"\[(?P<v6>[^\]]+)\]:(?P<port6>\d+)|(?P<host>[^:\s]+):(?P<port>\d+)", value.strip())
    if not match:
        raise ConfigError(f"--smtp {value!r} is not HOST:PORT")
    host = match["v6"] or match["host"]
    port = int(match["port6"] or match["port"])
    if not 0 < port < 65536:
        raise ConfigError(f"--smtp port {port} is out of range")
    return host, port


def parse_rate(value: str | None) -> float | None:
    """N/s or N/m (messages per second or minute) as messages per second."""
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|second|m|min|minute))?\s*", value)
    if not match or float(match[1]) <= 0:
        raise ConfigError(f"--rate {value!r} is not a rate like 10/s or 300/m")
    per_second = float(match[1])
    return per_second / 60 if (match[2] or "s").startswith("m") else per_second


@dataclass
class Outgoing:
    """One subscriber's message, ready for the wire."""

    key: str
    label: str
    recipient: str
    message_id: str
    data: Callable[[], bytes]


@dataclass
class Summary:
    """What a run did."""

    sent: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    stopped: str | None = None


class Connection:
    """One SMTP connection, opened on first use and reopened after it drops."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def get(self) -> smtplib.SMTP:
        if self.smtp is None:
            self.smtp = self._open()
        return self.smtp

    def _open(self) -> smtplib.SMTP:
        settings = self.settings
        try:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            smtp.ehlo()
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.user:
                smtp.login(settings.user, settings.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            # The server's words only: the password is never part of any message.
            raise ServerUnavailable(f"the server refused the login for {settings.user!r} ({exc.smtp_code})") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise ServerUnavailable(f"the server does not support {exc}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(f"cannot connect to {settings.host}:{settings.port}: {_reason(exc)}") from None
        return smtp

    def reset(self) -> None:
        """Forget the current transaction; drop the connection if even that fails."""
        if self.smtp is None:
            return
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.drop()

    def drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None

    def quit(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.smtp.quit()
            self.drop()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
    return str(exc) or type(exc).__name__


def _check_reply(step: str, code: int, reply: bytes, accepted: Iterable[int]) -> None:
    if code in accepted:
        return
    text = f"{step}: {code} {reply.decode(errors='replace')}".strip()
    if 400 <= code < 500 or code == -1:
        raise TransientError(text)
    raise PermanentError(text)


def transmit(smtp: smtplib.SMTP, sender: str, item: Outgoing, before_last_byte: Callable[[], None]) -> None:
    """One SMTP transaction; `before_last_byte` runs after the server agreed to take the data."""
    try:
        _check_reply("MAIL FROM", *smtp.mail(sender), accepted=(250,))
        _check_reply("RCPT TO", *smtp.rcpt(item.recipient), accepted=(250, 251))
        _check_reply("DATA", *smtp.docmd("DATA"), accepted=(354,))
    except (OSError, smtplib.SMTPServerDisconnected) as exc:
        raise TransientError(f"connection lost: {_reason(exc)}") from None
    payload = _dot_stuffed(item.data())
    before_last_byte()
    try:
        smtp.send(payload)
    except (OSError, smtplib.SMTPServerDisconnected) as exc:
        raise TransientError(f"connection lost while sending: {_reason(exc)}") from None
    try:
        code, reply = smtp.getreply()
    except (OSError, smtplib.SMTPServerDisconnected) as exc:
        raise UncertainError(f"no answer after the message was sent: {_reason(exc)}") from None
    _check_reply("end of DATA", code, reply, accepted=(250,))


def _dot_stuffed(data: bytes) -> bytes:
    """RFC 5321 §4.5.2: double a leading dot, end with CRLF.CRLF."""
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


@dataclass
class Sender:
    """Sends each outgoing message once, recording every step in the ledger."""

    connection: Connection
    ledger: Ledger
    sender: str
    rate: float | None = None
    attempts: int = 5
    retry_delay: float = 2.0
    resend_uncertain: bool = False
    should_stop: Callable[[], bool] = lambda: False
    max_consecutive_failures: int = 10
    """Temporary failures in a row (across subscribers) after which the run stops: the server keeps refusing."""
    _last_send: float = 0.0
    _consecutive: int = 0

    def run(self, outgoing: list[Outgoing], advance: Callable[[], None] = lambda: None) -> Summary:
        summary = Summary()
        known = self.ledger.statuses()
        try:
            for item in outgoing:
                if self.should_stop():
                    summary.stopped = "interrupted; run the same command again to send the rest"
                    break
                status = known.get(item.key)
                if status == SENT:
                    summary.skipped += 1
                elif status == SENDING and not self.resend_uncertain:
                    summary.uncertain.append(item.label)
                else:
                    self._deliver(item, summary)
                advance()
        except ServerUnavailable as exc:
            summary.stopped = f"{exc}; run the same command again to send the rest"
        finally:
            self.connection.quit()
        return summary

    def _deliver(self, item: Outgoing, summary: Summary) -> None:
        for attempt in range(1, self.attempts + 1):
            self._pace()
            try:
                transmit(self.connection.get(), self.sender, item, lambda: self._mark_sending(item))
            except TransientError as exc:
                self._after_transient(item, str(exc), attempt, summary)
                if attempt == self.attempts:
                    return
                time.sleep(min(self.retry_delay * 2 ** (attempt - 1), 60.0))
                continue
            except PermanentError as exc:
                self.ledger.mark(item.key, FAILED, str(exc))
                self.connection.reset()
                summary.failed.append((item.label, str(exc)))
                return
            except UncertainError:
                self.connection.drop()
                summary.uncertain.append(item.label)
                return
            self.ledger.mark(item.key, SENT)
            summary.sent += 1
            self._consecutive = 0
            return

    def _mark_sending(self, item: Outgoing) -> None:
        self.ledger.mark_sending(item.key, item.message_id)

    def _after_transient(self, item: Outgoing, reason: str, attempt: int, summary: Summary) -> None:
        # The message did not arrive, so the row (if `sending` was recorded) is corrected to `failed`.
        self.ledger.mark(item.key, FAILED, reason)
        if reason.startswith(("connection lost", "cannot connect")):
            self.connection.drop()
        else:
            self.connection.reset()
        if reason.startswith("cannot connect") and attempt == self.attempts:
            raise ServerUnavailable(reason)
        self._consecutive += 1
        if self._consecutive >= self.max_consecutive_failures:
            raise ServerUnavailable(
                f"the server refused {self._consecutive} deliveries in a row with temporary errors (last: {reason})"
            )
        if attempt == self.attempts:
            summary.failed.append((item.label, f"{reason} (gave up after {attempt} attempts)"))

    def _pace(self) -> None:
        if not self.rate:
            return
        wait = self._last_send + 1 / self.rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_send = time.monotonic()
