"""Adding valid content never turns the code's tests red.

The code's tests use their own projects (tests/roots/); only the modules that import `SHIPPED_CONTENT` read the
shipped `content/`, and their checks hold for any valid programme. Here a copy of the repository gets a new
episode, protocol and clinic (tests/roots/added-content/, valid under `validate --strict`), and those modules run
green in it, as CI would run them after an author's commit. Only those modules run again, not the whole suite.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
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


def test_the_suites_content_checks_pass_after_adding_an_episode_a_protocol_and_a_clinic(tmp_path: Path) -> None:
    repository = tmp_path / "repository"
    shutil.copytree(REPO, repository, ignore=LEFT_OUT, symlinks=True)
    added = [path for path in ADDED.rglob("*.md")]
    assert {path.parent.name for path in added} == {"episodes", "protocols", "clinics"}
    for path in added:
        target = repository / "content" / path.relative_to(ADDED)
        assert not target.exists(), f"{target.name} is not new"
        shutil.copyfile(path, target)
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    modules = [str(path.relative_to(repository)) for path in content_dependent_modules(repository / "tests")]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *modules, "-q", "-p", "no:cacheprovider"],
        cwd=repository,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b[1-9]\d* passed\b", result.stdout) and "failed" not in result.stdout, result.stdout
