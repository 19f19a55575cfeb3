"""Commands that look after a project: `clean` and `schedule`."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from backpub.build import load_checked, state_dir
from backpub.errors import ConfigError


def clean(content_dir: Path, output_dir: Path | None = None) -> list[str]:
    """Remove outputs/ and the build cache; the state folder (send ledgers) is never touched."""
    content_dir = Path(content_dir)
    if not content_dir.is_dir():
        raise ConfigError(f"content folder {str(content_dir)!r} does not exist")
    project_dir = content_dir.resolve().parent
    targets = [Path(output_dir) if output_dir else project_dir / "outputs", state_dir(project_dir) / "cache"]
    removed = []
    for target in targets:
        if target.resolve() in (project_dir, content_dir.resolve()) or content_dir.resolve().is_relative_to(
            target.resolve()
        ):
            raise ConfigError(f"refusing to remove {target}: it holds the content")
        if target.exists():
            shutil.rmtree(target)
            removed.append(str(target))
    return removed


def schedule(content_dir: Path, as_of: date | None, weeks: int) -> list[str]:
    """Lines describing the coming Sundays: which episode goes out on each, and the gaps."""
    validation = load_checked(Path(content_dir), as_of=as_of, strict=False)
    publication = validation.publication
    assert publication is not None
    today = as_of or publication.today()
    scheduled = [episode for episode in publication.episodes if not episode.retired]
    by_day = {}
    for episode in scheduled:
        by_day.setdefault(episode.release, []).append(episode)
    sunday = today + timedelta(days=(6 - today.weekday()) % 7)
    lines = [f"Schedule from {today.isoformat()} ({publication.programme.timezone}):"]
    released = publication.released_episodes(today)
    if released:
        latest = released[-1]
        lines.append(f"  latest released: #{latest.number} {latest.title} ({latest.release.isoformat()})")
    for week in range(weeks):
        day = sunday + timedelta(weeks=week)
        episodes = by_day.get(day, [])
        if episodes:
            for episode in episodes:
                status = " (released)" if day <= today else ""
                lines.append(f"  {day.isoformat()}  #{episode.number} {episode.title}{status}")
        else:
            lines.append(f"  {day.isoformat()}  -- no episode scheduled --")
    later = [e for e in scheduled if e.release > sunday + timedelta(weeks=weeks - 1)]
    if later:
        lines.append(f"  and {len(later)} episode(s) scheduled later")
    return lines
