"""Meta-tests: every hook is documented with its signature in docs/plugins.md and has its own test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from backpub import hookspecs

REPO = Path(__file__).resolve().parents[2]
HOOKS = [name for name, value in vars(hookspecs).items() if callable(value) and hasattr(value, "backpub_spec")]


def test_there_are_hooks():
    assert set(HOOKS) == {"register_formats", "register_kinds", "register_commands", "check_publication"}


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_its_signature(hook):
    arguments = ", ".join(inspect.signature(getattr(hookspecs, hook)).parameters)
    assert f"### {hook}({arguments})" in (REPO / "docs/plugins.md").read_text()


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_docstring(hook):
    assert (getattr(hookspecs, hook).__doc__ or "").strip()


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook):
    tests = "".join(path.read_text() for path in (REPO / "tests").rglob("test_*.py"))
    assert f"def test_hook_{hook}" in tests


def test_every_module_has_a_one_line_docstring():
    for folder in (REPO / "src/backpub", REPO / "plugins"):
        for module in folder.rglob("*.py"):
            text = module.read_text().lstrip()
            assert text.startswith('"""'), f"{module} has no module docstring"


def test_every_environment_variable_backpub_reads_is_in_the_readme():
    """A setting that lives in the environment (a secret above all) is found where an operator first looks."""
    read = set()
    for folder in (REPO / "src/backpub", REPO / "plugins"):
        for module in folder.rglob("*.py"):
            read.update(re.findall(r"[\"'](BACKPUB_[A-Z_]+)[\"']", module.read_text()))
    assert "BACKPUB_UNSUBSCRIBE_SECRET" in read
    readme = (REPO / "README.md").read_text()
    assert sorted(name for name in read if f"`{name}`" not in readme) == []
