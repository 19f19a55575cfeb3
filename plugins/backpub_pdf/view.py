"""The data the PDF templates receive: handouts, their entries and the clinic, ready to print.

Everything a template needs is computed here (Markdown as sanitised HTML, links, the dose, colours), so
templates, including a project's own theme, only arrange it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from backpub import N_, Clinic, Concept, Entity, Handout, Messages, Mistake, Protocol, Publication, Treatment
from backpub import render as render_markdown
from backpub_pdf.fetching import virtual_url
from backpub_pdf.planning import review_date

KIND_LABELS = {
    "concept": N_("Key idea"),
    "mistake": N_("Common mistake"),
    "protocol": N_("What to do"),
    "treatment": N_("Treatment"),
    "principle": N_("Principle"),
}


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

    @property
    def kind(self) -> str:
        return self.entity.kind


@dataclass
class Section:
    heading: str
    intro: Markup
    entries: list[Entry]


@dataclass
class QrCode:
    """Where the QR code points, the image of it, and what to tell the reader."""

    url: str
    image_url: str
    label: str

    @property
    def printed(self) -> str:
        return self.url.removeprefix("https://")


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
        for section in handout.sections:
            entries = []
            for entity_id in section.entities:
                anchor = anchors[entity_id] if entity_id not in placed else None
                placed.add(entity_id)
                entries.append(self.entry(self.publication.get(entity_id), anchor, anchors))
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
        kind = KIND_LABELS.get(entity.kind)
        entry.label = self.words.gettext(kind) if kind else entity.kind.title()
        if isinstance(entity, Treatment):
            entry.treatment_kind = self.words.treatment_kind(entity.treatment_kind)
        if isinstance(entity, Concept) and entity.analogy:
            entry.analogy = self.markdown(entity.analogy.body, entity, anchors, heading_shift=3)
        if isinstance(entity, Mistake):
            entry.instead = [self.link(target, anchors) for target in entity.instead]
        if isinstance(entity, Protocol):
            entry.before = [self.link(target, anchors) for target in entity.prerequisites]
            entry.next_steps = [self.link(target, anchors) for target in entity.progressions]
            entry.phase = self.publication.programme.phase(entity.phase).title
            if entity.image:
                entry.image = self.picture(entity.image.src, entity.image.alt, entity, entity.image.caption)
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
        return Markup(render_markdown(text, link=link, image=image, heading_shift=heading_shift))

    def picture(self, src: str, alt: str, owner: Entity, caption: str | None = None) -> Picture:
        url = virtual_url("content", src)
        self.asset_owners.setdefault(url, owner.id)
        return Picture(url, alt, caption)

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
