"""The `newsletter` format plugin: renders each Sunday's issue (the mailing list lives in `backpub_mailinglist`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backpub import hookimpl

if TYPE_CHECKING:
    from backpub import Format

__version__ = "1.0"


@hookimpl
def register_formats() -> list[type[Format]]:
    from backpub_newsletter.format import NewsletterFormat

    return [NewsletterFormat]
