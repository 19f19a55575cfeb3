"""A handout's length is a budget: its printed editions may take `sheets` sheets, printed on both sides.

Only a layout knows how many pages an edition takes. Every edition a build renders is laid out anyway, so the
render keeps what its layout found (the page count, and on which page each entry starts) in the build cache,
under a digest of what the handout's plain edition in that paper and country is made from, as its job declares
it (see `layout_key`). The clinic's branding sits in a band of one size, so every edition in the same paper
breaks its pages as the plain one does.

- A build leaves the check to its renders: the format's `finish` reads what they found and warns.
- `backpub validate`, which renders nothing, reads the same records, and lays out (then keeps) only the plain
  editions no build has laid out since they last changed: about half a second each, once.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backpub import Clinic, Handout, Problem, Publication, atomic_write

if TYPE_CHECKING:
    from backpub_pdf.planning import Footprint

RECORDS_FOLDER = "pdf-layouts"
"""The build cache's folder for layout records."""
END_ANCHOR = "end"
"""The anchor of a handout's end matter (where to learn more, About this handout): see _handout.html.j2."""
PAGES_PER_SHEET = 2


@dataclass(frozen=True)
class Edition:
    """What sets an edition's pages apart, branding aside: its paper, and the country whose urgent-help notice
    (and disclaimer) it prints."""

    paper: str
    country: str


def edition_of(publication: Publication, clinic: Clinic | None, default_paper: str) -> Edition:
    """A clinic's editions, or (without a clinic) the unbranded ones: in the programme's default country."""
    if clinic is None:
        return Edition(default_paper, publication.programme.default_country)
    return Edition(clinic.paper, clinic.country)


@dataclass(frozen=True)
class PageFacts:
    """What a handout's layout found: its pages, and the anchors (entries, the end matter) each page starts."""

    anchors: tuple[tuple[str, ...], ...]

    @property
    def pages(self) -> int:
        return len(self.anchors)

    @classmethod
    def of(cls, document: Any) -> PageFacts:
        """The facts of a laid-out WeasyPrint document of one handout."""
        return cls(tuple(tuple(page.anchors) for page in document.pages))

    def beyond(self, pages: int) -> list[str]:
        """The anchors that start after the first `pages` pages, and the one whose entry runs on into them."""
        started_before = [anchor for page in self.anchors[:pages] for anchor in page]
        late = [anchor for page in self.anchors[pages:] for anchor in page]
        if pages < self.pages and not self.anchors[pages] and started_before:
            late.insert(0, started_before[-1])  # an entry that runs over onto the first page beyond
        return late

    def as_json(self) -> bytes:
        return json.dumps({"anchors": [list(page) for page in self.anchors]}).encode()

    @classmethod
    def from_json(cls, data: bytes) -> PageFacts | None:
        try:
            anchors = json.loads(data)["anchors"]
            return cls(tuple(tuple(str(name) for name in page) for page in anchors))
        except (ValueError, KeyError, TypeError):
            return None


class LayoutRecords:
    """What layouts found, by layout key, in the build cache (a missing or damaged record is a miss)."""

    def __init__(self, cache_dir: Path | None) -> None:
        self.folder = cache_dir / RECORDS_FOLDER if cache_dir else None

    def get(self, key: str) -> PageFacts | None:
        if self.folder is None:
            return None
        try:
            return PageFacts.from_json((self.folder / f"{key}.json").read_bytes())
        except OSError:
            return None

    def put(self, key: str, facts: PageFacts) -> None:
        if self.folder is not None:
            atomic_write(self.folder / f"{key}.json", facts.as_json())


def layout_key(publication: Publication, handout: Handout, edition: Edition, shows: Footprint, environment: str) -> str:
    """A digest of everything the layout of a handout's plain edition depends on, as its job declares it (the same
    footprint the build's fingerprints use): the fields it prints, the images, whether its episode is out, the
    programme's settings and links, the paper and country, and the templates, stylesheets, fonts, words and code it
    is made with (`environment`). Worked out without writing the document."""
    fields = {
        entity_id: {name: publication.field_hashes(entity_id)[name] for name in sorted(names)}
        for entity_id, names in sorted(shows.fields.items())
        if entity_id not in shows.entities
    }
    payload = {
        "handout": handout.id,
        "edition": [edition.paper, edition.country],
        "environment": environment,
        "programme": publication.programme_hash,
        "links": sorted(publication.links.items()),
        "entities": {entity_id: publication.hashes[entity_id] for entity_id in sorted(shows.entities)},
        "fields": fields,
        "assets": {asset: _file_digest(publication.asset(asset)) for asset in sorted(shows.assets)},
        "released": shows.episode_released,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def environment_digest(files: frozenset[Path]) -> str:
    """A digest of the files a document is made and laid out with (templates, stylesheets, fonts, catalogues, the
    plugin's code) and of WeasyPrint's version; remembered by the files' sizes and times, so hashing them costs
    once per process."""
    stamps = []
    for path in sorted(files):
        try:
            info = path.stat()
            stamps.append((str(path), info.st_size, info.st_mtime_ns))
        except OSError:
            stamps.append((str(path), -1, -1))
    return _environment_digest(tuple(stamps))


@functools.lru_cache(maxsize=16)
def _environment_digest(stamps: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256(version("weasyprint").encode())
    for name, _size, _time in stamps:
        digest.update(name.encode())
        digest.update(_file_digest(Path(name)).encode())
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


# -- the warning --------------------------------------------------------------------------------------


def overflow(
    publication: Publication, handout: Handout, facts: PageFacts, edition_names: list[str], paper: str
) -> str | None:
    """The warning's words when an edition runs over the handout's budget, naming what does not fit (None when
    it fits)."""
    budget = handout.sheets * PAGES_PER_SHEET
    if facts.pages <= budget:
        return None
    titles = [_title(publication, anchor) for anchor in facts.beyond(budget)]
    named = ", ".join(dict.fromkeys(title for title in titles if title))
    editions = ", ".join(edition_names)
    sheets = f"{handout.sheets} sheet{'s' if handout.sheets != 1 else ''}"
    return (
        f"the {paper} edition ({editions}) takes {facts.pages} pages, more than its budget of {sheets} "
        f"({budget} pages, printed on both sides); beyond page {budget}: {named or 'the end matter'}. "
        f"Take something out of the handout, or give it more `sheets`"
    )


def _title(publication: Publication, anchor: str) -> str:
    if anchor == END_ANCHOR:
        return "the end matter (where to learn more, About this handout)"
    try:
        return f"'{publication.get(anchor).title}'"
    except KeyError:
        return ""


def budget_problems(fmt: Any, publication: Publication, measure: Any) -> list[Problem]:
    """A warning, located at the handout, for each handout one of whose editions runs over its budget.

    `measure(handout, edition)` gives what the plain edition's layout found (None when unknown)."""
    problems = []
    for handout in publication.handouts:
        if publication.withheld(handout):
            continue  # members-only: no public edition to lay out
        for edition, names in editions(fmt, publication).items():
            facts = measure(handout, edition)
            message = overflow(publication, handout, facts, names, edition.paper) if facts else None
            if message:
                problems.append(fmt.problem(publication, handout.id, message, severity="warning"))
    return problems


def editions(fmt: Any, publication: Publication) -> dict[Edition, list[str]]:
    """Every edition the format makes of a handout, by what sets their pages apart, with their names."""
    found: dict[Edition, list[str]] = {edition_of(publication, None, fmt.options.paper): ["unbranded"]}
    for clinic in publication.clinics:
        found.setdefault(edition_of(publication, clinic, fmt.options.paper), []).append(clinic.title)
    return found
