"""The plugin guide's complete example (docs/plugins.md) builds a working format with the public API only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from test_public_api import _allowed, _imports_from_backpub

from backpub.testing import PROGRAMME

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
MARKER = re.compile(r"<!-- plugin-guide-example: (\S+) -->\n```python\n(.*?)\n```", re.DOTALL)
CONCEPT = """---
title: Nerves and the back
reviewed: 2026-01-05
reviewer: Test Reviewer
summary: The leg hurts, the **back** is the problem.
---
Body.
"""


def guide_example() -> tuple[str, str]:
    """The file name and code of the guide's example."""
    match = MARKER.search(GUIDE.read_text(encoding="utf-8"))
    assert match, "docs/plugins.md lost its complete example"
    return match[1], match[2] + "\n"


def project_with_example(backpub_project, settings: str) -> Path:
    name, code = guide_example()
    programme = PROGRAMME + "  reading-list:\n" + settings
    return backpub_project(
        {name: code, "content/programme.yaml": programme, "content/concepts/nerves-and-the-back.md": CONCEPT}
    )


def test_the_example_uses_only_the_public_api():
    _, code = guide_example()
    imports = _imports_from_backpub(ast.parse(code))
    assert imports and all(_allowed(what) for _, what in imports), imports


def test_the_example_builds_with_its_settings_and_another_formats_link(backpub_project, backpub_cli):
    project = project_with_example(backpub_project, "    heading: Start here\n")
    result = backpub_cli(
        "build", "-f", "reading-list", "--as-of", "2026-11-25", "--output", "outputs", "--jobs", "1", cwd=project
    )
    assert result.exit_code == 0, result.output
    text = (project / "outputs/reading-list/reading-list.txt").read_text()
    assert text.splitlines()[:5] == [
        "Start here",
        "",
        "Nerves and the back",
        "The leg hurts, the back is the problem.",
        "https://programme.example.org/concepts/nerves-and-the-back/",
    ]
    # The feed format is installed: its link reaches a format that never read the feed's settings.
    assert text.endswith("Every week on the podcast: https://programme.example.org/podcast.xml\n")


def test_the_examples_settings_are_validated_and_located(backpub_project, backpub_cli):
    project = project_with_example(backpub_project, "    headng: Start here\n")
    result = backpub_cli("validate", "--content", "content", cwd=project)
    assert result.exit_code == 1
    line = len(PROGRAMME.splitlines()) + 2  # after '  reading-list:'
    assert (
        f"content/programme.yaml:{line}:5: error: unknown field 'formats.reading-list.headng'; did you mean 'heading'?"
        in result.output
    )
    assert "Traceback" not in result.output
