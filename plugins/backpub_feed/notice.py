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


_NOTICES: dict[tuple[int, date, int], tuple[Publication, Messages | None, str]] = {}
"""Notices made in this process, by (publication, date, words): every item carries the same one."""


def urgent_help_html(publication: Publication, as_of: date, words: Messages | None = None) -> str:
    """programme.yaml's `urgent_help` as HTML under its heading: the one source of the notice (made once per
    publication, date and catalogue, not once per item)."""
    key = (id(publication), as_of, id(words))
    found = _NOTICES.get(key)
    if found is not None and found[0] is publication and found[1] is words:
        return found[2]
    heading = escape((words or default_messages(publication)).gettext("When to get urgent help"), quote=False)
    notice = render(publication.programme.urgent_help, link=lambda entity_id: public_url(publication, entity_id, as_of))
    html = f"<p><strong>{heading}</strong></p>{notice}"
    if len(_NOTICES) > 16:
        _NOTICES.clear()  # (a long-lived process, e.g. a preview, builds many publications)
    _NOTICES[key] = (publication, words, html)
    return html


def item_description(episode: Episode, publication: Publication, as_of: date, words: Messages | None = None) -> str:
    """An item's <description>: the episode's summary, then the urgent-help notice (HTML, for a CDATA section)."""
    notice = urgent_help_html(publication, as_of, words)
    html = sanitise_html(f"<p>{escape(episode.summary, quote=False)}</p>{notice}")
    return html.strip().replace("]]>", "]]&gt;")  # a CDATA section cannot contain its own terminator
