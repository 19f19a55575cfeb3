"""The import layering of the core and the plugins: the contracts in pyproject.toml hold, and no circle anywhere.

import-linter checks the contracts (`[tool.importlinter]`: the core's layers, no cycle among siblings, the core
imports no plugin, the plugins import each other not). Its sibling check does not see a circle through a package's
`__init__.py` (a module importing its own package, which imports it back); the graph's strongly connected parts
do, so both are checked.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[1]
PACKAGES = (
    "backpub",
    "backpub_epub",
    "backpub_feed",
    "backpub_json",
    "backpub_mailinglist",
    "backpub_newsletter",
    "backpub_pdf",
    "backpub_site",
    "backpub_clinic",
)


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every set of modules that import each other round a circle (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in stack:
                lowest[module] = min(lowest[module], index[imported])
        if lowest[module] == index[module]:
            part = []
            while not part or part[-1] != module:
                part.append(stack.pop())
            if len(part) > 1:
                found.append(sorted(part))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(found)


def test_the_import_contracts_hold():
    run = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache", "--no-logo"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 kept, 0 broken" in run.stdout


def test_no_module_imports_itself_round_a_circle():
    assert circles(grimp.build_graph(*PACKAGES, cache_dir=None)) == []


def test_the_circle_check_finds_a_circle_through_a_package():
    graph = grimp.ImportGraph()
    graph.add_import(importer="plugin", imported="plugin.format")  # the hook imports the format class
    graph.add_import(importer="plugin.format", imported="plugin")  # which reads the package's __version__
    graph.add_import(importer="plugin.format", imported="plugin.rules")
    assert circles(graph) == [["plugin", "plugin.format"]]
