"""The PDF's words that are not in a template's text: page-margin lines in CSS."""

from __future__ import annotations

import re

from markupsafe import Markup

from backpub import Messages

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def css_string(text: str) -> str:
    """`text` as a CSS string literal, safe inside a <style> element."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", "\\a ")
    return f'"{escaped}"'


def css_content(message: str, **parts: str) -> Markup:
    """A translated message with %(name)s placeholders as a CSS `content` value, each placeholder replaced by
    a CSS expression: ('Page %(page)s of %(pages)s', page='counter(page)') -> '"Page " counter(page) " of " ...'."""
    pieces = []
    for index, piece in enumerate(_PLACEHOLDER.split(message)):
        if index % 2:
            pieces.append(parts[piece])
        elif piece:
            pieces.append(css_string(piece))
    return Markup(" ".join(pieces) or '""')


def page_css(words: Messages) -> dict[str, Markup]:
    """The page-margin and page-reference words a PDF's stylesheet prints, in the programme's language."""
    _ = words.gettext
    return {
        "page_of": css_content(_("Page %(page)s of %(pages)s"), page="counter(page)", pages="counter(pages)"),
        "page_ref": css_content(_("(page %(page)s)"), page="target-counter(attr(href url), page)"),
    }


def words_css(words: Messages) -> str:
    """A stylesheet applied before pdf.css: the words of the page numbers and page references, so pdf.css and a
    theme's stylesheets can still hide them (a cover has none) or restyle them."""
    css = page_css(words)
    return (
        f"@page {{ @bottom-right {{ content: {css['page_of']}; }} }}\n"
        f"a.page-ref::after {{ content: {css['page_ref']}; }}\n"
    )
