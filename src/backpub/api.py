"""The public plugin API: everything a plugin may import from backpub, and nothing else.

Import these names from `backpub` (loaded on first use) or from `backpub.api`; every other module of the
package is internal and may change in any release. docs/plugins.md documents each group.
"""

from __future__ import annotations

from backpub.cli import ISO_DATE
from backpub.content.publication import Publication, Source
from backpub.errors import BackpubError, ConfigError, ContentError, PluginError, Problem, RenderError
from backpub.files.cache import atomic_write
from backpub.formats import BuildContext, Format, Job, NoOptions
from backpub.hookspecs import hookimpl
from backpub.imaging import square_copy
from backpub.model import (
    ENTITY_TYPES,
    TYPES_BY_FOLDER,
    TYPES_BY_KIND,
    Analogy,
    Audio,
    ChapterMark,
    Clinic,
    Concept,
    Dose,
    Duration,
    Entity,
    Episode,
    Handout,
    HandoutSection,
    Image,
    Mistake,
    Phase,
    Principle,
    Programme,
    Protocol,
    Range,
    Transcript,
    Treatment,
    Video,
)
from backpub.model.base import Line, Text
from backpub.model.fields import referenced_ids
from backpub.session import Session
from backpub.text.addresses import EmailAddress, MailboxHeader
from backpub.text.i18n import N_, Messages, messages
from backpub.text.markdown import asset_path_problem, excerpt, plain_text, references, render, sanitise_html, scan
from backpub.text.slugs import slug

__all__ = [  # noqa: RUF022 - grouped as docs/plugins.md presents them
    # writing a format
    "BuildContext",
    "Format",
    "Job",
    "NoOptions",
    "hookimpl",
    # what a format reads
    "Publication",
    "Source",
    "Session",
    "atomic_write",
    "slug",
    "square_copy",
    # fixed words in the programme's language: gettext catalogues and Babel's dates and numbers
    "Messages",
    "N_",
    "messages",
    # the model: the programme's settings, its entities and their values
    "EmailAddress",
    "Line",
    "MailboxHeader",
    "Text",
    "ENTITY_TYPES",
    "TYPES_BY_FOLDER",
    "TYPES_BY_KIND",
    "Analogy",
    "Audio",
    "ChapterMark",
    "Clinic",
    "Concept",
    "Dose",
    "Duration",
    "Entity",
    "Episode",
    "Handout",
    "HandoutSection",
    "Image",
    "Mistake",
    "Phase",
    "Principle",
    "Programme",
    "Protocol",
    "Range",
    "Transcript",
    "Treatment",
    "Video",
    "referenced_ids",
    # Markdown, with the programme's link and safety rules
    "asset_path_problem",
    "excerpt",
    "plain_text",
    "references",
    "render",
    "sanitise_html",
    "scan",
    # errors and problems
    "BackpubError",
    "ConfigError",
    "ContentError",
    "PluginError",
    "Problem",
    "RenderError",
    # commands
    "ISO_DATE",
]
