"""The service's mail worker: a background thread that sends the queued confirmation and welcome mails.

A request never talks to the SMTP server: it queues a row in the database's outbox and wakes the worker, so the
answer (and its timing) is the same whatever the list holds and whether or not the mail server is up. The worker
claims due rows for a lease (a worker in another process of the same service skips them; a worker that dies
holding one gives it back when the lease ends), renders each mail when it sends it (so a confirmation link is
bound to the address's current request, and a mail nobody needs any more is dropped), and retries a failed
delivery with growing delays. After the last attempt the row is `failed`: it no longer counts against the
address's allowance, so the person can simply ask again.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from backpub_mailinglist.database import DatabaseError
from backpub_mailinglist.store import Mail, MailingList, Recipient

Mailer = Callable[[str, bytes], None]
"""Delivers one message (recipient, bytes); raises MailError when it could not."""
Render = Callable[[Mail, Recipient], "bytes | None"]
"""The mail's bytes, or None when it is no longer wanted (confirmed meanwhile, unsubscribed, suppressed)."""


PRUNE_EVERY = 3600.0
KEEP_DONE = 7 * 24 * 3600.0
"""How long the queue keeps mails that are done (sent, dropped, given up): longer than any allowance looks back."""


class MailError(Exception):
    """The mail could not be handed to the SMTP server."""


@dataclass(frozen=True)
class RetryPolicy:
    delays: tuple[float, ...] = (10, 60, 300, 900, 3600)
    """Seconds before each retry; one attempt more than there are delays."""
    lease: float = 300
    """How long a worker may hold a mail it is sending before another may take it."""
    batch: int = 20
    idle: float = 30
    """The longest the worker sleeps when nothing is due (it wakes at once when a request queues a mail)."""


class MailWorker:
    """Sends due mail in a daemon thread; `run_once` does one round in the caller's thread (tests use it)."""

    def __init__(self, mailing: MailingList, render: Render, mailer: Mailer, policy: RetryPolicy | None = None) -> None:
        self.mailing = mailing
        self.render = render
        self.mailer = mailer
        self.policy = policy or RetryPolicy()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the thread (once per process: a WSGI server that forks workers starts one in each)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="backpub-mail-worker", daemon=True)
                self._thread.start()

    def notify(self) -> None:
        """Something was queued: look now."""
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> int:
        """Send every mail that is due now; how many were handled."""
        handled = 0
        while not self._stopping.is_set():
            batch = self.mailing.due_mail(self.policy.batch, self.policy.lease)
            if not batch:
                return handled
            try:
                self.mailing.mails_done([self._handle(mail) for mail in batch])
            finally:
                getattr(self.mailer, "close", lambda: None)()  # a mailer that keeps a connection ends it
            handled += len(batch)
        return handled

    def _loop(self) -> None:
        pruned = 0.0
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.run_once()
                if self.mailing.clock() - pruned > PRUNE_EVERY:
                    pruned = self.mailing.clock()
                    self.mailing.prune_outbox(KEEP_DONE)
                wait = self._until_next()
            except DatabaseError as exc:
                log(f"mail worker: {exc}")
                wait = self.policy.idle
            except Exception as exc:  # a template or a mail that cannot be built must not stop every later mail
                log(f"mail worker: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
                wait = self.policy.idle
            self._wake.wait(wait)

    def _until_next(self) -> float:
        due = self.mailing.next_due()
        if due is None:
            return self.policy.idle
        return min(self.policy.idle, max(0.0, due - self.mailing.clock()))

    def _handle(self, mail: Mail) -> tuple[Mail, str, str | None, float | None]:
        """Send one mail; its outcome, recorded with the round's others in one transaction."""
        recipient = self.mailing.recipient(mail.address)
        data = self.render(mail, recipient) if recipient is not None else None
        if recipient is None or data is None:
            return mail, "dropped", None, None
        try:
            self.mailer(recipient.email, data)
        except MailError as exc:
            return self._retry(mail, str(exc))
        return mail, "sent", None, None

    def _retry(self, mail: Mail, reason: str) -> tuple[Mail, str, str | None, float | None]:
        delays = self.policy.delays
        if mail.attempts > len(delays):
            log(f"mail worker: gave up on a {mail.kind} mail after {mail.attempts} attempts: {reason}")
            return mail, "failed", reason, None
        return mail, "queued", reason, self.mailing.clock() + delays[mail.attempts - 1]


def log(line: str) -> None:
    """One line on standard error (the service's log): never an address's token, never a traceback."""
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}", file=sys.stderr, flush=True)
