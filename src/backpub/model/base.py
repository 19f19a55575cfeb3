"""The model's building blocks: the strict base model, reference and Markdown markers, shared field types."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from backpub.text.textrules import Line, TextBlock, multi_line

__all__ = [
    "ID_PATTERN",
    "AssetPath",
    "Colour",
    "CountryCode",
    "EntityId",
    "Line",
    "Markdown",
    "MarkdownText",
    "Model",
    "RefTo",
    "Text",
]

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class Model(BaseModel):
    """Base of every content model: strict, immutable, documented."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class RefTo:
    """Marks a field as holding references to other entities, of the given kinds (any kind if empty)."""

    def __init__(self, *kinds: str) -> None:
        self.kinds = kinds

    def __repr__(self) -> str:
        return f"RefTo{self.kinds!r}"


EntityId = Annotated[str, Field(pattern=ID_PATTERN, description="A kebab-case entity id (a file's stem).")]
AssetPath = Annotated[
    str,
    Field(
        min_length=1,
        description="A file path relative to the content folder, e.g. assets/images/wall-drill.svg.",
    ),
]
Colour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$", description="A colour as #RRGGBB.")]
Text = TextBlock  # no control characters; see backpub.text.textrules


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


Markdown = Annotated[str, AfterValidator(_strip), AfterValidator(multi_line), MarkdownText()]
