"""Read a subscribers CSV for `backpub newsletter import`: one subscriber per row; a bad row is reported by line.

The header needs an `email` column; `name`, `start` (`latest` or `beginning`), `position` (the number of the next
episode due to one who started at the beginning) and `member` (`yes` or `no`: the membership flag, e.g. from a
payment provider's export) are optional, other columns are ignored: `backpub newsletter export` writes them all.
Each address is checked and each name cleaned as the sign-up form's are (`backpub_mailinglist.addresses`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from backpub import ConfigError
from backpub_mailinglist.addresses import InvalidAddress, check_address, clean_name
from backpub_mailinglist.store import BEGINNING, LATEST, STARTS, Member

EMAIL_COLUMN = "email"
NAME_COLUMN = "name"
START_COLUMN = "start"
POSITION_COLUMN = "position"
MEMBER_COLUMN = "member"
YES, NO = ("yes", "true", "1", "y"), ("no", "false", "0", "n", "")


@dataclass(frozen=True)
class RowProblem:
    """A row that was skipped, and why."""

    line: int
    message: str


@dataclass(frozen=True)
class Rows:
    """What a subscribers file holds."""

    members: list[Member]
    problems: list[RowProblem]
    """The rows that were skipped, and why."""
    membership: bool
    """Whether the file says who is a member (it has a `member` column)."""


def read_members(path: Path) -> Rows:
    """The valid rows as members in file order, and the problems of the rows that were skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"subscribers file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read subscribers file {str(path)!r}: {exc}") from None
    reader = csv.reader(text.splitlines(keepends=True))
    header = [name.strip().lower() for name in next(reader, [])]
    if EMAIL_COLUMN not in header:
        shown = clean_name(", ".join(header))
        raise ConfigError(f"{path}:1: the header row needs an {EMAIL_COLUMN!r} column (found: {shown})")
    members: list[Member] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if not any(field.strip() for field in row):
            continue
        member, problem = _member(row, header, start, seen)
        if problem is not None:
            problems.append(problem)
        elif member is not None:
            seen[member.key] = start
            members.append(member)
    return Rows(members, problems, MEMBER_COLUMN in header)


def _member(
    row: list[str], header: list[str], line: int, seen: dict[str, int]
) -> tuple[Member | None, RowProblem | None]:
    if len(row) != len(header):
        missing, extra = header[len(row) :], len(row) - len(header)
        if missing:
            why = f"missing {'column' if len(missing) == 1 else 'columns'} {', '.join(missing)}"
        else:
            why = f"{extra} extra {'field' if extra == 1 else 'fields'}"
        return None, RowProblem(line, f"expected {len(header)} fields, found {len(row)} ({why})")
    values = dict(zip(header, row, strict=True))
    text = values[EMAIL_COLUMN].strip()
    try:
        address = check_address(text)
    except InvalidAddress as exc:
        return None, RowProblem(line, f"{clean_name(text)!r} is not a valid email address ({exc})")
    if address.key in seen:
        return None, RowProblem(line, f"{address.email} is a duplicate of line {seen[address.key]}")
    start = values.get(START_COLUMN, "").strip().lower() or LATEST
    if start not in STARTS:
        return None, RowProblem(line, f"start {clean_name(start)!r} is not one of {', '.join(STARTS)}")
    position_text = values.get(POSITION_COLUMN, "").strip()
    if position_text and (not position_text.isdigit() or int(position_text) < 1):
        return None, RowProblem(line, f"position {clean_name(position_text)!r} is not an episode number")
    flag = values.get(MEMBER_COLUMN, "").strip().lower()
    if flag not in YES + NO:
        return None, RowProblem(line, f"member {clean_name(flag)!r} is not yes or no")
    name = clean_name(values.get(NAME_COLUMN, ""))
    position = int(position_text) if position_text and start == BEGINNING else None
    return Member(address.email, name, start, position, flag in YES), None
