"""The model's building blocks: the strict base model, the markers that give fields their roles, shared field types.

A field's role is a marker in its annotation, read wherever the role matters (see backpub.model.fields):
`RefTo` (references to other entities, checked by validation), `MarkdownText` (Markdown, its links and images
checked), `PatientProse` (prose patients read: doses and reading level checked), `OnCard` (part of the entity's
short form), `AssetFile` (a file in the content folder, checked to exist and to be safe), `Teaser` (what the
public reads of a members-only entity) and `Public` (a field that says nothing of its content, kept when the
entity is members-only). The shared types carry them: `Markdown`, `Prose`, `AssetPath`, `Access`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from backpub.text.textrules import Line, TextBlock, multi_line

__all__ = [
    "ID_PATTERN",
    "MEMBERS",
    "PUBLIC",
    "Access",
    "AssetFile",
    "AssetPath",
    "Colour",
    "CountryCode",
    "DeclaredIn",
    "EntityId",
    "Line",
    "Markdown",
    "MarkdownText",
    "Model",
    "OnCard",
    "PatientProse",
    "Prose",
    "Public",
    "RefTo",
    "Scaffold",
    "Teaser",
    "Text",
]

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class Model(BaseModel):
    """Base of every content model: strict, immutable, documented."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class RefTo:
    """Marks a field as holding references to other entities: of the given kinds, of every kind in the library
    (`library=True`: the kinds a reader studies, see `Entity.library`), or of any kind (neither)."""

    def __init__(self, *kinds: str, library: bool = False) -> None:
        self.kinds = kinds
        self.library = library

    def accepts(self, cls: type) -> bool:
        """Whether a reference to an entity of this class is allowed here."""
        if not self.kinds and not self.library:
            return True
        return getattr(cls, "kind", None) in self.kinds or (self.library and bool(getattr(cls, "library", False)))

    def __repr__(self) -> str:
        return f"RefTo({', '.join([*map(repr, self.kinds), *(['library=True'] if self.library else [])])})"


@dataclass(frozen=True)
class Scaffold:
    """What `backpub new KIND` writes for a kind, after the title and the empty review record every file starts
    with: its front-matter fields and the placeholder of its body.

    `fields` is a Jinja template of YAML lines. It may use `todo(what)` (a quoted placeholder), `PLACEHOLDER`
    (the placeholder word, for comments), `title`, `today`, `number` (the next number among the kind's files),
    `release` (`--date`, else the next Sunday none of them is released on), `guid` (a new UUID), `phases`,
    `default_country`, `treatment_kinds` (the ids programme.yaml declares) and `first_library_id` (an entity a
    reader studies, for an example reference)."""

    fields: str
    body: str
    default_id: str | None = None
    """The id when none is given, a format string of the facts (e.g. 'episode-{number:03d}'); None: required."""


class AssetFile:
    """Marks a field as naming a file in the content folder: validation checks it is there, inside, and safe."""


class DeclaredIn:
    """Marks a field whose value must be one the programme declares: `where` is its place in programme.yaml (a
    list of items with an `id`, or a mapping by id), `what` how messages name one, e.g.
    `DeclaredIn("phases", "phase")`. Validation checks it, with a did-you-mean."""

    def __init__(self, where: str, what: str) -> None:
        self.where = where
        self.what = what

    def choices(self, programme: object) -> list[str]:
        """The ids the programme declares there."""
        value: Any = programme
        for part in self.where.split("."):
            value = getattr(value, part)
        return list(value) if isinstance(value, dict) else [item.id for item in value]

    def __repr__(self) -> str:
        return f"DeclaredIn({self.where!r}, {self.what!r})"


class OnCard:
    """Marks a field as part of the entity's card: the short form a format prints where room is short (a handout
    sheet's card). The rest (the body, the longer explanations) is a link or a QR code away."""


class PatientProse:
    """Marks a field as prose written for patients to read: the dose and reading-level checks read it (an entity
    kind that is not for patients, `Entity.patient_facing` False, is left out whatever its fields say)."""


class Teaser:
    """Marks the field a members-only entity shows the public beside its title, with the membership link (an
    episode's summary, a protocol's purpose): a kind with such a field may be `access: members`."""


class Public:
    """Marks a field whose value says nothing of an entity's content (an id, a type, a layout), so the public
    copy of a members-only entity keeps it. Fields without text (numbers, dates, flags) and references are kept
    anyway; every other field of a members-only entity is withheld from the public (see
    `backpub.model.fields.withheld_copy`)."""


PUBLIC, MEMBERS = "public", "members"
Access = Annotated[
    Literal["public", "members"],
    Field(description="Who reads it in full: everyone (public), or members only (members)."),
]
"""Who may read an entity in full: `members` keeps all but its title and teaser out of every public output."""


EntityId = Annotated[str, Field(pattern=ID_PATTERN, description="A kebab-case entity id (a file's stem).")]
AssetPath = Annotated[
    str,
    Field(
        min_length=1,
        description="A file path relative to the content folder, e.g. assets/images/wall-drill.svg.",
    ),
    AssetFile(),
]
Colour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$", description="A colour as #RRGGBB.")]
Text = TextBlock  # no control characters; see backpub.text.textrules
Prose = Annotated[TextBlock, PatientProse()]
"""Plain text patients read (a summary, a step, a caution)."""


def _known_country(code: str) -> str:
    # Babel's territory names (CLDR) hold every ISO 3166-1 alpha-2 code; a made-up pair of letters is refused.
    from babel import Locale

    if code == "ZZ" or code not in Locale("en").territories:  # ZZ: CLDR's 'unknown region'
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code such as 'GB', 'US' or 'DE'")
    return code


CountryCode = Annotated[
    str,
    Field(pattern=r"^[A-Z]{2}$", description="An ISO 3166-1 alpha-2 country code, e.g. GB, US or DE."),
    AfterValidator(_known_country),
]


def _strip(value: str) -> str:
    return value.strip()


class MarkdownText:
    """Marks a field as Markdown, so validation checks its links and images."""


Markdown = Annotated[str, AfterValidator(_strip), AfterValidator(multi_line), MarkdownText(), PatientProse()]
"""Markdown patients read (a body, show notes, a notice)."""
