"""Helpers for the mailing list's tests: an SMTP handler that records what it accepts and can be told how to
answer, and subscribers put straight into a list's database."""

from __future__ import annotations

import asyncio
import email
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

SECRET = "test-secret-0123456789abcdef"
ISSUE = "2026-11-22"
AS_OF = "2026-11-25"


class LoopbackController(Controller):
    """aiosmtpd's threaded server on a loopback port the kernel picks when it binds (port 0), read back before
    `start()` connects to it: no probe for a free port that another process could take in between."""

    def __init__(self, handler: object, **options: object) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=0, **options)

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self._bind()

    async def _bind(self) -> asyncio.AbstractServer:
        server = await super()._create_server()
        self.port = server.sockets[0].getsockname()[1]
        return server

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass
class Received:
    """One accepted message."""

    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)


@dataclass
class Recorder:
    """The server's handler: records accepted messages; `decide` may answer differently per message."""

    received: list[Received] = field(default_factory=list)
    decide: Callable[[str, int], str | None] = lambda recipient, attempt: None
    reject_rcpt: set[str] = field(default_factory=set)
    after_accept: Callable[[int], None] = lambda count: None
    hang_up_after: set[str] = field(default_factory=set)
    """Recipients whose message is accepted but whose 250 never reaches the client (the connection drops)."""
    attempts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        """Block until `count` messages were accepted (a background sender's), then all of them."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(f"{len(self.received)} of {count} messages arrived within {timeout} s")
            return list(self.received)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject_rcpt:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        recipient = envelope.rcpt_tos[0]
        with self.lock:
            self.attempts[recipient] = self.attempts.get(recipient, 0) + 1
            answer = self.decide(recipient, self.attempts[recipient])
            if answer is not None:
                return answer
            self.received.append(Received(list(envelope.rcpt_tos), bytes(envelope.original_content)))
            count = len(self.received)
            self.arrived.notify_all()
        self.after_accept(count)
        if recipient in self.hang_up_after:
            self.hang_up_after.discard(recipient)
            server.transport.close()
        return "250 2.0.0 Accepted"

    def by_recipient(self) -> dict[str, list[Received]]:
        grouped: dict[str, list[Received]] = {}
        for item in self.received:
            for rcpt in item.rcpt_tos:
                grouped.setdefault(rcpt, []).append(item)
        return grouped


def refuse_everyone(server, session, envelope, mechanism, auth_data) -> AuthResult:
    """An authenticator that refuses every login."""
    return AuthResult(success=False, handled=False)


def add_subscribers(database: str, count: int, *, start: int = 0) -> list[str]:
    """`count` confirmed subscribers in the list's database (created if need be); returns their addresses."""
    from backpub_mailinglist.database import open_database
    from backpub_mailinglist.store import MailingList, Member

    addresses = [f"reader{index:03d}@example.net" for index in range(start, start + count)]
    mailing = MailingList(open_database(database, create=True))
    mailing.import_members(Member(address, f"Reader {index}") for index, address in enumerate(addresses, start))
    mailing.db.close()
    return addresses


def send_args(database: str, address: str, *extra: str) -> list[str]:
    """The arguments of `backpub newsletter send` for the test issue."""
    return [
        "newsletter", "send", "--issue", ISSUE, "--database", database, "--smtp", address,
        "--as-of", AS_OF, "--retry-delay", "0.01", *extra,
    ]  # fmt: skip
