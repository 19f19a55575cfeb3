"""Adding valid content never turns the code's tests red.

The code's tests use their own projects (tests/roots/); only tests/test_shipped_content.py reads the shipped
`content/` (checked here), and its checks hold for any valid programme: it runs them on the shipped content and on
it with a new episode, protocol and clinic added (tests/roots/added-content/, valid under `validate --strict`), as
CI would after an author's commit.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from backpub_testkit import REPO, ROOTS

ADDED = ROOTS / "added-content" / "content"
LEFT_OUT = shutil.ignore_patterns(".git", ".venv", ".cache", ".backpub", "outputs", "__pycache__", "*.egg-info")
READS_THE_SHIPPED_CONTENT = re.compile(r"""(REPO|parents\[\d\]|\bROOT)\s*/\s*["']content["']""")
"""How a test would reach the shipped content without naming SHIPPED_CONTENT."""


IMPORTS_THE_SHIPPED_CONTENT = re.compile(r"^from backpub_testkit import .*\bSHIPPED_CONTENT\b", re.MULTILINE)


def content_dependent_modules(tests: Path) -> list[Path]:
    """The test modules that read the shipped content: those importing SHIPPED_CONTENT."""
    return sorted(path for path in tests.rglob("test_*.py") if IMPORTS_THE_SHIPPED_CONTENT.search(path.read_text()))


def test_only_the_shipped_content_module_reads_content() -> None:
    assert content_dependent_modules(REPO / "tests") == [REPO / "tests" / "test_shipped_content.py"]
    for path in sorted((REPO / "tests").rglob("*.py")):
        if path.name == "backpub_testkit.py":
            continue  # where SHIPPED_CONTENT is defined
        assert not READS_THE_SHIPPED_CONTENT.search(path.read_text()), f"{path} reads the shipped content"


def test_the_added_content_is_an_episode_a_protocol_and_a_clinic() -> None:
    """What test_shipped_content.py adds to the shipped content (its fixture checks that each file is new there)."""
    assert sorted(path.parent.name for path in ADDED.rglob("*.md")) == ["clinics", "episodes", "protocols"]
