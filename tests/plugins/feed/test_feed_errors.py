"""Bad content for the feed gives a located, plain-language error and exit code 1 through the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from backpub_testkit import edit

pytest_plugins = ["feed_testing"]  # the feed_project and build_feed fixtures


def assert_located_failure(built, path: str, pattern: str) -> int:
    """The build failed with exit 1 and an error at `path:line` matching `pattern`; returns the line."""
    assert built.result.exit_code == 1, built.output
    assert "Traceback" not in built.output
    match = re.search(rf"{re.escape(path)}:(\d+):\d+: error: .*{pattern}", built.output)
    assert match, built.output
    return int(match.group(1))


def line_of(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_missing_enclosure_size_is_located(feed_project, build_feed):
    episode = feed_project / "content/episodes/episode-two.md"
    edit(episode, "  size_bytes: 2000000\n", "")
    built = build_feed(feed_project)
    assert_located_failure(built, "content/episodes/episode-two.md", "size_bytes")


def test_non_sunday_release_is_located(feed_project, build_feed):
    episode = feed_project / "content/episodes/episode-two.md"
    edit(episode, "release: 2026-11-29", "release: 2026-11-30")
    built = build_feed(feed_project, "2026-12-01")
    line = assert_located_failure(built, "content/episodes/episode-two.md", "is a Monday; episodes go out on Sundays")
    assert line == line_of(episode, "release:")


def test_duplicate_guid_is_located(feed_project, build_feed):
    episode = feed_project / "content/episodes/episode-two.md"
    edit(episode, "guid: 2b7e1c44-1d3a-4f0e-8a55-7c9d0e1f2a3b", "guid: 6f1d3c2e-8a4b-4c1d-9e2f-0a1b2c3d4e5f")
    built = build_feed(feed_project)
    line = assert_located_failure(built, "content/episodes/episode-two.md", "duplicate episode guid")
    assert line == line_of(episode, "guid:")


def test_duplicate_enclosure_url_is_located(feed_project, build_feed):
    episode = feed_project / "content/episodes/episode-two.md"
    edit(episode, "minimal/ep2.mp3", "minimal/ep1.mp3")
    built = build_feed(feed_project)
    line = assert_located_failure(built, "content/episodes/episode-two.md", r"\[feed\] audio.url .* already episode")
    assert line == line_of(episode, "  url: https://media.example.org/minimal/ep1.mp3")


def save_artwork(project: Path, name: str, size: tuple[int, int], mode: str = "RGB", kind: str = "PNG") -> None:
    """Replace the artwork with a generated image and point programme.yaml at it."""
    Image.new(mode, size, "white" if mode != "CMYK" else (0, 0, 0, 0)).save(project / "content/assets" / name, kind)
    edit(project / "content/programme.yaml", "artwork: assets/artwork.png", f"artwork: assets/{name}")


@pytest.mark.parametrize(
    ("name", "size", "mode", "kind", "message"),
    [
        ("artwork.png", (1400, 1500), "RGB", "PNG", "is 1400×1500 px; it must be square"),
        ("artwork.png", (1000, 1000), "RGB", "PNG", "must be between 1400×1400 and 3000×3000 px"),
        ("artwork.png", (3200, 3200), "RGB", "PNG", "must be between 1400×1400 and 3000×3000 px"),
        ("artwork.png", (1400, 1400), "RGBA", "PNG", "uses the RGBA colour mode; Apple requires RGB"),
        ("artwork.jpg", (1400, 1400), "CMYK", "JPEG", "uses the CMYK colour mode; Apple requires RGB"),
        ("artwork.png", (1400, 1400), "RGB", "JPEG", "'assets/artwork.png' holds JPEG data, not PNG as its name says"),
        ("artwork.jpg", (1400, 1400), "RGB", "JPEG", "artwork_url 'artwork.png' is a JPEG image"),
        ("artwork.gif", (1400, 1400), "P", "GIF", "is GIF; it must be a JPEG or PNG file"),
    ],
)
def test_bad_artwork_is_located_at_the_programme(feed_project, build_feed, name, size, mode, kind, message):
    save_artwork(feed_project, name, size, mode, kind)
    built = build_feed(feed_project)
    line = assert_located_failure(built, "content/programme.yaml", re.escape(message))
    assert line == line_of(feed_project / "content/programme.yaml", "artwork:")


def test_good_jpeg_artwork_passes(feed_project, build_feed):
    save_artwork(feed_project, "artwork.jpg", (3000, 3000), "RGB", "JPEG")
    edit(
        feed_project / "content/programme.yaml",
        "artwork_url: https://minimal.example.org/artwork.png",
        "artwork_url: https://minimal.example.org/artwork.jpg",
    )
    built = build_feed(feed_project)
    assert built.result.exit_code == 0, built.output


def test_long_channel_description_is_located(feed_project, build_feed):
    long = "Long words. " * 400  # 4800 bytes
    edit(feed_project / "content/programme.yaml", "description: A test podcast.", f"description: {long}")
    built = build_feed(feed_project)
    line = assert_located_failure(built, "content/programme.yaml", "formats.feed.description is 4799 bytes")
    assert line == line_of(feed_project / "content/programme.yaml", "  description:")


def test_unknown_apple_category_is_located(feed_project, build_feed):
    edit(feed_project / "content/programme.yaml", "apple_subcategory: Medicine", "apple_subcategory: Physiotherapy")
    built = build_feed(feed_project)
    line = assert_located_failure(
        built, "content/programme.yaml", "'Physiotherapy' is not a subcategory of 'Health & Fitness'"
    )
    assert line == line_of(feed_project / "content/programme.yaml", "apple_subcategory:")


def test_copyright_with_a_year_is_a_warning(feed_project, build_feed):
    edit(
        feed_project / "content/programme.yaml",
        "    release_time:",
        "    copyright: © 2026 Test Publisher\n    release_time:",
    )
    built = build_feed(feed_project)
    assert built.result.exit_code == 0, built.output
    strict = build_feed(feed_project, "2026-11-29", "--strict")
    assert_located_failure(strict, "content/programme.yaml", "no word 'Copyright', no ©, no year")
