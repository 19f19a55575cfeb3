"""The model's building blocks: the strict base model, reference and Markdown markers, shared field types."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from backpub.textrules import Line, TextBlock, multi_line

__all__ = [
    "ID_PATTERN",
    "AssetPath",
    "Colour",
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
Text = TextBlock  # no control characters; see backpub.textrules


def _strip(value: str) -> str:
    return value.strip()


class MarkdownText:
    """Marks a field as Markdown, so validation checks its links and images."""


Markdown = Annotated[str, AfterValidator(_strip), AfterValidator(multi_line), MarkdownText()]
