"""A validation step: episodes' audio size and duration, read from their local files so nobody types them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from backpub.model import Entity, Episode


def fill_in(
    entities: Sequence[Entity], content_dir: Path, usable: Callable[[str], bool]
) -> tuple[list[Entity], dict[str, str]]:
    """The entities with every local episode audio's `size_bytes` and `duration_seconds` read from its file, and
    {episode id: why its file could not be read}. Files for which `usable(relative path)` is False (missing, or
    outside the content folder) are not opened: the caller reports those."""
    filled = list(entities)
    unreadable: dict[str, str] = {}
    for index, entity in enumerate(filled):
        if not isinstance(entity, Episode) or entity.audio.file is None or not usable(entity.audio.file):
            continue
        facts = audio_facts(content_dir / entity.audio.file)
        if isinstance(facts, str):
            unreadable[entity.id] = facts
            continue
        audio = entity.audio.model_copy(update={"size_bytes": facts[0], "duration_seconds": facts[1]})
        filled[index] = entity.model_copy(update={"audio": audio})
    return filled, unreadable


def audio_facts(path: Path) -> tuple[int, int] | str:
    """(size in bytes, whole seconds) read from an audio file, or why it could not be read."""
    import mutagen  # only projects with local audio files pay for the import

    try:
        audio = mutagen.File(path)
    except Exception as exc:  # mutagen raises many types for damaged files
        return f"cannot read audio file {path.name!r}: {exc}"
    if audio is None or not getattr(audio.info, "length", 0):
        return f"cannot read the duration of {path.name!r}: not a supported audio file"
    return path.stat().st_size, max(1, round(audio.info.length))
