"""Checks across entities, run once every file has loaded: references, assets, Markdown, reviews, order."""

from __future__ import annotations

from collections.abc import Collection
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from backpub.content import audio, chapters, gate
from backpub.content.assetpolicy import asset_problem
from backpub.content.gate import Pending
from backpub.files.loading import Record
from backpub.model import Entity, Episode, Programme, Protocol, fields
from backpub.model.kinds import Kinds
from backpub.model.messages import dotted, suggest
from backpub.text import markdown
from backpub.text.urlpolicy import asset_path_problem


class CrossChecks:
    """The loader's checks that look at more than one file; mixed into the loader, whose state they read."""

    # The loader's state these checks read and add to (see backpub.content.validation._Loader).
    content_dir: Path
    kinds: Kinds
    records: dict[str, Record]
    entities: list[Entity]
    invalid_ids: set[str]
    pending: list[Pending]

    def error(self, record: Record | str, line: int, col: int, message: str, entity: str | None = None) -> None:
        raise NotImplementedError  # the loader reports the problem

    def _check_programme_assets(self, programme: Programme) -> None:
        record = self.records["programme"]
        for loc, path in fields.asset_paths(programme):
            self._check_asset(record, loc, path, None)
        for key in ("disclaimer", "introduction", "call_to_action"):
            self._check_markdown(record, (key,), getattr(programme, key), None)
        for code, country in programme.countries.items():
            self._check_markdown(record, ("countries", code, "urgent_help"), country.urgent_help, None)
            if country.disclaimer:
                self._check_markdown(record, ("countries", code, "disclaimer"), country.disclaimer, None)
        self.pending += gate.placeholder_facts(record, None)
        for kind in programme.wording.intros:
            if kind not in self.kinds.by_kind:
                message = f"wording.intros: unknown kind {kind!r}" + suggest(kind, self.kinds.names)
                self.error(record, *record.mark(("wording", "intros", kind), key=True), message)
        if programme.default_country not in programme.countries:
            known = ", ".join(sorted(programme.countries))
            message = f"default_country {programme.default_country!r} has no notice among the countries ({known})"
            self.error(record, *record.mark(("default_country",)), message)

    def _cross_check(self, programme: Programme) -> None:
        ids = {entity.id: entity for entity in self.entities}
        self._check_unique_episodes()
        self._check_protocol_order()
        self._read_audio_facts()
        for entity in self.entities:
            record = self.records[entity.id]
            self._check_references(entity, record, ids)
            self._check_assets(entity, record, ids)
            self._check_body(entity, record, ids)
            self._check_country(entity, record, programme)
            self.pending.append(
                gate.review_facts(entity.id, entity.reviewed, entity.reviewer, record, programme.review_interval_months)
            )
            self.pending += gate.placeholder_facts(record, entity.id)
            self._check_declared(entity, record, programme)
            self._check_access(entity, record, programme)
            for loc, message in chapters.problems(entity) if isinstance(entity, Episode) else ():
                self.error(record, *record.mark(loc), message, entity.id)
            if isinstance(entity, Episode) and entity.release.weekday() != 6:
                day = entity.release.strftime("%A")
                self.error(
                    record,
                    *record.mark(("release",)),
                    f"episode release {entity.release.isoformat()} is a {day}; episodes go out on Sundays",
                    entity.id,
                )

    def _check_access(self, entity: Entity, record: Record, programme: Programme) -> None:
        """A members-only entity needs a teaser to show the public, and a membership page to send them to."""
        if not fields.members_only(entity):
            return
        if fields.teaser_field(type(entity)) is None:
            message = f"a {entity.kind} cannot be members-only: its kind has no teaser to show everyone else"
            self.error(record, *record.mark(("access",)), message, entity.id)
        elif programme.membership_url is None:
            message = (
                "access: members needs programme.yaml `membership_url`, the page where readers become members "
                "(every public output links to it instead of the members-only content)"
            )
            self.error(record, *record.mark(("access",)), message, entity.id)

    def _read_audio_facts(self) -> None:
        """Fill in size and duration from local audio files (missing ones are reported by the asset check)."""
        self.entities[:], unreadable = audio.fill_in(
            self.entities, self.content_dir, lambda relative: self._asset_file_problem(relative) is None
        )
        for entity_id, message in unreadable.items():
            record = self.records[entity_id]
            self.error(record, *record.mark(("audio", "file")), f"audio.file: {message}", entity_id)

    def _check_protocol_order(self) -> None:
        """Prerequisites and progressions must describe an order: a protocol cannot come before itself."""
        protocols = {e.id: e for e in self.entities if isinstance(e, Protocol)}
        later: dict[str, set[str]] = {pid: set() for pid in protocols}
        for pid, protocol in protocols.items():
            for before in protocol.prerequisites:
                later.setdefault(before, set()).add(pid)
            later[pid].update(protocol.progressions)
        for loop in _loops(later, first_among=protocols):
            start = loop[0]
            record = self.records[start]
            field = "prerequisites" if protocols[start].prerequisites else "progressions"
            path = " -> ".join([*loop, loop[0]])
            message = f"prerequisites and progressions go round in a loop: {path}"
            self.error(record, *record.mark((field,), key=True), message, start)

    def _check_unique_episodes(self) -> None:
        for attribute in ("number", "guid"):
            seen: dict[object, str] = {}
            for episode in sorted((e for e in self.entities if isinstance(e, Episode)), key=lambda e: e.id):
                value = getattr(episode, attribute)
                if value in seen:
                    record = self.records[episode.id]
                    message = f"duplicate episode {attribute} {value!r}: episode {seen[value]!r} already uses it"
                    self.error(record, *record.mark((attribute,)), message, episode.id)
                else:
                    seen[value] = episode.id

    def _check_references(self, entity: Entity, record: Record, ids: dict[str, Entity]) -> None:
        for loc, target, marker in fields.references(entity):
            found = ids.get(target)
            if (found is not None and marker.accepts(type(found))) or target in self.invalid_ids:
                continue
            kinds = self.kinds.allowed(marker) if marker.kinds or marker.library else []
            wanted = " or ".join(kinds) if kinds else "entity"
            if found is None:
                candidates = [i for i, e in ids.items() if marker.accepts(type(e))]
                message = f"unknown {wanted} {target!r}" + suggest(target, candidates)
            else:
                message = f"{target!r} is {_a(found.kind)}, but this field takes {_a(wanted)}"
            self.error(record, *record.mark(loc), message, entity.id)

    def _check_assets(self, entity: Entity, record: Record, ids: dict[str, Entity]) -> None:
        for loc, path in fields.asset_paths(entity):
            self._check_asset(record, loc, path, entity.id)
        for loc, text in fields.markdown_texts(entity):
            if loc != ("body",):
                self._check_markdown(record, loc, text, entity.id, ids)

    def _check_asset(self, record: Record, loc: tuple, relative: str, entity_id: str | None) -> None:
        problem = asset_path_problem(relative)
        if problem is None:
            problem = self._asset_file_problem(relative)
        if problem:
            self.error(record, *record.mark(loc), f"{dotted(loc)}: {problem}", entity_id)

    def _asset_file_problem(self, relative: str) -> str | None:
        path = self.content_dir / relative
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return f"file {relative!r} does not exist in the content folder"
        if not resolved.is_relative_to(self.content_dir):
            return f"{relative!r} points outside the content folder (a symlink?); refused"
        if not resolved.is_file():
            return f"{relative!r} is not a file"
        unsafe = asset_problem(resolved)  # one asset policy, whatever field or format names the file
        return f"{relative!r} {unsafe}" if unsafe else None

    def _check_body(self, entity: Entity, record: Record, ids: dict[str, Entity]) -> None:
        self._check_markdown(record, ("body",), entity.body, entity.id, ids)

    def _check_markdown(
        self, record: Record, loc: tuple, text: str, entity_id: str | None, ids: dict[str, Entity] | None = None
    ) -> None:
        if not text:
            return
        issues, links = markdown.scan(text)
        if loc == ("body",):
            first_line, col = record.body_line, 1
        else:
            first_line, col = record.mark(loc)
            first_line += 1 if text.count("\n") else 0  # block scalars start on the next line
        for issue in issues:
            self.error(record.display_path, first_line + issue.line, col, issue.message, entity_id)
        known = ids if ids is not None else {entity.id: entity for entity in self.entities}
        for line, target in links:
            if target not in known and target not in self.invalid_ids:
                message = f"link to unknown entity '@{target}'" + suggest(target, list(known))
                self.error(record.display_path, first_line + line, col, message, entity_id)
        for line, path in markdown.local_images(text):
            problem = self._asset_file_problem(path)
            if problem:
                self.error(record.display_path, first_line + line, col, f"image {problem}", entity_id)

    def _check_declared(self, entity: Entity, record: Record, programme: Programme) -> None:
        """Values the programme must declare (a protocol's phase, a treatment's kind) are among those it does."""
        for loc, value, marker in fields.declared(entity):
            choices = marker.choices(programme)
            if value in choices:
                continue
            if choices:
                message = f"unknown {marker.what} {value!r}" + suggest(value, choices)
            else:
                message = (
                    f"unknown {marker.what} {value!r}: programme.yaml declares none yet; declare them under "
                    f"'{marker.where.replace('.', ': ')}:' and use one's id here (see docs/changes.md)"
                )
            self.error(record, *record.mark(loc), message, entity.id)

    def _check_country(self, entity: Entity, record: Record, programme: Programme) -> None:
        """A clinic's country must have its urgent-help notice: its patients are told where to get help there."""
        country = getattr(entity, "country", None)
        if entity.kind != "clinic" or country in programme.countries:
            return
        known = ", ".join(sorted(programme.countries))
        message = (
            f"country {country!r} has no urgent-help notice: add it to programme.yaml under 'countries: {country}:' "
            f"(there are notices for {known})"
        )
        self.error(record, *record.mark(("country",)), message, entity.id)


# ---------------------------------------------------------------------------------------------
# helpers


def _loops(later: dict[str, set[str]], first_among: Collection[str]) -> list[list[str]]:
    """Every loop in the 'comes before' graph, once: each starts at its smallest id in `first_among`; a loop that
    shares a node with one already found is not reported again (fixing one often fixes the other)."""
    graph = {node: set(after) for node, after in later.items()}
    loops: list[list[str]] = []
    while True:
        sorter: TopologicalSorter[str] = TopologicalSorter()
        for node in sorted(graph):  # sorted, so the loop graphlib finds does not depend on set order
            for after in sorted(graph[node]):
                sorter.add(after, node)
        try:
            sorter.prepare()
        except CycleError as exc:
            cycle = exc.args[1][:-1]  # graphlib gives [a, b, ..., a], each node before the next
        else:
            return loops
        first = cycle.index(min(node for node in cycle if node in first_among))
        loops.append(cycle[first:] + cycle[:first])
        graph = {node: after - set(cycle) for node, after in graph.items() if node not in cycle}


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"
