"""Commands that look after a project: `clean` and `schedule`."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from backpub.commands.reporting import plural
from backpub.errors import ConfigError
from backpub.files.outputguard import ALLOWED_EXTRAS
from backpub.session import ProjectPaths, Session


def clean(paths: ProjectPaths) -> list[str]:
    """Remove outputs/ and the build cache; the state folder (send ledgers) is never touched, nor a file a project
    keeps in outputs/ under version control (`.gitkeep`)."""
    removed = []
    for target in (paths.output_dir, paths.state.cache):
        _refuse_project_folders(paths, target)
        if not target.exists():
            continue
        kept = [child for child in target.iterdir() if child.name in ALLOWED_EXTRAS and child.is_file()]
        if not kept:
            shutil.rmtree(target)
            removed.append(str(target))
            continue
        for child in target.iterdir():
            if child in kept:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        removed.append(f"{target} (kept {', '.join(child.name for child in kept)})")
    return removed


def _refuse_project_folders(paths: ProjectPaths, target: Path) -> None:
    target = target.resolve()
    if target in (paths.project_dir, paths.content_dir) or paths.content_dir.is_relative_to(target):
        raise ConfigError(f"refusing to remove {target}: it holds the content")


def schedule(session: Session, weeks: int) -> list[str]:
    """Lines describing the coming Sundays: which episode goes out on each, and the gaps."""
    publication = session.publication
    today = session.as_of
    scheduled = [episode for episode in publication.episodes if not episode.retired]
    by_day: dict = {}
    for episode in scheduled:
        by_day.setdefault(episode.release, []).append(episode)
    sunday = today + timedelta(days=(6 - today.weekday()) % 7)
    lines = [f"Schedule from {today.isoformat()} ({session.timezone}):"]
    released = publication.released_episodes(today)
    if released:
        latest = released[-1]
        lines.append(f"  latest released: #{latest.number} {latest.title} ({latest.release.isoformat()})")
    for week in range(weeks):
        day = sunday + timedelta(weeks=week)
        episodes = by_day.get(day, [])
        for episode in episodes:
            status = " (released)" if day <= today else ""
            lines.append(f"  {day.isoformat()}  #{episode.number} {episode.title}{status}")
        if not episodes:
            lines.append(f"  {day.isoformat()}  -- no episode scheduled --")
    later = [e for e in scheduled if e.release > sunday + timedelta(weeks=weeks - 1)]
    if later:
        lines.append(f"  and {plural(len(later), 'episodes')} scheduled later")
    return lines
