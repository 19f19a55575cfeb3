"""The output folder is only ever backpub's: a build refuses one that overlaps the project or holds other files.

A build replaces its output folder wholesale (a staging tree swapped in), so pointing it at the project, the
content or a folder of someone's files would swap them out. This check runs before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from backpub.errors import ConfigError

ALLOWED_EXTRAS = frozenset({".gitkeep"})
"""Files a project may keep in an empty outputs/ folder under version control."""
PREVIEWS = re.compile(r"preview-\d{4}-\d{2}-\d{2}")
"""The folders previews write inside outputs/ (backpub.session.PREVIEW_FOLDER), which a build keeps."""


def check_output_folder(output_dir: Path, content_dir: Path, project_dir: Path, formats: Iterable[str]) -> None:
    """ConfigError unless `output_dir` is a folder backpub may replace: not the project, not the content, not
    around either, not inside the content or the state folder, and holding only what builds put there."""
    output = Path(output_dir).resolve()
    content, project = Path(content_dir).resolve(), Path(project_dir).resolve()
    shown = str(output)
    if output == project or project.is_relative_to(output):
        raise ConfigError(
            f"refusing to build into {shown}: it is or contains the project folder; use a folder of its own"
        )
    if output == content or content.is_relative_to(output) or output.is_relative_to(content):
        raise ConfigError(f"refusing to build into {shown}: it overlaps the content folder {content}")
    if output.is_relative_to(project / ".backpub"):
        raise ConfigError(f"refusing to build into {shown}: it is inside backpub's state folder")
    if output.is_symlink() or (output.exists() and not output.is_dir()):
        raise ConfigError(f"refusing to build into {shown}: it is not a plain folder")
    if not output.is_dir():
        return
    from backpub.files.output import SERVICE_FOLDER

    known = {*formats, SERVICE_FOLDER}
    foreign = sorted(
        entry.name
        for entry in output.iterdir()
        if entry.name not in ALLOWED_EXTRAS
        and not ((entry.name in known or PREVIEWS.fullmatch(entry.name)) and entry.is_dir() and not entry.is_symlink())
    )
    if foreign:
        listed = ", ".join(repr(name) for name in foreign[:3]) + (" ..." if len(foreign) > 3 else "")
        raise ConfigError(
            f"refusing to build into {shown}: it holds files backpub did not write ({listed}); "
            "a build replaces its output folder, so choose an empty or new folder"
        )
