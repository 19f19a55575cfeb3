"""The urgent-help notice every feed item carries, in the description podcast apps show and in the show notes."""

from __future__ import annotations

from datetime import date
from html import escape
from pathlib import Path

from backpub import Episode, Messages, Publication, messages, render, sanitise_html
from backpub_feed.rules import public_url

PACKAGE = Path(__file__).parent


def default_messages(publication: Publication) -> Messages:
    """The feed's own catalogue in the programme's language (without a project's theme)."""
    return messages(publication.programme.language, [PACKAGE / "locale"])


def urgent_help_html(publication: Publication, as_of: date, words: Messages | None = None) -> str:
    """The default country's urgent-help notice (programme.yaml `countries`) as HTML under its heading: the one
    source of the notice. The same for
    every item: callers make it once and pass it to `item_description` and the show notes."""
    heading = escape((words or default_messages(publication)).gettext("When to get urgent help"), quote=False)
    notice = render(
        publication.programme.country().urgent_help, link=lambda entity_id: public_url(publication, entity_id, as_of)
    )
    return f"<p><strong>{heading}</strong></p>{notice}"


def item_description(episode: Episode, notice: str) -> str:
    """An item's <description>: the episode's summary, then the urgent-help `notice` (HTML, for a CDATA section)."""
    html = sanitise_html(f"<p>{escape(episode.summary, quote=False)}</p>{notice}")
    return html.strip().replace("]]>", "]]&gt;")  # a CDATA section cannot contain its own terminator
