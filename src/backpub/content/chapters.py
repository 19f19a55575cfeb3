"""Episode chapters' checks: every chapter starts inside the audio, in time order, at a time of its own."""

from __future__ import annotations

from backpub.model import Episode
from backpub.model.values import clock


def problems(episode: Episode) -> list[tuple[tuple, str]]:
    """(location, message) for each chapter that starts outside the audio, out of order, or at a taken time."""
    found: list[tuple[tuple, str]] = []
    duration = episode.audio.duration_seconds
    marks = episode.chapter_marks
    for index, mark in enumerate(marks):
        where = ("chapters", index, "start")
        if duration is not None and mark.start >= duration:
            found.append((where, f"chapters[{index}].start {clock(mark.start)} is not before the end of the audio "
                                 f"({clock(duration)}); a chapter must start inside the episode"))  # fmt: skip
        if index == 0:
            continue
        before = marks[index - 1]
        if mark.start == before.start:
            found.append((where, f"chapters[{index}].start {clock(mark.start)} repeats chapters[{index - 1}]'s start; "
                                 "each chapter needs its own start time"))  # fmt: skip
        elif mark.start < before.start:
            found.append((where, f"chapters[{index}].start {clock(mark.start)} comes before chapters[{index - 1}] "
                                 f"({clock(before.start)}); list chapters in time order"))  # fmt: skip
    return found
