"""An episode's own artwork as the site publishes it beside its page: full size (the feed's itunes:image, through
the link the site declares) and one smaller copy that episode pages and newsletters show."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from backpub import Episode, Publication, square_copy

SMALL_PX = 600
"""The width and height of the copy episode pages and newsletters show (shown at up to 300 px, sharp on HiDPI)."""


def link_key(episode: Episode, *, small: bool = False) -> str:
    """The key other formats read the artwork's URL under: 'episode-artwork:<id>' (full size) or
    'episode-artwork-small:<id>' (the SMALL_PX copy)."""
    return f"episode-artwork-small:{episode.id}" if small else f"episode-artwork:{episode.id}"


def site_path(publication: Publication, episode: Episode, *, small: bool = False) -> str:
    """Where the site publishes the artwork, e.g. '/episodes/x/artwork.jpg' or '/episodes/x/artwork-600.jpg'."""
    assert episode.artwork is not None
    suffix = PurePosixPath(episode.artwork).suffix.lower().replace(".jpeg", ".jpg")
    name = f"artwork-{SMALL_PX}{suffix}" if small else f"artwork{suffix}"
    return publication.path_for(episode) + name


def resized(path: Path, px: int = SMALL_PX) -> bytes:
    """A px-by-px copy of a square image, in its own format (JPEG stays JPEG, PNG stays PNG), always RGB."""
    return square_copy(path, px)[0]
