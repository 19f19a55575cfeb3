"""Dependencies by field: a PDF is rendered again exactly when a field it prints changes.

Each PDF's HTML (what WeasyPrint lays out) stands for its bytes: the engine's fingerprint of a job must change
when, and only when, that HTML changes. Checked on the full test programme (tests/roots/back-in-shape) by editing every field of one entity of
each kind, without laying anything out."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
import typing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pdf_support import AS_OF
from pydantic import BaseModel

from backpub import Clinic, Episode, Handout, Mistake, Protocol, Publication, Session
from backpub.engine.engine import Engine
from backpub.files.cache import Store
from backpub_pdf.planning import shown_entities
from backpub_testkit import FULL_PROGRAMME

OVER_APPROXIMATED = {("protocol", "phase")}
"""Fields a job may depend on without printing them: a pack's order reads its protocols' phases, and moving one
to another phase does not always move its handout."""


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("full")
    shutil.copytree(FULL_PROGRAMME, folder / "content")
    session = Session(folder / "content", as_of=AS_OF)
    publication = session.publication
    pdf = session.formats(["pdf"])["pdf"]
    pdf.prepare(publication)
    full = pdf, publication, folder / "outputs"
    return (*full, outcome(full, publication), outcome(full, publication, intermediates=True))


def outcome(full, publication: Publication, intermediates: bool = False) -> dict[str, tuple[str, str]]:
    """{output: (the engine's fingerprint, what the PDF is made from)} for every PDF: its HTML, and for a PDF made
    from other files (a pack from its handouts' PDFs, a stamped edition or pack from its shared layout and branding,
    intermediate files) what each of those is made from. With `intermediates`, the intermediate files too: the build
    cache keeps them by fingerprint, so a fingerprint that missed a change would stamp editions on a stale one."""
    pdf, _, outputs = full[:3]
    engine = Engine(publication, {"pdf": pdf}, outputs, Store(None))
    planned = {item.job.output: item for item in engine.plan()}
    html = {output: pdf._renderer.document(item.job, publication).html() for output, item in planned.items()}

    def made_from(output: str) -> list[str]:
        return [html[output], *(part for needed in planned[output].job.inputs for part in made_from(needed))]

    return {
        output: (item.fingerprint, "\n".join(made_from(output)))
        for output, item in planned.items()
        if intermediates or not item.job.intermediate  # (else part of what the PDFs made from them are made from)
    }


def with_entity(publication: Publication, entity_id: str, **changes: Any) -> Publication:
    """The publication with one entity's fields changed (and its whole-entity hash with them)."""
    entity = publication.get(entity_id).model_copy(update=changes)
    entities = tuple(entity if other.id == entity_id else other for other in publication.entities)
    data = json.dumps(entity.model_dump(mode="json"), sort_keys=True).encode()
    hashes = {**publication.hashes, entity_id: hashlib.sha256(data).hexdigest()[:20]}
    return dataclasses.replace(publication, entities=entities, hashes=hashes)


def changed(full, publication: Publication, intermediates: bool = False) -> tuple[set[str], set[str]]:
    """(outputs whose fingerprint changed, outputs whose HTML changed) against the full test programme."""
    before, after = full[4 if intermediates else 3], outcome(full, publication, intermediates)
    outputs = {name for name in before.keys() | after.keys() if not name.startswith(".shared/")}
    assert outputs <= before.keys() & after.keys()
    # (an edit may plan other intermediate files, e.g. a clinic on other paper: one planned anew is rendered anew)
    none = ("", "")
    return (
        {name for name in before.keys() | after.keys() if before.get(name, none)[0] != after.get(name, none)[0]},
        {name for name in before.keys() | after.keys() if before.get(name, none)[1] != after.get(name, none)[1]},
    )


def edited(value: Any, name: str, publication: Publication, owner: type[BaseModel] | None = None) -> Any:
    """A different valid value of the same shape, or None when there is no simple one (the field is left alone)."""
    choices = allowed(owner, name)
    if choices:
        return next((choice for choice in choices if choice != value), None)
    if name == "phase":
        return next(phase.id for phase in publication.programme.phases if phase.id != value)
    if name == "treatment_kind":
        return next(kind for kind in publication.programme.wording.treatment_kinds if kind != value)
    if name == "country":
        return next((code for code in publication.programme.countries if code != value), None)
    if isinstance(value, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        return "#123456" if value != "#123456" else "#654321"
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, date):
        return value - timedelta(days=400)
    if isinstance(value, str):
        # An id of another entity (a reference) cannot take just any text: drop it instead.
        return None if value in publication.by_id else value + " (edited)"
    if isinstance(value, BaseModel):
        for inner, inner_value in value:
            new = edited(inner_value, inner, publication, type(value)) if inner_value is not None else None
            if new is not None:
                return value.model_copy(update={inner: new})
        return None
    if isinstance(value, (list, tuple)) and value:
        if isinstance(value[0], str) and value[0] in publication.by_id:
            return type(value)(value[:-1])
        first = edited(value[0], name, publication)
        return None if first is None else type(value)([first, *value[1:]])
    return None


def allowed(owner: type[BaseModel] | None, name: str) -> tuple[Any, ...]:
    """The values a Literal field allows (none for other fields)."""
    if owner is None or name not in owner.model_fields:
        return ()
    annotation = owner.model_fields[name].annotation
    for option in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(option) is typing.Literal:
            return typing.get_args(option)
    return ()


def representatives(publication: Publication) -> list[str]:
    """One entity of each kind a handout shows, a protocol other handouts name only by title, the episode,
    a handout and a clinic."""
    shown = [entity for handout in publication.handouts for entity in shown_entities(publication, handout)]
    named = {target for mistake in publication.mistakes for target in mistake.instead}
    chosen = {}
    for entity in shown:
        if not isinstance(entity, Protocol) or entity.id in named:
            chosen.setdefault(entity.kind, entity.id)
    chosen["episode"] = publication.of(Episode)[0].id
    chosen["handout"] = publication.of(Handout)[0].id
    chosen["clinic"] = publication.of(Clinic)[0].id
    return list(chosen.values())


def test_a_pdf_is_rendered_again_exactly_when_a_field_it_prints_changes(full):
    publication = full[1]
    tried = 0
    for entity_id in representatives(publication):
        entity = publication.get(entity_id)
        for name, value in entity:
            new = None if name == "id" or value is None else edited(value, name, publication, type(entity))
            if new is None or new == value:
                continue
            tried += 1
            rerendered, differs = changed(full, with_entity(publication, entity_id, **{name: new}), intermediates=True)
            where = f"{entity_id}.{name}"
            assert differs <= rerendered, f"{where}: printed by {sorted(differs - rerendered)}, which did not change"
            if (entity.kind, name) not in OVER_APPROXIMATED:
                assert rerendered == differs, (
                    f"{where}: re-renders {sorted(rerendered - differs)}, which do not show it"
                )
    print(f"{tried} field edits tried")
    assert tried >= 40  # every kind's fields were tried, not just a few


def test_editing_the_episodes_article_re_renders_no_pdf(full):
    publication = full[1]
    episode = publication.of(Episode)[0]
    assert all(handout.episode == episode.id for handout in publication.handouts)  # every handout names it
    for name in ("body", "show_notes", "summary"):
        rerendered, _ = changed(full, with_entity(publication, episode.id, **{name: "Rewritten."}))
        assert rerendered == set(), name
    rerendered, differs = changed(full, with_entity(publication, episode.id, title="A new title"))
    assert rerendered == differs and len(rerendered) == len(full[3]) == 11  # all 11 show it


def test_a_protocols_steps_re_render_only_the_pdfs_that_print_them(full):
    publication = full[1]
    named = {target for mistake in publication.mistakes for target in mistake.instead}
    protocol = next(protocol for protocol in publication.protocols if protocol.id in named)
    showing = {handout.id for handout in publication.handouts if protocol in shown_entities(publication, handout)}
    naming = {
        handout.id
        for handout in publication.handouts
        if any(
            isinstance(entity, Mistake) and protocol.id in entity.instead
            for entity in shown_entities(publication, handout)
        )
    }
    assert naming - showing, "the programme has a handout that names this protocol only by its title"

    def editions(handouts: set[str]) -> set[str]:
        return {output for output in full[3] if Path(output).stem in handouts | {"pack"}}

    steps, printed = changed(full, with_entity(publication, protocol.id, steps=[*protocol.steps, "One more."]))
    assert steps == printed == editions(showing)
    title, printed = changed(full, with_entity(publication, protocol.id, title="A new title"))
    assert title == printed == editions(showing | naming)
    assert title > steps


def test_a_booklet_depends_on_every_field_of_what_it_shows(full):
    """A booklet prints every explanation in full: its entries' bodies re-render it (and the packs holding it)."""
    publication = full[1]
    handout = publication.handouts[0]
    booklet = with_entity(publication, handout.id, layout="booklet")
    before = outcome(full, booklet)
    for entity in shown_entities(booklet, handout)[:3]:
        after = outcome(full, with_entity(booklet, entity.id, body=entity.body + "\n\nOne more paragraph."))
        rerendered = {name for name in before if before[name][0] != after[name][0]}
        differs = {name for name in before if before[name][1] != after[name][1]}
        assert differs and differs == rerendered, entity.id
