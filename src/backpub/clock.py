"""The one clock every command reads: "today" is always today in the programme's timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def now() -> datetime:
    """The current time (UTC). Tests freeze the whole program's clock by replacing this one function."""
    return datetime.now(UTC)


def zone(timezone: str) -> ZoneInfo:
    """The IANA zone of that name, or UTC for an unknown one (validation reports unknown zones)."""
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def today_in(timezone: str, moment: datetime | None = None) -> date:
    """Today's date in a timezone (`moment`: any aware time instead of now)."""
    return (moment or now()).astimezone(zone(timezone)).date()


SUNDAY = 6
"""Episodes go out on Sundays (`date.weekday()`)."""


def sundays_after(day: date, count: int) -> list[date]:
    """The `count` Sundays after `day` (not `day` itself)."""
    first = day + timedelta(days=(SUNDAY - day.weekday()) % 7 or 7)
    return [first + timedelta(weeks=week) for week in range(count)]
