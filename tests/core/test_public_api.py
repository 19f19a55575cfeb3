"""The public plugin API (`backpub.api`) is the only door between plugins and the core, and the core knows no format.

Two meta-tests read the source with `ast`: every module under plugins/ imports from backpub only what
`backpub.api` declares; no module under src/backpub/ names a built-in format, its settings or its files (in
code and string literals; docstrings and comments may explain, with examples).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import backpub
import backpub.api

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ROOT / "plugins"
CORE = ROOT / "src" / "backpub"

FORMAT_WORDS = {
    # the built-in formats and what they are made of
    "pdf", "pdfs", "epub", "ebook", "book", "books", "feed", "feeds", "rss", "podcast", "podcasts", "itunes",
    "newsletter", "newsletters", "smtp", "unsubscribe", "weasyprint", "ebooklib", "feedgen",
    # their settings, as they used to live in the core's model
    "book_id", "artwork_url", "feed_url", "release_time", "send_time", "list_id", "signup",
}  # fmt: skip
"""Words that belong to a format: the core may not use them as names or in string literals."""
FORMAT_PATHS = re.compile(r"/(?:handouts|book|episodes|podcast|newsletter)/")
"""Site paths are the website format's layout, not the core's."""
STDLIB_CALLS = {"feed"}
"""Methods of the standard library that share a format's word (`HTMLParser.feed(text)`)."""
EXEMPT = {
    "testing.py": "writes a sample content/programme.yaml for plugin authors' tests: content, not code, and it "
    "must satisfy the settings of the formats installed beside it",
}


def _imports_from_backpub(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) for every import of backpub or a backpub submodule, with the names taken from it."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "backpub"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "backpub":
            found += [(node.lineno, f"{node.module}:{alias.name}") for alias in node.names]
    return found


def _allowed(what: str) -> bool:
    module, _, name = what.partition(":")
    if not name:
        return module in ("backpub", "backpub.api")
    return module in ("backpub", "backpub.api") and (
        name in backpub.api.__all__ or (module, name) == ("backpub", "api")
    )


def test_plugins_import_only_the_public_api():
    modules = sorted(PLUGINS.rglob("*.py"))
    assert len(modules) > 20, "the built-in plugins were not found"
    wrong = []
    for path in modules:
        for line, what in _imports_from_backpub(ast.parse(path.read_text(), str(path))):
            if not _allowed(what):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: imports {what.replace(':', ' -> ')}")
    assert not wrong, "plugins may import only what backpub.api declares:\n" + "\n".join(wrong)


def test_the_import_check_catches_internal_imports():
    tree = ast.parse("from backpub.text.markdown import render\nfrom backpub import markdown\nimport backpub.model\n")
    assert [what for _, what in _imports_from_backpub(tree) if not _allowed(what)] == [
        "backpub.text.markdown:render",
        "backpub:markdown",
        "backpub.model",
    ]
    fine = ast.parse("from backpub import Format, Publication\nfrom backpub.api import render\nimport backpub\n")
    assert all(_allowed(what) for _, what in _imports_from_backpub(fine))


def test_backpub_re_exports_exactly_the_api_and_lazily():
    assert backpub.__all__ == backpub.api.__all__
    for name in backpub.api.__all__:
        assert getattr(backpub, name) is getattr(backpub.api, name), name
    code = "import sys, backpub; backpub.hookimpl; print('pydantic' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False", "importing backpub or the hook marker must not load the model"


def test_the_api_lists_each_public_name_once_as_an_explicit_re_export():
    """backpub/api.py's import lines are the one list: each name once, `name as name`, and nothing else."""
    tree = ast.parse((CORE / "api.py").read_text())
    imported = [alias for node in tree.body if isinstance(node, ast.ImportFrom) for alias in node.names]
    names = [alias.asname for alias in imported]
    assert all(alias.asname == alias.name for alias in imported), "import each public name as itself"
    assert len(names) == len(set(names)) == len(backpub.api.__all__) > 50
    assert sorted(names) == backpub.api.__all__


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are documentation (a bare string statement), not values."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    }


def _words(text: str) -> set[str]:
    snake = re.findall(r"[a-z0-9]+(?:_[a-z0-9]+)*", re.sub(r"(?<=[a-z])(?=[A-Z])", "_", text).lower())
    return set(snake) | {part for word in snake for part in word.split("_")}


def format_names_in(source: str, filename: str = "<src>") -> list[tuple[int, str]]:
    """(line, word) for every format word used as a name or inside a string literal (docstrings excluded)."""
    tree = ast.parse(source, filename)
    docs = _docstrings(tree)
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    hits = []
    for node in ast.walk(tree):
        texts: list[str] = []
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            texts = [node.value]
            hits += [(node.lineno, match) for match in FORMAT_PATHS.findall(node.value)]
        elif isinstance(node, ast.Name):
            texts = [node.id]
        elif isinstance(node, ast.Attribute) and not (id(node) in called and node.attr in STDLIB_CALLS):
            texts = [node.attr]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            texts = [node.name]
        elif isinstance(node, ast.arg) or (isinstance(node, ast.keyword) and node.arg):
            texts = [node.arg]
        elif isinstance(node, ast.alias):
            texts = [node.name, node.asname or ""]
        for text in texts:
            hits += [(getattr(node, "lineno", 0), word) for word in sorted(_words(text) & FORMAT_WORDS)]
    return hits


def test_the_core_names_no_format():
    modules = sorted(path for path in CORE.rglob("*.py") if path.name not in EXEMPT)
    assert len(modules) > 15
    found = [
        f"{path.relative_to(ROOT)}:{line}: {word!r}"
        for path in modules
        for line, word in format_names_in(path.read_text(), str(path))
    ]
    assert not found, "the core names a built-in format (move it into the format's plugin):\n" + "\n".join(found)


def test_the_format_check_sees_names_and_strings_but_not_docstrings():
    source = '''
"""Docstrings may mention the podcast feed and the /book/ page."""
def f(feed_url):
    """So may this one: a pdf."""
    x = settings.podcast
    return "see /handouts/" + f"{x}.epub"
'''
    found = sorted(format_names_in(source))
    assert found == [(3, "feed"), (3, "feed_url"), (5, "podcast"), (6, "/handouts/"), (6, "epub")]
    assert format_names_in("parser.feed(html)\n") == []
    assert format_names_in('"""A handout for the clinic."""\nkind = "handout"\nsite_url = 1\n') == []
