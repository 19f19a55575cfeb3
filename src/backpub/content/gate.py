"""What may be published on a given day: review records, placeholders and overdue reviews.

Loading finds, once, every fact that decides whether an entity may go live (no review record, a placeholder
left by `backpub new`, the date its review falls due), each located in its file. Whether it is a problem
depends on the day: an episode released next month may still be a draft today. `problems_on(day)` says what
a build for that day meets:

- a build for today (`publishing`) refuses to publish an entity without a review record or with placeholders,
  whatever the flags, and an overdue one when programme.yaml `refuse_overdue_reviews` asks it to;
- a preview (`--as-of` another day) and `validate` report the same as warnings (`--strict` makes them errors).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from dateutil.relativedelta import relativedelta

from backpub.errors import Problem
from backpub.files.loading import Record

PLACEHOLDER = "TODO"
"""Every placeholder `backpub new` writes contains this word; nothing holding it is ever published."""
_PLACEHOLDER = re.compile(rf"\b{PLACEHOLDER}\b")

Reason = Literal["unreviewed", "placeholder", "overdue"]


@dataclass(frozen=True)
class Pending:
    """A located fact that stops an entity (or the programme settings, `entity` None) from being published."""

    reason: Reason
    problem: Problem
    """The problem as a warning; a build for a day on which the entity is public makes it an error."""
    due: date | None = None
    """For an overdue review: the day the review fell due (it is a problem only after that day)."""


def review_facts(entity_id: str, reviewed: date | None, reviewer: str | None, record: Record, months: int) -> Pending:
    """The review fact of one entity: no record yet (unreviewed), or the day its review falls due."""
    if reviewed is None or not reviewer:
        missing = [name for name, value in (("reviewed", reviewed), ("reviewer", reviewer)) if not value]
        line, col = record.mark((missing[0],), key=True) if missing[0] in record.data else (2, 1)
        message = (
            f"no review record: {' and '.join(missing)} must be written by the clinician who reviewed this text, "
            "before it can be published"
        )
        return Pending("unreviewed", Problem(record.display_path, line, col, "warning", message, entity_id))
    due = reviewed + relativedelta(months=months)  # 31 Jan + 1 month = 28/29 Feb
    message = (
        f"content review is overdue: reviewed {reviewed.isoformat()}, due {due.isoformat()} ({months}-month interval)"
    )
    line, col = record.mark(("reviewed",))
    return Pending("overdue", Problem(record.display_path, line, col, "warning", message, entity_id), due)


def placeholder_facts(record: Record, entity_id: str | None) -> list[Pending]:
    """One fact per field of a file whose text (or comment) still holds a placeholder."""
    return [
        Pending(
            "placeholder",
            Problem(
                record.display_path,
                line,
                col,
                "warning",
                f"{name}: still holds {PLACEHOLDER} text; replace it",
                entity_id,
            ),
        )
        for line, col, name in placeholders(record)
    ]


def problems_on(
    pending: list[Pending],
    day: date,
    *,
    publishing: bool,
    public_from: Callable[[str], date | None],
    refuse_overdue: bool,
) -> list[Problem]:
    """What a build for `day` meets: errors where a build for today would publish what may not go live
    (`publishing`), warnings otherwise, each saying when it stops a build. `public_from(entity_id)` is the first day
    an entity is public (None: never, e.g. a retired episode)."""
    found = []
    for fact in pending:
        if fact.reason == "overdue" and (fact.due is None or fact.due >= day):
            continue
        entity = fact.problem.entity
        first = public_from(entity) if entity is not None else date.min
        refuses = fact.reason != "overdue" or refuse_overdue
        if publishing and refuses and first is not None and first <= day:
            found.append(replace(fact.problem, severity="error", message=_refusal(fact)))
        elif refuses and first is not None:
            found.append(replace(fact.problem, message=fact.problem.message + _when_refused(first, day)))
        else:
            found.append(fact.problem)
    return found


def _when_refused(first: date, day: date) -> str:
    """When this warning stops a build: it is news for whoever has to fix it, and the day is the deadline."""
    if first <= day:
        return " (a build for today refuses to publish it)"
    return f" (it is published on {first.isoformat()}: a build on that day refuses it)"


REFUSED = "not published: "
"""How a refusal starts; the warning's own words follow it."""
_OVERDUE_NOTE = " (programme.yaml refuse_overdue_reviews)"


def _refusal(fact: Pending) -> str:
    return REFUSED + fact.problem.message + (_OVERDUE_NOTE if fact.reason == "overdue" else "")


# -- placeholders ----------------------------------------------------------------------------------------------


def placeholders(record: Record) -> list[tuple[int, int, str]]:
    """(line, col, field) of each field whose text (or comment) still holds a placeholder; one per field."""
    try:
        lines = record.path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    keys = sorted((mark, loc) for loc, mark in record.key_marks.items())
    found: dict[str, tuple[int, int]] = {}
    for number, line in enumerate(lines, start=1):
        match = _PLACEHOLDER.search(line)
        if match is None or (number == 1 and record.body_line > 1):
            continue
        if record.body_line > 1 and number >= record.body_line:
            field = "body"
        else:
            before = [loc for (line_no, _), loc in keys if line_no <= number]
            field = _field_name(before[-1]) if before else "front matter"
        found.setdefault(field, (number, match.start() + 1))
    return [(line, col, field) for field, (line, col) in found.items()]


def _field_name(loc: tuple) -> str:
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.lstrip(".") or "front matter"
