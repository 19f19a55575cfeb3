"""The `backpub feed` command group (opt-in network checks live here, never in a build)."""

from __future__ import annotations

from pathlib import Path

import click

from backpub import BackpubError, ContentError, content_option


@click.group("feed")
def feed_group() -> None:
    """Podcast feed tools."""


@feed_group.command("check-live")
@content_option
@click.option(
    "--url", help="The live feed to compare with (default: formats.feed.live_feed_url, else formats.feed.feed_url)."
)
@click.option("--timeout", default=20.0, show_default=True, help="Seconds to wait for the live feed.")
def check_live(content_dir: Path, url: str | None, timeout: float) -> None:
    """Fetch the live feed and fail if an episode in it lost its GUID or changed its enclosure URL."""
    from backpub import Session
    from backpub_feed.live import fetch, live_items, live_problems

    try:
        session = Session(content_dir)
        publication = session.publication
        options = session.formats(["feed"])["feed"].options
    except ContentError as exc:
        _fail([str(problem) for problem in exc.problems])
    except BackpubError as exc:
        _fail([f"Error: {exc}"])
    url = url or options.live_feed_url or options.feed_url  # the feed's own address unless told otherwise
    try:
        items = live_items(fetch(url, timeout))
    except Exception as exc:  # network and XML errors alike: say what happened, no traceback
        _fail([f"Error: cannot read the live feed {url}: {exc}"])
    problems = live_problems(publication, session.paths.content_dir, items, url)
    if problems:
        _fail([str(problem) for problem in problems])
    episodes = "1 episode" if len(items) == 1 else f"{len(items)} episodes"
    click.echo(f"live feed {url}: {episodes}, all still published with the same GUID and enclosure")


def _fail(lines: list[str]) -> None:
    for line in lines:
        click.secho(line, fg="red", err=True)
    raise SystemExit(1)
