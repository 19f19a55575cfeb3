"""The urgent-help notice every feed item carries, in the description podcast apps show and in the show notes."""

from __future__ import annotations

from datetime import date
from html import escape

from backpub import Episode, Publication, render, sanitise_html
from backpub_feed.rules import public_url

URGENT_HEADING = "When to get urgent help"
"""The notice's heading (the feed has no templates, so its few fixed words live here, like its list headings)."""


def urgent_help_html(publication: Publication, as_of: date) -> str:
    """programme.yaml's `urgent_help` as HTML under its heading: the one source of the notice."""
    notice = render(publication.programme.urgent_help, link=lambda entity_id: public_url(publication, entity_id, as_of))
    return f"<p><strong>{URGENT_HEADING}</strong></p>{notice}"


def item_description(episode: Episode, publication: Publication, as_of: date) -> str:
    """An item's <description>: the episode's summary, then the urgent-help notice (HTML, for a CDATA section)."""
    html = sanitise_html(f"<p>{escape(episode.summary, quote=False)}</p>{urgent_help_html(publication, as_of)}")
    return html.strip().replace("]]>", "]]&gt;")  # a CDATA section cannot contain its own terminator
