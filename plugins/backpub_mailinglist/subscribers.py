"""Read the subscribers CSV: one subscriber per row; a malformed row is reported by line and skipped."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from email.headerregistry import Address
from pathlib import Path

from backpub import ConfigError

EMAIL_COLUMN = "email"
NAME_COLUMN = "name"
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDRESS = re.compile(rf"^{_LOCAL}@{_LABEL}(?:\.{_LABEL})+$")
"""An ASCII address with a dotted domain: what plain SMTP (without SMTPUTF8) can deliver."""


@dataclass(frozen=True)
class Subscriber:
    """A valid subscriber row."""

    line: int
    address: Address

    @property
    def key(self) -> str:
        """The subscriber's identity in the ledger (addresses compare case-insensitively)."""
        return self.address.addr_spec.lower()

    @property
    def label(self) -> str:
        """How reports name the subscriber: by CSV line, or by address alone when from the subscriber list."""
        return f"line {self.line} {self.address.addr_spec}" if self.line else self.address.addr_spec


@dataclass(frozen=True)
class RowProblem:
    """A row that was skipped, and why."""

    line: int
    message: str


def read_subscribers(path: Path) -> tuple[list[Subscriber], list[RowProblem]]:
    """The valid subscribers in file order, and the problems of the rows that were skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"subscribers file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read subscribers file {str(path)!r}: {exc}") from None
    reader = csv.reader(text.splitlines(keepends=True))
    header = [name.strip().lower() for name in next(reader, [])]
    if EMAIL_COLUMN not in header:
        raise ConfigError(f"{path}:1: the header row needs an {EMAIL_COLUMN!r} column (found: {', '.join(header)})")
    subscribers: list[Subscriber] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if not any(field.strip() for field in row):
            continue
        subscriber, problem = _subscriber(row, header, start, seen)
        if problem is not None:
            problems.append(problem)
        elif subscriber is not None:
            seen[subscriber.key] = start
            subscribers.append(subscriber)
    return subscribers, problems


def _subscriber(
    row: list[str], header: list[str], line: int, seen: dict[str, int]
) -> tuple[Subscriber | None, RowProblem | None]:
    if len(row) != len(header):
        missing, extra = header[len(row) :], len(row) - len(header)
        if missing:
            why = f"missing {'column' if len(missing) == 1 else 'columns'} {', '.join(missing)}"
        else:
            why = f"{extra} extra {'field' if extra == 1 else 'fields'}"
        return None, RowProblem(line, f"expected {len(header)} fields, found {len(row)} ({why})")
    values = dict(zip(header, row, strict=True))
    addr = values[EMAIL_COLUMN].strip()
    if not addr:
        return None, RowProblem(line, "no email address")
    if not ADDRESS.match(addr):
        return None, RowProblem(line, f"{addr!r} is not a valid email address")
    if addr.lower() in seen:
        return None, RowProblem(line, f"{addr} is a duplicate of line {seen[addr.lower()]}")
    name = " ".join(values.get(NAME_COLUMN, "").split())
    return Subscriber(line, Address(display_name=name, addr_spec=addr)), None


def subscribers_from(members) -> list[Subscriber]:
    """The subscriber list's members (line 0: they come from no file)."""
    return [Subscriber(0, Address(display_name=member.name, addr_spec=member.email)) for member in members]
