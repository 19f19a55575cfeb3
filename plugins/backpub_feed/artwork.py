"""Podcast artwork rules (Apple, PSP-1): square, 1400-3000 px, JPEG or PNG, RGB, an extension matching the file."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from backpub_feed.rules import ARTWORK_EXTENSIONS, ARTWORK_MAX_PX, ARTWORK_MIN_PX


def artwork_problems(path: Path, shown: str, public_url: str, label: str = "podcast artwork") -> list[str]:
    """Everything wrong with the artwork file (and its public URL's extension), in plain words; `label` names it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            kind, (width, height), mode = image.format, image.size, image.mode
    except (OSError, UnidentifiedImageError) as exc:
        return [f"{label} {shown!r} is not a readable image: {exc}"]
    if kind not in ARTWORK_EXTENSIONS:
        return [f"{label} {shown!r} is {kind or 'an unknown format'}; it must be a JPEG or PNG file"]
    problems = []
    if width != height:
        problems.append(f"{label} {shown!r} is {width}×{height} px; it must be square")
    if not ARTWORK_MIN_PX <= max(width, height) <= ARTWORK_MAX_PX or min(width, height) < ARTWORK_MIN_PX:
        problems.append(
            f"{label} {shown!r} is {width}×{height} px; it must be between "
            f"{ARTWORK_MIN_PX}×{ARTWORK_MIN_PX} and {ARTWORK_MAX_PX}×{ARTWORK_MAX_PX} px"
        )
    if mode != "RGB":
        problems.append(
            f"{label} {shown!r} uses the {mode} colour mode; Apple requires RGB "
            "(no transparency, no CMYK, no palette): save it as RGB"
        )
    expected = ARTWORK_EXTENSIONS[kind]
    for which, name in (("file", path.name), ("artwork_url", PurePosixPath(public_url).name)):
        if PurePosixPath(name).suffix.lower() not in expected:
            problems.append(f"{label} {which} {name!r} is a {kind} image; its name must end in {' or '.join(expected)}")
    return problems
