"""The canonical programme model: every entity, its fields and their documentation.

By role: `base` (the strict base model and shared field types), `values` (quantities, doses, images, media),
`programme` (programme.yaml), `entities` (one per content file),
`fields` (where a model's references, Markdown and files are) and `messages` (pydantic's errors in an author's
words). Import the types from `backpub.model`; `fields` and `messages` are modules of their own.
"""

from backpub.model.base import (
    ID_PATTERN,
    AssetPath,
    Colour,
    EntityId,
    Markdown,
    MarkdownText,
    Model,
    RefTo,
    Text,
)
from backpub.model.entities import (
    ENTITY_TYPES,
    TYPES_BY_FOLDER,
    TYPES_BY_KIND,
    Clinic,
    Concept,
    Entity,
    Episode,
    Handout,
    HandoutSection,
    Mistake,
    Principle,
    Protocol,
    Treatment,
)
from backpub.model.programme import Phase, Programme
from backpub.model.values import Analogy, Audio, ChapterMark, Dose, Duration, Image, Range, Transcript, Video

__all__ = [
    "ENTITY_TYPES",
    "ID_PATTERN",
    "TYPES_BY_FOLDER",
    "TYPES_BY_KIND",
    "Analogy",
    "AssetPath",
    "Audio",
    "ChapterMark",
    "Clinic",
    "Colour",
    "Concept",
    "Dose",
    "Duration",
    "Entity",
    "EntityId",
    "Episode",
    "Handout",
    "HandoutSection",
    "Image",
    "Markdown",
    "MarkdownText",
    "Mistake",
    "Model",
    "Phase",
    "Principle",
    "Programme",
    "Protocol",
    "Range",
    "RefTo",
    "Text",
    "Transcript",
    "Treatment",
    "Video",
]
