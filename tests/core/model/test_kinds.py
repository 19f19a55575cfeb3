"""Adding a kind of entity: a plugin's class is the whole declaration, and every part of backpub follows it.

A project's local plugin registers a `myth` kind (`register_kinds`); its files are validated (located errors,
references, reading level), `backpub new` and `backpub schema` offer it, the JSON carries it and the site gives it
pages from the generic template. A second test lists the places that name the built-in kinds: none outside the
registry, the templates and the catalogues.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest

from backpub.build import build
from backpub.errors import PluginError
from backpub.model.kinds import BUILT_IN, KindError, Kinds
from backpub.plugins import make_host
from backpub.session import Session
from backpub_testkit import REPO, ROOTS, edit, made_once

AS_OF = "2026-11-25"
MYTHS = '''\
"""A kind of entity added by the project: myths readers believe, and what is true instead."""

from backpub import N_, Entity, Prose, Scaffold, hookimpl


class Myth(Entity):
    """A common belief about back pain that the evidence does not support."""

    kind = "myth"
    folder = "myths"
    label = N_("Myth")
    plural = N_("Myths")
    intro = N_("what people often believe, and what is true instead.")
    scaffold = Scaffold('summary: {{ todo("the myth in one sentence") }}\\ntruth: {{ todo("what is true") }}', "why")

    summary: Prose
    """The myth in one sentence."""
    truth: Prose
    """What is true instead."""


@hookimpl
def register_kinds():
    return [Myth]
'''
MYTH = """\
---
title: Rest is best
summary: Many people think lying still is the way to heal a sore back.
truth: Gentle movement helps the back recover sooner than bed rest.
reviewed: 2026-11-01
reviewer: A. Reviewer
---
Staying active within what is comfortable is what the programme asks of you.
"""


def project_with_myths(root: Path) -> Path:
    shutil.copytree(ROOTS / "minimal" / "content", root / "content")
    (root / "local_plugins").mkdir()
    (root / "local_plugins" / "myths.py").write_text(MYTHS)
    (root / "content" / "myths").mkdir()
    (root / "content" / "myths" / "rest-is-best.md").write_text(MYTH)
    edit(
        root / "content" / "handouts" / "first-steps.md",
        "entities: [back-not-leg]",
        "entities: [back-not-leg, rest-is-best]",
    )
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def make(folder: Path) -> None:
        project = project_with_myths(folder / "project")
        build(project / "content", formats=["json", "site"], as_of=__import__("datetime").date.fromisoformat(AS_OF))

    return made_once(tmp_path_factory, "kinds-myths", make) / "project"


def test_hook_register_kinds_adds_a_kind_that_is_validated_in_the_json_and_on_the_site(built: Path) -> None:
    document = json.loads((built / "outputs" / "json" / "programme.json").read_text())
    (myth,) = document["entities"]["myths"]
    assert myth["kind"] == "myth" and myth["truth"].startswith("Gentle movement")
    assert myth["url"] == "https://minimal.example.org/myths/rest-is-best/"
    page = (built / "outputs" / "site" / "myths" / "rest-is-best" / "index.html").read_text()
    assert "<h1>Rest is best</h1>" in page and "Staying active within what is comfortable" in page
    index = (built / "outputs" / "site" / "myths" / "index.html").read_text()
    assert "what people often believe, and what is true instead" in index.lower()
    assert 'href="myths/"' in (built / "outputs" / "site" / "index.html").read_text()  # in the navigation


def test_a_new_kinds_files_get_located_errors_and_its_references_their_kinds(tmp_path: Path) -> None:
    project = project_with_myths(tmp_path / "project")
    edit(project / "content" / "myths" / "rest-is-best.md", "truth: Gentle", "truths: Gentle")
    edit(project / "content" / "mistakes" / "stretching.md", "instead: [ice]", "instead: [ice, rest-is-best]")
    (project / "content" / "myths" / "ok.md").write_text(MYTH)
    edit(project / "content" / "mistakes" / "stretching.md", "instead: [ice, rest-is-best]", "instead: [ice, ok]")
    messages = [f"{p.path}:{p.line}: {p.message}" for p in Session(project / "content").validation.errors]
    assert any(m.endswith("rest-is-best.md:4: unknown field 'truths'; did you mean 'truth'?") for m in messages)
    assert any(":9: 'ok' is a myth, but this field takes a protocol" in m for m in messages), messages


def test_a_new_kinds_prose_is_proofread_and_new_and_schema_offer_it(tmp_path: Path, run_cli) -> None:
    project = project_with_myths(tmp_path / "project")
    validation = Session(project / "content").validation
    assert any(str(reading["path"]).endswith("myths/rest-is-best.md") for reading in validation.readability)
    assert validation.counts["myths"] == 1
    shown = run_cli("new", "myth", "sitting-hurts", "--content", "content", cwd=project)
    assert shown.exit_code == 0, shown.output
    written = (project / "content" / "myths" / "sitting-hurts.md").read_text()
    assert 'summary: "TODO: the myth in one sentence"\ntruth: "TODO: what is true"\n---\nTODO: why\n' in written
    schema = json.loads(run_cli("schema", "--kind", "myth", cwd=project).output)
    assert set(schema["required"]) == {"title", "summary", "truth"}


def test_a_kind_must_declare_itself_and_not_take_another_kinds_folder(tmp_path: Path) -> None:
    from backpub import N_, Concept, Scaffold

    class Idea(Concept):
        kind, folder = "idea", "concepts"
        label, plural = N_("Idea"), N_("Ideas")
        scaffold = Scaffold("", "")

    with pytest.raises(KindError, match="folder 'concepts' is already Concept's"):
        BUILT_IN.plus([Idea])
    plugin = tmp_path / "local_plugins"
    plugin.mkdir()
    (plugin / "ideas.py").write_text(
        "from backpub import Concept, hookimpl\n\nclass Idea(Concept):\n    kind = 'idea'\n    folder = 'ideas'\n\n"
        "@hookimpl\ndef register_kinds():\n    return [Idea]\n"
    )
    with pytest.raises(PluginError, match=r"local:ideas.*register_kinds: Idea does not declare its label, plural"):
        make_host(project_dir=tmp_path, entrypoints=False).kinds()
    assert isinstance(make_host(entrypoints=False).kinds(), Kinds)


# -- the listing: which modules name the built-in kinds -------------------------------------------------------------

REGISTRY = {"src/backpub/model/entities.py", "src/backpub/model/__init__.py", "src/backpub/api.py"}
"""Where the kinds are declared (the classes and their registry), and the public API that offers the classes."""
NAMES = {name for cls in BUILT_IN for name in (cls.kind, cls.folder)}
CLASSES = {cls.__name__: cls.kind for cls in BUILT_IN}
MOST = 4
"""A module may pick out a few kinds for what it does with them (an issue of the newsletter: an episode, a protocol
and a mistake; the PDF's handouts, their clinics' editions, the episode a QR code points to and the protocols that
order a pack); naming more, half the kinds, is listing them, which only the registry does."""


def kinds_named(source: str) -> set[str]:
    """The built-in kinds a module names: as a string literal (a kind or its folder) or by its class."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and node.value in NAMES:
            found.add(str(node.value).removesuffix("s"))
        elif isinstance(node, ast.Name) and node.id in CLASSES:
            found.add(CLASSES[node.id])
        elif isinstance(node, ast.alias) and node.name in CLASSES:
            found.add(CLASSES[node.name])
    return found


def test_no_module_outside_the_registry_lists_the_kinds() -> None:
    modules = sorted([*(REPO / "src").rglob("*.py"), *(REPO / "plugins").rglob("*.py")])
    listing = {
        str(path.relative_to(REPO)): sorted(named)
        for path in modules
        if str(path.relative_to(REPO)) not in REGISTRY and len(named := kinds_named(path.read_text())) > MOST
    }
    assert listing == {}, "these modules list the kinds; derive from the registry (backpub.model.kinds) instead"


def test_the_listing_sees_strings_and_classes() -> None:
    source = 'from backpub import Concept, Mistake\nFOLDERS = ("protocols", "treatments")\nx = "concept"\n'
    assert kinds_named(source) == {"concept", "mistake", "protocol", "treatment"}
