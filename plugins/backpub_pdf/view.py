"""The data the PDF templates receive: handouts, their entries and the clinic, ready to print.

Everything a template needs is computed here (Markdown as sanitised HTML, links, the dose, colours), so
templates, including a project's own theme, only arrange it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from backpub import Clinic, Dose, Entity, Handout, Messages, Protocol, Publication, ResolvedPrescription, Treatment
from backpub import render as render_markdown
from backpub_pdf.fetching import virtual_url
from backpub_pdf.planning import review_date


@dataclass(frozen=True)
class Link:
    """A link to another entity: inside this document (an anchor, with its page) or to the programme's site."""

    title: str
    href: str

    @property
    def internal(self) -> bool:
        return self.href.startswith("#")

    @property
    def printed(self) -> str:
        """The address as a reader would type it."""
        return self.href.removeprefix("https://")


@dataclass(frozen=True)
class Picture:
    """An image with its URL for the renderer and its description."""

    url: str
    alt: str
    caption: str | None = None


@dataclass(frozen=True)
class DoseBox:
    """A protocol's dose as the patient reads it: the parts the content gives, and lines for the clinician to
    write in what it does not give (never a figure the source does not state)."""

    parts: list[tuple[str, str]]
    """(label, value) in reading order, in the programme's language."""
    write_in: str | None
    """What the clinician writes in: 'times-a-day' (how often), 'times' (how many), 'both', or None."""
    changes: Mapping[int, str | None] = field(default_factory=dict)
    """On a prescription, the parts (by position in `parts`) the clinician set otherwise than the programme, each
    with the programme's own value (None where the programme gives none)."""

    @classmethod
    def of(
        cls, dose: Dose | None, words: Messages, programme: Dose | None = None, changed: frozenset[str] = frozenset()
    ) -> DoseBox:
        """The box of a dose; on a prescription, `programme` is the programme's own dose and `changed` names the
        parts ('duration', 'sets', ...) prescribed otherwise."""
        parts = dose.parts(words) if dose else []
        no_frequency = dose is None or not dose.frequency
        no_amount = dose is None or not (dose.duration or dose.repetitions or dose.sets)
        write_in = {(True, True): "both", (True, False): "times-a-day", (False, True): "times"}.get(
            (no_frequency, no_amount)
        )
        theirs = (
            dict(zip(programme.given(), (value for _, value in programme.parts(words)), strict=True))
            if programme
            else {}
        )
        names = list(dose.given()) if dose else []  # the same parts, in the same order, as `parts`
        changes = {index: theirs.get(name) for index, name in enumerate(names) if name in changed}
        return cls(parts, write_in, changes)


@dataclass
class Entry:
    """One entity as a handout shows it."""

    entity: Entity
    anchor: str | None
    body: Markup
    analogy: Markup | None = None
    instead: list[Link] = field(default_factory=list)
    before: list[Link] = field(default_factory=list)
    next_steps: list[Link] = field(default_factory=list)
    image: Picture | None = None
    phase: str | None = None
    label: str = ""
    """What kind of entry this is, in the programme's language ('Key idea')."""
    treatment_kind: str | None = None
    """A treatment's kind in the programme's language."""
    dose: DoseBox | None = None
    """A protocol's dose box."""
    key: str = ""
    """Names the entry within its handout (unique, unlike the anchor a repeated entity has only once): the layout
    finds a protocol's steps by it."""
    long: bool = False
    """Whether the protocol is longer than a page, so it flows on between two steps (found by a first layout)."""
    continued: frozenset[int] = frozenset()
    """The (0-based) steps of a long protocol that open a page, each after its title repeated ("continued")."""
    members: Link | None = None
    """Where to become a member, for a members-only entity: the handout shows its title and teaser and this."""
    note: str | None = None
    """On a prescription, the clinician's note for the patient."""
    online: QrCode | None = None
    """On a prescription, a QR code and printed link to the protocol's page on the programme's site."""

    @property
    def kind(self) -> str:
        return self.entity.kind


@dataclass(frozen=True)
class Block:
    """A run of a section's entries laid out together: one protocol across the page (its steps beside its picture),
    or cards side by side in columns of a comfortable line length."""

    kind: str
    """'protocol' or 'cards'."""
    entries: list[Entry]

    @property
    def rows(self) -> list[list[Entry]]:
        """Cards two by two, each pair side by side (read left, then right)."""
        return [self.entries[start : start + 2] for start in range(0, len(self.entries), 2)]


@dataclass
class Section:
    heading: str
    intro: Markup
    entries: list[Entry]

    @property
    def blocks(self) -> list[Block]:
        """The entries in order, each protocol a block of its own and the cards between them grouped."""
        blocks: list[Block] = []
        for entry in self.entries:
            if entry.kind == "protocol":
                blocks.append(Block("protocol", [entry]))
            elif blocks and blocks[-1].kind == "cards":
                blocks[-1].entries.append(entry)
            else:
                blocks.append(Block("cards", [entry]))
        return blocks


@dataclass
class QrCode:
    """Where the QR code points, the image of it, and what to tell the reader."""

    url: str
    image_url: str
    label: str

    @property
    def printed(self) -> str:
        return self.url.removeprefix("https://")

    @property
    def printed_lines(self) -> Markup:
        """The printed address with line-break opportunities after its slashes and hyphens and before its dots,
        so a long address wraps between its parts, never inside a word."""
        pieces = re.split(r"(?<=[/-])|(?=\.)", self.printed)
        return Markup("<wbr>").join(piece for piece in pieces if piece)


@dataclass
class HandoutView:
    """A handout ready for the template."""

    handout: Handout
    anchor: str
    sections: list[Section]
    reviewed: date | None
    reviewed_text: str
    """The review date in the programme's language ('15 October 2026', '15. Oktober 2026'); empty when some of
    the content has no review record (only previews print it)."""
    reviewer: str
    """Who reviewed the handout (its own review record)."""
    review_due_text: str
    """When the content's next review is due, in the programme's language (empty without a review date)."""
    qr: QrCode
    prefix: str = ""
    """What starts the names of its anchors: its id and "--" in a pack (where handouts' anchors must not clash)."""

    @property
    def id(self) -> str:
        return self.handout.id

    @property
    def title(self) -> str:
        return self.handout.title


@dataclass
class PrescriptionView:
    """A prescription ready for the template: its exercises as one section of protocol entries."""

    sections: list[Section]
    patient: str | None
    clinician: str
    date_text: str
    """The prescription's date in the programme's language."""
    reviewed_text: str
    """The oldest review date of what it prints (its protocols and the clinic), in the programme's language."""
    reviewers: str
    """Who reviewed its protocols, each once."""
    review_due_text: str
    anchor: str = "top"
    prefix: str = ""
    """(Anchors are not renamed: a prescription is never part of a pack.)"""


@dataclass(frozen=True)
class ClinicView:
    """A clinic's branding and contact details."""

    clinic: Clinic
    logo: Picture | None

    @property
    def website_printed(self) -> str:
        return self.clinic.website.split("://", 1)[1].rstrip("/")


@dataclass(frozen=True)
class Palette:
    """The edition's colours: accent for rules and fills, ink for coloured text (always dark enough to read)."""

    accent: str
    ink: str
    tint: str


class HandoutViews:
    """Builds the template data of handouts for one document (a handout or a whole pack)."""

    def __init__(
        self, publication: Publication, *, as_of: date, qr_image: Callable[[str], str], words: Messages
    ) -> None:
        self.publication = publication
        self.as_of = as_of
        self.qr_image = qr_image
        self.words = words
        self.asset_owners: dict[str, str] = {}
        """Virtual URL -> the entity that brought it in, so renderer errors can name the entity."""

    def build(self, handout: Handout, prefix: str = "") -> HandoutView:
        """The view of one handout; `prefix` starts its anchors' names (a pack renames each handout's anchors)."""
        anchors: dict[str, str] = {}
        for section in handout.sections:
            for entity_id in section.entities:
                anchors.setdefault(entity_id, f"{prefix}{entity_id}")
        placed: set[str] = set()
        sections = []
        for number, section in enumerate(handout.sections, start=1):
            entries = []
            for position, entity_id in enumerate(section.entities, start=1):
                anchor = anchors[entity_id] if entity_id not in placed else None
                placed.add(entity_id)
                entries.append(self.entry(self.publication.get(entity_id), anchor, anchors))
                entries[-1].key = f"e{number}-{position}"
            intro = self.markdown(section.intro, handout, anchors, heading_shift=2)
            sections.append(Section(section.heading, intro, entries))
        reviewed = review_date(self.publication, handout)
        due = reviewed + relativedelta(months=self.publication.programme.review_interval_months) if reviewed else None
        return HandoutView(
            handout=handout,
            anchor=f"{prefix}top",
            sections=sections,
            reviewed=reviewed,
            reviewed_text=self.words.format_date(reviewed, "long") if reviewed else "",
            reviewer=handout.reviewer or "",
            review_due_text=self.words.format_date(due, "long") if due else "",
            qr=self.qr_code(handout),
            prefix=prefix,
        )

    # -- entries ---------------------------------------------------------------------------------

    def entry(self, entity: Entity, anchor: str | None, anchors: dict[str, str]) -> Entry:
        entry = Entry(entity, anchor, self.markdown(entity.body, entity, anchors, heading_shift=3))
        entry.label = self.words.gettext(entity.label)  # the template prints the handout's own word for a kind
        if isinstance(entity, Treatment):
            entry.treatment_kind = self.publication.programme.wording.treatment_kinds[entity.treatment_kind]
        # What an entity has, whatever its kind: an analogy, what to do instead, what comes before and after, a
        # phase, an illustration.
        analogy = getattr(entity, "analogy", None)
        if analogy:
            entry.analogy = self.markdown(analogy.body, entity, anchors, heading_shift=3)
        entry.instead = [self.link(target, anchors) for target in getattr(entity, "instead", ())]
        entry.before = [self.link(target, anchors) for target in getattr(entity, "prerequisites", ())]
        entry.next_steps = [self.link(target, anchors) for target in getattr(entity, "progressions", ())]
        phase = getattr(entity, "phase", None)
        entry.phase = self.publication.programme.phase(phase).title if phase else None
        membership = self.publication.programme.membership_url
        if self.publication.withheld(entity) and membership:
            entry.members = Link(self.words.gettext("Become a member"), membership)
        elif isinstance(entity, Protocol):  # every protocol has its dose box (write-in lines where there is none)
            entry.dose = DoseBox.of(entity.dose, self.words)
        image = getattr(entity, "image", None)
        if image:
            entry.image = self.picture(image.src, image.alt, entity, image.caption)
        return entry

    def link(self, entity_id: str, anchors: dict[str, str]) -> Link:
        target = self.publication.get(entity_id)
        if entity_id in anchors:
            return Link(target.title, f"#{anchors[entity_id]}")
        return Link(target.title, self.publication.url_for(target))

    def markdown(self, text: str, owner: Entity, anchors: dict[str, str], heading_shift: int) -> Markup:
        """Sanitised HTML of content Markdown: entity links stay in the document when they can."""

        def link(entity_id: str) -> str:
            if entity_id in anchors:
                return f"#{anchors[entity_id]}"
            return self.publication.url_for(entity_id)

        def image(src: str) -> str:
            url = virtual_url("content", src)
            self.asset_owners.setdefault(url, owner.id)
            return url

        # The Markdown renderer sanitises raw HTML with nh3, so the result is safe to insert as markup.
        html = render_markdown(text, link=link, image=image, heading_shift=heading_shift, quotes=self.words.quotes())
        return Markup(html)

    def picture(self, src: str, alt: str, owner: Entity, caption: str | None = None) -> Picture:
        url = virtual_url("content", src)
        self.asset_owners.setdefault(url, owner.id)
        return Picture(url, alt, caption)

    def prescription(self, prescribed: ResolvedPrescription, heading: str) -> PrescriptionView:
        """The view of a prescription: each exercise as a handout shows the protocol, with the patient's dose (the
        parts set otherwise marked), the clinician's note and a QR code to the protocol's page."""
        anchors = {exercise.protocol.id: exercise.protocol.id for exercise in prescribed.exercises}
        entries = []
        for position, exercise in enumerate(prescribed.exercises, start=1):
            protocol = exercise.protocol
            entry = self.entry(protocol, protocol.id, anchors)
            entry.key = f"e1-{position}"
            entry.dose = DoseBox.of(protocol.dose, self.words, exercise.programme_dose, exercise.changed)
            entry.note = exercise.note
            entry.online = self.page_code(protocol)
            entries.append(entry)
        protocols = [exercise.protocol for exercise in prescribed.exercises]
        # (Only reviewed content is prescribed: the publishing gate refuses the rest.)
        reviewed = min((entity.reviewed for entity in [*protocols, prescribed.clinic] if entity.reviewed), default=None)
        months = self.publication.programme.review_interval_months
        due = reviewed + relativedelta(months=months) if reviewed else None
        reviewers = list(dict.fromkeys(protocol.reviewer for protocol in protocols if protocol.reviewer))
        return PrescriptionView(
            sections=[Section(heading, Markup(""), entries)],
            patient=prescribed.patient,
            clinician=prescribed.clinician,
            date_text=self.words.format_date(prescribed.date, "long"),
            reviewed_text=self.words.format_date(reviewed, "long") if reviewed else "",
            reviewers=", ".join(reviewers),
            review_due_text=self.words.format_date(due, "long") if due else "",
        )

    def page_code(self, entity: Entity) -> QrCode:
        """A QR code to an entity's page on the programme's site."""
        url = self.publication.url_for(entity)
        label = self.words.gettext("Read more online:")
        image_url = self.qr_image(url)
        self.asset_owners.setdefault(image_url, entity.id)
        return QrCode(url, image_url, label)

    # -- the QR code -----------------------------------------------------------------------------

    def qr_code(self, handout: Handout) -> QrCode:
        """A QR code to the handout's episode page once it is out, else to the programme's site."""
        released = {episode.id: episode for episode in self.publication.released_episodes(self.as_of)}
        episode = released.get(handout.episode or "")
        if episode is not None:
            url = self.publication.url_for(episode)
            label = self.words.gettext("Listen to episode %(number)s, “%(title)s”, and read the article") % {
                "number": episode.number,
                "title": episode.title,
            }
        else:
            url = self.publication.home_url
            label = self.words.gettext("Find the full %(title)s programme online") % {
                "title": self.publication.programme.title
            }
        image_url = self.qr_image(url)
        self.asset_owners.setdefault(image_url, handout.id)
        return QrCode(url, image_url, label)

    def clinic(self, clinic: Clinic) -> ClinicView:
        logo = None
        if clinic.logo:
            logo = self.picture(
                clinic.logo, clinic.logo_alt or self.words.gettext("%(clinic)s logo") % {"clinic": clinic.title}, clinic
            )
        return ClinicView(clinic, logo)


# -- colours ----------------------------------------------------------------------------------------


def palette(accent: str) -> Palette:
    """Colours from one accent: text in the accent is darkened until it reads well, in colour and greyscale."""
    ink = accent
    while contrast_with_white(ink) < 7.0:
        ink = mix(ink, "#000000", 0.15)
    return Palette(accent=accent, ink=ink, tint=mix(accent, "#ffffff", 0.9))


def _channels(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def mix(colour: str, other: str, amount: float) -> str:
    """`colour` moved `amount` (0-1) of the way towards `other`."""
    mixed = (round(a + (b - a) * amount) for a, b in zip(_channels(colour), _channels(other), strict=True))
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio of a colour against white paper."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in _channels(colour))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


# -- the urgent-help notice -------------------------------------------------------------------------


_LIST_ITEM = re.compile(r"\s*(?:[-*+]|\d+[.)])\s")


def side_by_side(markdown: str) -> list[str]:
    """A notice's Markdown in two parts to print side by side: split between two of its blocks (paragraphs and
    lists, separated by blank lines) where the text is most evenly shared, never between a line that introduces
    a list (it ends with a colon) and that list, nor inside a list. A notice of one block stays whole."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", markdown.strip()) if block.strip()]
    best, best_gap = len(blocks), None
    total = sum(len(block) for block in blocks)
    before = 0
    for index, block in enumerate(blocks[:-1], start=1):
        before += len(block)
        if block.rstrip().endswith(":") or (_LIST_ITEM.match(block) and _LIST_ITEM.match(blocks[index])):
            continue
        gap = abs(total - 2 * before)
        if best_gap is None or gap < best_gap:
            best, best_gap = index, gap
    parts = ["\n\n".join(blocks[:best]), "\n\n".join(blocks[best:])]
    return [part for part in parts if part]
