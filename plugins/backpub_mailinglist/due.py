"""Which issue each subscriber is due on a send's day, and their message.

The programme's issues are one per release Sunday, oldest first (the newsletter format's `plans`). On the day `D`
of a send:

- a subscriber who has a row in the ledger for a send on `D` is due that row's episode (the send finishes or
  retries it, and nothing else goes to them that day);
- a subscriber who follows the weekly issue (`position` NULL) is due the current issue: the newest one published
  on or before `D`;
- a subscriber at their own pace is due the first issue whose episode number is at least their `position`; once
  they reach the present that is the current issue, so from then on they follow the weekly one.

The ledger's unique key (address, episode) makes every delivery happen once whatever the day; the row's day makes
a second run for the same day (after a crash, on another machine) send nobody a second episode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from email.headerregistry import Address
from typing import Any, Protocol

from backpub_mailinglist.ledger import Delivery, EpisodeKey
from backpub_mailinglist.sending import Outgoing
from backpub_mailinglist.store import Member


class Plan(Protocol):
    """What the list needs of one issue plan of the newsletter format (`NewsletterFormat.plans`)."""

    @property
    def day(self) -> date: ...

    @property
    def episode(self) -> Any: ...


def episode_key(plan: Plan) -> EpisodeKey:
    """An issue's key in the ledger."""
    return EpisodeKey(plan.episode.guid, plan.episode.number, plan.day.isoformat())


@dataclass(frozen=True)
class Due:
    """One subscriber's issue on the send's day."""

    member: Member
    plan: Plan

    @property
    def back_issue(self) -> bool:
        """Whether the issue was first published before the current one (a subscriber at their own pace)."""
        return self.member.position is not None


class Schedule:
    """The programme's issues up to a send's day, and who is due which."""

    def __init__(self, plans: Sequence[Plan], day: date) -> None:
        self.plans = [plan for plan in plans if plan.day <= day]
        self.day = day
        self.by_guid = {plan.episode.guid: plan for plan in self.plans}

    @property
    def current(self) -> Plan | None:
        """The weekly issue: the newest published on or before the day."""
        return self.plans[-1] if self.plans else None

    def due(self, member: Member, today: Delivery | None) -> Plan | None:
        """The issue `member` is due on the day (`today`: their ledger row from a send on this day, if any)."""
        if today is not None:
            return self.by_guid.get(today.episode)
        if member.position is None:
            return self.current
        return next((plan for plan in self.plans if plan.episode.number >= member.position), None)

    def everyone(self, members: Iterable[Member], today: dict[str, Delivery]) -> tuple[list[Due], int]:
        """Each member's issue, and how many have nothing due (caught up with the programme)."""
        found, idle = [], 0
        for member in members:
            plan = self.due(member, today.get(member.key))
            if plan is None:
                idle += 1
            else:
                found.append(Due(member, plan))
        return found, idle


Edition = Any
"""The newsletter format's `Edition` (the list imports no other plugin): `message(to, url)`, `message_id(key)`."""


class Editions:
    """Each issue rendered once per kind of reader (member or not), made when first needed."""

    def __init__(self, make: Callable[[Plan, bool], Edition]) -> None:
        self._make = make
        self._made: dict[tuple[str, bool], Edition] = {}

    def of(self, plan: Plan, member: bool) -> Edition:
        key = (plan.day.isoformat(), member)
        if key not in self._made:
            self._made[key] = self._make(plan, member)
        return self._made[key]


def outgoing(due: Due, edition: Edition, unsubscribe_url: Callable[[str], str]) -> Outgoing:
    """The subscriber's own message of their issue: their To, their Message-ID, their unsubscribe link."""
    member = due.member
    return Outgoing(
        key=member.key,
        label=member.email,
        recipient=member.email,
        message_id=edition.message_id(member.key),
        data=lambda: edition.message(
            Address(display_name=member.name, addr_spec=member.email), unsubscribe_url(member.key)
        ),
        episode=episode_key(due.plan),
    )
