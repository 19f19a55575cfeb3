"""The programme itself: its settings and phases, from content/programme.yaml."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, PositiveInt

from backpub.model.base import AssetPath, CountryCode, EntityId, Line, Markdown, Model, Prose, Text
from backpub.text.i18n import N_

if TYPE_CHECKING:
    from backpub.text.i18n import Messages


class Phase(Model):
    """A phase of the programme; protocols belong to one."""

    id: EntityId
    """The phase's id, used by protocols' `phase` field."""
    title: Line
    """The phase's title, e.g. 'Phase One: calm and unload'."""
    summary: Prose
    """What the phase is for, in a sentence or two."""


class YesNoWording(Model):
    """How this programme words a yes/no field of its entities, e.g. what a treatment's `targets_root_cause` means."""

    label: Line
    """The question the field answers, printed as '<label>: Yes' in a list of facts."""
    yes: Line
    """The sentence printed when the field is true."""
    no: Line
    """The sentence printed when the field is false."""


class Wording(Model):
    """What this programme calls things: wording that belongs to its topic, which formats print as content."""

    treatment_kinds: dict[EntityId, Line] = Field(default_factory=dict)
    """The categories of this programme's treatments, by id, each as formats print it, e.g. `manual-therapy:
    manual therapy`; every treatment's `treatment_kind` is one of the ids."""
    targets_root_cause: YesNoWording | None = None
    """What a treatment's `targets_root_cause` means for this programme (formats print neutral wording without)."""
    intros: dict[str, Line] = Field(default_factory=dict)
    """Per kind of entity (e.g. `concept`), a phrase introducing all of them, e.g. 'the ideas that explain what is
    going on.' (an index page shows it after the kind's name)."""

    def root_cause(self, words: Messages) -> YesNoWording:
        """What a treatment's `targets_root_cause` means, as every format prints it: this programme's wording, else
        neutral words in the programme's language (`words`: a format's messages, the core's catalogue among them)."""
        if self.targets_root_cause is not None:
            return self.targets_root_cause
        _ = words.gettext
        return YesNoWording(
            label=_(N_("Acts on the cause")), yes=_(N_("Acts on the cause.")), no=_(N_("Does not act on the cause."))
        )


class Country(Model):
    """What readers in one country need: the urgent help they can get there, in their words.

    A clinic's handouts and pack print its `country`'s; the website, feed, newsletter, book and unbranded handouts
    print the programme's `default_country`'s."""

    urgent_help: Markdown = Field(min_length=1)
    """The 'when to get urgent help' safety notice for readers in this country: its emergency number and services."""
    emergency_number: Line
    """The number readers in this country call in an emergency, as they dial it; printed beside the pointer to
    the notice."""
    disclaimer: Markdown | None = None
    """This country's medical disclaimer, when it needs other words than the programme's `disclaimer`."""


class Programme(Model):
    """Programme-wide settings, from content/programme.yaml."""

    title: Line
    """The programme's title."""
    subtitle: str | None = None
    """An optional subtitle."""
    introduction: Markdown = ""
    """The programme's introduction, shown on the home page and at the front of the book."""
    publisher: Text
    """Who publishes the programme."""
    authors: list[Text] = Field(min_length=1)
    """The programme's authors."""
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(?:-[A-Z]{2})?$")]
    """The language as a BCP 47 tag, e.g. en-GB."""
    timezone: Text
    """The IANA timezone, e.g. Europe/London."""
    site_url: Annotated[str, Field(pattern=r"^https://\S+[^/]$")]
    """The programme's website, without a trailing slash."""
    artwork: AssetPath
    """The programme's square cover art, 1400-3000 px, JPEG or PNG, RGB, relative to the content folder; every
    format that shows a cover uses it."""
    review_interval_months: PositiveInt = 12
    """How long a review stays current; older content is a warning (an error under --strict)."""
    reading_grade: float = Field(default=8, gt=0, le=20)
    """The reading grade patient-facing text should not go above, in the measure that suits `language`
    (Flesch-Kincaid for English); validate warns about each entity above it."""
    disclaimer: Markdown = Field(min_length=1)
    """The medical disclaimer printed on every handout and in the book (a country may have its own)."""
    countries: dict[CountryCode, Country] = Field(min_length=1)
    """What readers in each country need, by ISO 3166-1 alpha-2 code (e.g. GB, US, DE): above all the urgent-help
    notice. Every clinic names its country, which must be here."""
    default_country: CountryCode
    """The country whose notice the website, feed, newsletter, book and unbranded handouts print."""
    refuse_overdue_reviews: bool = False
    """Whether a build for today refuses to publish content whose clinical review is overdue (as `--strict` does);
    otherwise an overdue review is a warning."""
    call_to_action: Markdown = ""
    """An invitation to the full programme, used by the newsletter and the site."""
    membership_url: Annotated[str, Field(pattern=r"^https://\S+$")] | None = None
    """Where readers become members (your payment provider's page, or your own): every public output prints it
    beside a members-only entity's title and teaser, and the podcast feed names it (podcast:funding). Required
    once anything is `access: members`."""
    phases: list[Phase] = Field(min_length=1)
    """The programme's phases, in order."""
    wording: Wording = Field(default_factory=Wording)
    """Wording of this programme's topic that formats print: see `Wording`."""
    formats: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per-format settings, keyed by format name; each format validates its own section with its `Options` model
    (listed under "formats" in `backpub schema`)."""

    def country(self, code: str | None = None) -> Country:
        """What readers in a country need (`code` None: the default country's)."""
        return self.countries[code or self.default_country]

    def disclaimer_for(self, code: str | None = None) -> str:
        """The medical disclaimer for readers in a country (`code` None: the default country)."""
        return self.country(code).disclaimer or self.disclaimer

    def phase(self, phase_id: str) -> Phase:
        """The phase with this id."""
        return next(phase for phase in self.phases if phase.id == phase_id)
