"""The e-book's settings, programme.yaml `formats.epub`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EpubOptions(BaseModel):
    """The e-book's identity and cover."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    book_id: str = Field(min_length=1)
    """A stable identifier for the e-book, e.g. a urn:uuid; never changes between editions."""
    cover: str | None = Field(default=None, min_length=1)
    """A cover image (PNG or JPEG) relative to the content folder; without it a cover is generated."""
