"""`backpub feed check-live` against a feed served on 127.0.0.1 by the test (no other network)."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from backpub_testkit import edit, serve_in_thread

pytest_plugins = ["feed_testing"]  # the feed_project and build_feed fixtures


@pytest.fixture
def live_feed(feed_project, build_feed, tmp_path: Path):
    """The project's 6 Dec feed, built into a separate folder and served over HTTP on loopback."""
    served = tmp_path / "served"
    built = build_feed(feed_project, "2026-12-06", "--output", str(served))
    assert built.result.exit_code == 0, built.output
    handler = functools.partial(_QuietHandler, directory=str(served / "feed"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = serve_in_thread(server)
    yield f"http://127.0.0.1:{server.server_address[1]}/podcast.xml"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def check_live(run_cli, project: Path, url: str):
    return run_cli("feed", "check-live", "--url", url, "--timeout", "5", cwd=project)


def test_unchanged_content_matches_the_live_feed(feed_project, live_feed, run_cli):
    result = check_live(run_cli, feed_project, live_feed)
    assert result.exit_code == 0, result.output
    assert "3 episodes, all still published" in result.output


def test_a_changed_guid_is_caught_against_the_live_feed(feed_project, live_feed, run_cli):
    edit(feed_project / "content/episodes/episode-two.md", "guid: 2b7e1c44", "guid: 3c7e1c44")
    result = check_live(run_cli, feed_project, live_feed)
    assert result.exit_code == 1
    assert "'Ice, not heat' (GUID 2b7e1c44-1d3a-4f0e-8a55-7c9d0e1f2a3b), but no episode has that GUID" in result.output


def test_a_changed_enclosure_is_caught_and_located(feed_project, live_feed, run_cli):
    edit(feed_project / "content/episodes/episode-two.md", "minimal/ep2.mp3", "minimal/ep2-new.mp3")
    result = check_live(run_cli, feed_project, live_feed)
    assert result.exit_code == 1
    assert "content/episodes/episode-two.md:10:1: error: [feed] audio.url" in result.output


def test_a_retired_episode_may_leave(feed_project, live_feed, run_cli):
    edit(
        feed_project / "content/episodes/episode-two.md",
        "reviewer: A. Reviewer",
        "reviewer: A. Reviewer\nretired: true",
    )
    edit(feed_project / "content/episodes/episode-two.md", "minimal/ep2.mp3", "minimal/ep2-gone.mp3")
    assert check_live(run_cli, feed_project, live_feed).exit_code == 0


def test_an_unreachable_feed_is_a_plain_error(feed_project, run_cli):
    result = check_live(run_cli, feed_project, "http://127.0.0.1:9/podcast.xml")
    assert result.exit_code == 1
    assert "cannot read the live feed" in result.output and "Traceback" not in result.output


def test_without_url_it_checks_the_feeds_own_address(feed_project, run_cli):
    """formats.feed.feed_url is where the feed lives: check-live reads it unless --url or live_feed_url says
    otherwise (a closed loopback port here, so nothing leaves the machine)."""
    edit(
        feed_project / "content/programme.yaml",
        "https://minimal.example.org/podcast.xml",
        "https://127.0.0.1:9/podcast.xml",
    )
    result = run_cli("feed", "check-live", "--timeout", "5", cwd=feed_project)
    assert result.exit_code == 1
    assert "cannot read the live feed https://127.0.0.1:9/podcast.xml" in result.output, result.output
    assert "--url" not in result.output and "Traceback" not in result.output
