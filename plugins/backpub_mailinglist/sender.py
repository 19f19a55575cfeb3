"""Send each recipient the issue due to them, once: claim each delivery in the ledger, hand it over, record the answer.

The exactly-once window: the ledger says `claimed` (committed) before the last byte of DATA leaves; the server's
250 turns it into `sent`. If the process dies in between, the server may or may not have the message. We choose
at-most-once for that window: such a subscriber is reported as uncertain and not sent again unless the operator
asks (`--resend-uncertain`), because a second copy is the failure the newsletter promises never to make.
An error while *sending* DATA is not uncertain (the terminating "." never left whole), so it is retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from backpub_mailinglist.ledger import SENT, UNCERTAIN, EpisodeKey, Ledger
from backpub_mailinglist.sending import (
    Connection,
    NotClaimed,
    Outgoing,
    PermanentError,
    ServerUnavailable,
    TransientError,
    UncertainError,
    transmit,
)


@dataclass
class Summary:
    """What a run did."""

    sent: int = 0
    skipped: int = 0
    withheld: int = 0
    """Unsubscribed, suppressed or claimed by another run while this one was sending."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    stopped: str | None = None


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
        known = self.ledger.statuses(item.episode.guid for item in outgoing if item.episode is not None)
        try:
            for item in outgoing:
                if self.should_stop():
                    summary.stopped = "interrupted; run the same command again to send the rest"
                    break
                status = known.get((item.key, item.episode.guid)) if item.episode is not None else None
                if status == SENT:
                    summary.skipped += 1
                elif status == UNCERTAIN and not self.resend_uncertain:
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
                transmit(self.connection.get(), self.sender, item, lambda: self._claim(item))
            except NotClaimed:
                self.connection.drop()  # the server discards the unfinished message
                summary.withheld += 1
                return
            except TransientError as exc:
                self._after_transient(item, str(exc), attempt, summary)
                if attempt == self.attempts:
                    return
                time.sleep(min(self.retry_delay * 2 ** (attempt - 1), 60.0))
                continue
            except PermanentError as exc:
                self.ledger.fail(item.key, _episode(item), item.message_id, str(exc))
                self.connection.reset()
                summary.failed.append((item.label, str(exc)))
                return
            except UncertainError as exc:
                self.ledger.mark(item.key, _episode(item), UNCERTAIN, str(exc))
                self.connection.drop()
                summary.uncertain.append(item.label)
                return
            self.ledger.mark(item.key, _episode(item), SENT)
            summary.sent += 1
            self._consecutive = 0
            return

    def _claim(self, item: Outgoing) -> bool:
        return self.ledger.claim(item.key, _episode(item), item.message_id, again_uncertain=self.resend_uncertain)

    def _after_transient(self, item: Outgoing, reason: str, attempt: int, summary: Summary) -> None:
        # The message did not arrive, so a claimed row is corrected to `failed` (the next attempt claims it again).
        self.ledger.fail(item.key, _episode(item), item.message_id, reason)
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


def _episode(item: Outgoing) -> EpisodeKey:
    """The episode an issue's message carries (every message the sender sends has one)."""
    if item.episode is None:
        raise ValueError(f"the message to {item.label} names no episode")
    return item.episode
