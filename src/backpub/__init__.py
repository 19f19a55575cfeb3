"""backpub: publish the Back In Shape programme from one validated model into every format.

The public API for plugins is re-exported here; anything else is internal.
"""

from backpub.errors import BackpubError, ConfigError, ContentError, PluginError, Problem, RenderError
from backpub.formats import BuildContext, Format, Job, NoOptions
from backpub.hookspecs import hookimpl
from backpub.publication import Publication, Source

__all__ = [
    "BackpubError",
    "BuildContext",
    "ConfigError",
    "ContentError",
    "Format",
    "Job",
    "NoOptions",
    "PluginError",
    "Problem",
    "Publication",
    "RenderError",
    "Source",
    "hookimpl",
]
