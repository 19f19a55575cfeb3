"""The public plugin API: everything a plugin may import from backpub, and nothing else.

Import these names from `backpub` (loaded on first use) or from `backpub.api`; every other module of the
package is internal and may change in any release. docs/plugins.md documents each group.

This is the one list of public names: each is imported here once, from the module that defines it, in the form
`name as name` that type checkers read as a re-export. `backpub/__init__.py` reads these lines to load each name
lazily and re-exports this module for type checkers; nothing else lists the names.
"""

# Grouped as docs/plugins.md presents them, one group a block:
# isort: skip_file

# writing a format
from backpub.formats import (
    BuildContext as BuildContext,
    Format as Format,
    Job as Job,
    NoOptions as NoOptions,
    Starter as Starter,
)
from backpub.files.output import SERVICE_FOLDER as SERVICE_FOLDER
from backpub.hookspecs import hookimpl as hookimpl

# what a format reads
from backpub.content.publication import Publication as Publication, Source as Source
from backpub.content.prescriptions import (
    Finding as Finding,
    PrescribedDose as PrescribedDose,
    PrescriptionError as PrescriptionError,
    ResolvedPrescription as ResolvedPrescription,
)
from backpub.session import Session as Session
from backpub.files.cache import atomic_write as atomic_write
from backpub.text.slugs import slug as slug
from backpub.imaging import square_copy as square_copy

# fixed words in the programme's language: gettext catalogues and Babel's dates and numbers
from backpub.text.i18n import N_ as N_, Messages as Messages, messages as messages
from backpub.text.templating import template_bytecode as template_bytecode

# the model: the programme's settings, its entities and their values
from backpub.text.addresses import EmailAddress as EmailAddress, MailboxHeader as MailboxHeader
from backpub.model.base import Line as Line, Text as Text
from backpub.model import (
    ENTITY_TYPES as ENTITY_TYPES,
    TYPES_BY_FOLDER as TYPES_BY_FOLDER,
    TYPES_BY_KIND as TYPES_BY_KIND,
    Analogy as Analogy,
    Audio as Audio,
    ChapterMark as ChapterMark,
    Clinic as Clinic,
    Concept as Concept,
    Dose as Dose,
    Duration as Duration,
    Entity as Entity,
    Episode as Episode,
    Handout as Handout,
    HandoutSection as HandoutSection,
    Image as Image,
    Mistake as Mistake,
    Phase as Phase,
    Principle as Principle,
    Programme as Programme,
    Protocol as Protocol,
    Range as Range,
    Transcript as Transcript,
    Treatment as Treatment,
    Video as Video,
)
from backpub.model.fields import (
    card_fields as card_fields,
    markdown_texts as markdown_texts,
    members_only as members_only,
    prose_texts as prose_texts,
    referenced_ids as referenced_ids,
    teaser_field as teaser_field,
    withheld_fields as withheld_fields,
)
from backpub.model.base import (
    Access as Access,
    AssetPath as AssetPath,
    EntityId as EntityId,
    Markdown as Markdown,
    OnCard as OnCard,
    Prose as Prose,
    Public as Public,
    RefTo as RefTo,
    Scaffold as Scaffold,
    Teaser as Teaser,
)
from backpub.model.kinds import Kinds as Kinds
from backpub.model.prescription import PrescribedExercise as PrescribedExercise, Prescription as Prescription
from backpub.model.values import SafeDose as SafeDose

# Markdown, with the programme's link and safety rules
from backpub.text.markdown import (
    excerpt as excerpt,
    plain_text as plain_text,
    references as references,
    render as render,
    scan as scan,
    typographic as typographic,
    typographic_text as typographic_text,
)
from backpub.text.urlpolicy import asset_path_problem as asset_path_problem, sanitise_html as sanitise_html

# errors and problems
from backpub.errors import (
    BackpubError as BackpubError,
    ConfigError as ConfigError,
    ContentError as ContentError,
    PluginError as PluginError,
    Problem as Problem,
    RenderError as RenderError,
)

# commands: the parameters every command shares
from backpub.params import ISO_DATE as ISO_DATE, content_option as content_option

# services: one way to run a WSGI application with limits
from backpub.serving import (
    ServerLimits as ServerLimits,
    make_server as make_server,
    run_server as run_server,
    server_options as server_options,
)

__all__ = sorted(name for name in dir() if not name.startswith("_"))
