"""What a layout says about a handout's pages: where each protocol's steps fell, and what each page holds.

The templates mark each protocol's title and steps with layout-only anchors (`<key>-step-start`, `<key>-step-3`);
WeasyPrint reports every anchor's page (`Page.anchors`), so a first layout tells which protocols run over a
page and at which steps they continue. Those anchors are removed before the PDF is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from backpub_pdf.view import Entry, HandoutView

STEP_ANCHOR = re.compile(r"^(?P<key>.+)-step-(?P<step>start|\d+)$")
"""A layout-only anchor: a protocol's title (`start`) or one of its steps (0-based)."""


@dataclass(frozen=True)
class StepPlaces:
    """Where a protocol fell: the page of its title, and the page of each step."""

    start: int
    steps: dict[int, int]
    """Step (0-based) -> page (0-based)."""

    @property
    def opening(self) -> frozenset[int]:
        """The steps that open a page after the title's: where the protocol continues."""
        first: dict[int, int] = {}
        for step, page in sorted(self.steps.items()):
            if page > self.start:
                first.setdefault(page, step)
        return frozenset(first.values())


def step_places(document: Any) -> dict[str, StepPlaces]:
    """Every marked protocol's places in a laid-out document, by its key."""
    starts: dict[str, int] = {}
    steps: dict[str, dict[int, int]] = {}
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            match = STEP_ANCHOR.match(name)
            if match is None:
                continue
            if match["step"] == "start":
                starts.setdefault(match["key"], number)
            else:
                steps.setdefault(match["key"], {})[int(match["step"])] = number
    return {key: StepPlaces(start, steps.get(key, {})) for key, start in starts.items()}


def protocol_entries(views: Iterable[HandoutView]) -> Iterable[tuple[str, Entry]]:
    """Each protocol entry of some handouts with the key its anchors carry."""
    for view in views:
        for section in view.sections:
            for entry in section.entries:
                if entry.kind == "protocol":
                    yield f"{view.prefix}{entry.key}", entry


def measure_long_protocols(document: Any, views: Iterable[HandoutView]) -> bool:
    """Mark the protocols that run over a page as long, and where each continues, from a layout; True when that
    changed anything (the document must then be laid out again). A protocol once long stays long, so the
    passes settle."""
    places = step_places(document)
    changed = False
    for key, entry in protocol_entries(views):
        place = places.get(key)
        if place is None:
            continue
        opening = place.opening
        if not entry.long:
            if opening:
                entry.long, changed = True, True
        elif opening != entry.continued:
            entry.continued, changed = opening, True
    return changed


def remove_layout_anchors(document: Any) -> None:
    """Drop the layout-only anchors, so the PDF names none of them."""
    for page in document.pages:
        for name in [name for name in page.anchors if STEP_ANCHOR.match(name)]:
            del page.anchors[name]
