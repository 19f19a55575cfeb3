"""SMTP for the list: one transaction per message over a connection that is reopened when it drops.

`transmit` runs MAIL FROM, RCPT TO and DATA, then asks its caller for permission before the message's final bytes
leave (the send claims the delivery in its ledger there; a refusal drops the connection, so the server discards
the unfinished message). Errors are sorted by what they mean for a retry: TransientError (4xx, a dropped
connection before the message was complete: not delivered), PermanentError (5xx), UncertainError (the message
was complete but the answer never came) and ServerUnavailable (the run must stop).
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from backpub import ConfigError

if TYPE_CHECKING:
    from backpub_mailinglist.ledger import EpisodeKey

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


class NotSent(Exception):
    """A message that did not reach the server for certain, for whichever reason below."""


class TransientError(NotSent):
    """The server said try later (4xx) or the connection dropped before the message was complete."""


class PermanentError(NotSent):
    """The server refused the message for good (5xx)."""


class UncertainError(NotSent):
    """The message was complete but the server's answer never came: it may or may not have been accepted."""


class ServerUnavailable(NotSent):
    """The SMTP server cannot be reached (or refused the login): the run stops."""


class NotClaimed(NotSent):
    """The caller withheld the final bytes (the message must not go): the connection is dropped."""


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
    episode: EpisodeKey | None = None
    """The episode whose issue it is (the send ledger's key, with the address); None for the service's own mails."""


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
            # Each message ends in a small last segment right after a large one: without this, Nagle's algorithm
            # holds it until the server's delayed ACK (40 ms per message).
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
        error = exc.smtp_error
        return f"{exc.smtp_code} {error.decode(errors='replace') if isinstance(error, bytes) else error}"
    return str(exc) or type(exc).__name__


def _check_reply(step: str, code: int, reply: bytes, accepted: Iterable[int]) -> None:
    if code in accepted:
        return
    text = f"{step}: {code} {reply.decode(errors='replace')}".strip()
    if 400 <= code < 500 or code == -1:
        raise TransientError(text)
    raise PermanentError(text)


def transmit(smtp: smtplib.SMTP, sender: str, item: Outgoing, before_last_byte: Callable[[], bool]) -> None:
    """One SMTP transaction; `before_last_byte` runs after the server agreed to take the data and says whether
    the message may go (False raises NotClaimed with the message unfinished: drop the connection)."""
    try:
        _check_reply("MAIL FROM", *smtp.mail(sender), accepted=(250,))
        _check_reply("RCPT TO", *smtp.rcpt(item.recipient), accepted=(250, 251))
        _check_reply("DATA", *smtp.docmd("DATA"), accepted=(354,))
    except (OSError, smtplib.SMTPServerDisconnected) as exc:
        raise TransientError(f"connection lost: {_reason(exc)}") from None
    payload = _dot_stuffed(item.data())
    if not before_last_byte():
        raise NotClaimed(item.label)
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
