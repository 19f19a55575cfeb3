"""The GUID continuity ledger, content/feed.lock: every episode ever published, committed with the content.

outputs/ does not survive between CI runs, so what subscribers have already seen is recorded here. A build
checks the content against it (a published episode may not vanish or change its GUID or enclosure URL unless it
is retired) and, after a successful build for today, appends the newly released episodes. A build for another
date (`--as-of`) is a preview and records nothing. Existing entries are never rewritten.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from backpub import BuildContext, Problem, Publication, atomic_write

LEDGER_NAME = "feed.lock"
LEDGER_VERSION = 1
NOTE = (
    "Episodes published in the podcast feed. backpub appends newly released episodes after each build and never "
    "changes an entry: commit this file with the content."
)


def ledger_path(context: BuildContext) -> Path:
    """The ledger's file: content/feed.lock."""
    return context.content_dir / LEDGER_NAME


def ledger_shown(publication: Publication) -> str:
    """The ledger's path as messages show it (beside programme.yaml)."""
    return str(PurePosixPath(publication.programme_path).with_name(LEDGER_NAME))


class LedgerError(Exception):
    """The ledger file cannot be read; the message says why."""


@dataclass(frozen=True)
class Published:
    """One published episode as subscribers' apps know it."""

    id: str
    guid: str
    enclosure_url: str
    first_published: str

    @property
    def first_published_date(self) -> date:
        return date.fromisoformat(self.first_published)


def read_ledger(path: Path) -> list[Published]:
    """The ledger's entries; a missing file means nothing has been published yet."""
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LedgerError(f"cannot read {path.name}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("episodes"), list):
        raise LedgerError(f"{path.name} must be a JSON object with an 'episodes' list")
    entries = []
    for index, item in enumerate(data["episodes"]):
        try:
            entry = Published(**{key: str(item[key]) for key in Published.__dataclass_fields__})
            entry.first_published_date  # noqa: B018 - validates the date
        except (KeyError, TypeError, ValueError):
            fields = ", ".join(Published.__dataclass_fields__)
            raise LedgerError(
                f"{path.name}: episodes[{index}] needs {fields} (first_published as YYYY-MM-DD)"
            ) from None
        entries.append(entry)
    return entries


def ledger_text(entries: list[Published]) -> str:
    """The ledger as stable JSON: entries in publication order, sorted keys, two-space indent, final newline."""
    ordered = sorted(entries, key=lambda entry: (entry.first_published, entry.id))
    document = {"note": NOTE, "version": LEDGER_VERSION, "episodes": [asdict(entry) for entry in ordered]}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_ledger(path: Path, entries: list[Published]) -> None:
    """Replace the ledger atomically, so an interrupted build never leaves half a file."""
    atomic_write(path, ledger_text(entries).encode("utf-8"))


def preview_note(as_of: date, today: date, shown: str, unrecorded: int) -> str:
    """What a build for another day than today says about the ledger it leaves alone."""
    return (
        f"note: [feed] a preview for {as_of.isoformat()} (today is {today.isoformat()}): {shown} is left as it is"
        f" ({unrecorded} episode{'' if unrecorded == 1 else 's'} it does not list yet); only a build for today"
        " records published episodes"
    )


def clock_problems(publication: Publication, context: BuildContext) -> list[Problem]:
    """An error when a build for today publishes for a day before the newest episode the ledger says is out: the
    clock (or the timezone) is behind, and the build would take published episodes off the feed and the site.
    A preview (`--as-of` another day) may look at any day: it records and deploys nothing."""
    from backpub_feed.locate import text_line

    path = ledger_path(context)
    try:
        entries = read_ledger(path)
    except LedgerError:
        return []  # the feed's own check reports an unreadable ledger, located, when the feed is built
    newest = max(entries, key=lambda entry: (entry.first_published, entry.id), default=None)
    if context.is_preview or newest is None or newest.first_published_date <= context.as_of:
        return []
    shown = ledger_shown(publication)
    line = text_line(path, f'"first_published": "{newest.first_published}"')
    message = (
        f"[feed] today is {context.as_of.isoformat()} by this machine's clock, but episode {newest.id!r} was "
        f"published on {newest.first_published} (recorded in {shown}): a build now would take it off the feed and "
        "the site. Check the clock and the programme's timezone; to look at an earlier day, build a preview with "
        "--as-of"
    )
    return [Problem(shown, line, 1, "error", message)]
