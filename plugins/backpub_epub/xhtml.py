"""Chapters as well-formed XHTML: Jinja templates, Markdown made XML-safe, and every link checked against the book."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2
from lxml import etree
from lxml import html as lxml_html
from markupsafe import Markup, escape

from backpub import Messages, Publication, template_bytecode, typographic_text
from backpub import render as render_markdown

from .plan import UNLINKED, BookPlan, Chapter

XHTML = "http://www.w3.org/1999/xhtml"
STYLESHEET = "book.css"
WEB_SCHEMES = ("http://", "https://", "mailto:", "tel:")
FORBIDDEN_ELEMENTS = ("script", "style", "iframe", "object", "embed", "form", "link", "base", "meta")


def template_environment(template_dirs: Iterable[Path]) -> jinja2.Environment:
    """Templates from a project's theme folder first, then the plugin's own."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(folder) for folder in template_dirs]),
        bytecode_cache=template_bytecode(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def html_to_xhtml(html: str) -> str:
    """An HTML5 fragment (as markdown.render and nh3 write it: `<br>`, `&nbsp;`) serialised as XML."""
    if not html.strip():
        return ""
    wrapper = lxml_html.fragment_fromstring(html, create_parent="div")
    parts = [str(escape(wrapper.text or ""))]
    parts += [etree.tostring(child, method="xml", encoding="unicode", with_tail=True) for child in wrapper]
    return "".join(parts)


class ChapterWriter:
    """Renders the book's chapters from templates, resolving references through the book's plan."""

    def __init__(
        self, publication: Publication, plan: BookPlan, environment: jinja2.Environment, images: Iterable[str] = ()
    ) -> None:
        self.publication = publication
        self.plan = plan
        self.environment = environment
        self.files = {chapter.file for chapter in plan.chapters} | {"nav.xhtml"}
        self.images = set(plan.media.values()) | set(images)
        words = environment.globals.get("messages")
        self.quotes = words.quotes() if isinstance(words, Messages) else ""
        """The language's quotation marks (the book's catalogue): content and fixed words print them."""
        if self.quotes:
            environment.finalize = typographic_text(self.quotes)
        environment.globals.update(
            programme=publication.programme,
            plan=plan,
            markdown=self.markdown,
            links=self.links,
            media=self.media,
            stylesheet=STYLESHEET,
            long_date=environment.filters.get("format_date", long_date),
            withheld=publication.withheld,  # a members-only entity: its title and teaser, and where to join
        )

    def markdown(self, text: str, shift: int = 1) -> Markup:
        """Content Markdown as XHTML, with `@id` links pointing into the book."""
        html = render_markdown(
            text, link=self.plan.markdown_href, image=self.media, heading_shift=shift, quotes=self.quotes
        )
        return Markup(html_to_xhtml(html))

    def links(self, entity_ids: Iterable[str]) -> list[dict[str, str]]:
        """The references among `entity_ids` a reader can follow, as {href, title}; others are left out."""
        found = []
        for entity_id in entity_ids:
            href = self.plan.href(entity_id)
            if href is not None:
                found.append({"href": href, "title": self.publication.get(entity_id).title})
        return found

    def media(self, source: str) -> str:
        """The book path of a content asset (empty for an asset the plan does not carry: it is then dropped)."""
        return self.plan.media.get(source, "")

    def render(self, chapter: Chapter, **extra: Any) -> bytes:
        """The chapter's XHTML document, checked well-formed and cleaned of anything a book may not hold."""
        text = self.environment.get_template(chapter.template).render(chapter=chapter, **extra)
        root = etree.fromstring(text.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
        self._clean(root)
        return etree.tostring(
            etree.ElementTree(root), xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>"
        )

    def _clean(self, root: etree._Element) -> None:
        # Defence in depth: content HTML was sanitised already, but a theme template or a future core change
        # must not be able to put scripts, handlers, remote images or dead links in the book.
        for element in list(root.iter(*(f"{{{XHTML}}}{name}" for name in FORBIDDEN_ELEMENTS))):
            parent = element.getparent()
            if parent is not None and parent.tag != f"{{{XHTML}}}head":
                _remove(element)
        for element in root.iter(etree.Element):
            for attribute in [name for name in element.attrib if str(name).lower().startswith("on")]:
                del element.attrib[attribute]
        for image in list(root.iter(f"{{{XHTML}}}img")):
            if image.get("src") not in self.images:
                _remove(image)
        for anchor in list(root.iter(f"{{{XHTML}}}a")):
            if not self._reachable(anchor.get("href")):
                _unwrap(anchor)

    def _reachable(self, href: str | None) -> bool:
        if not href or href == UNLINKED:
            return False
        if href.startswith(WEB_SCHEMES) or href.startswith("#"):
            return True
        return href.partition("#")[0] in self.files


def long_date(day: Any) -> str:
    """A date as readers write it, e.g. '22 November 2026'."""
    return f"{day.day} {day:%B %Y}"


def _parent(element: etree._Element) -> etree._Element:
    parent = element.getparent()
    assert parent is not None, "the book's root is never removed"
    return parent


def _remove(element: etree._Element) -> None:
    """Remove an element but keep the text that follows it."""
    parent = _parent(element)
    _keep_tail(element, parent)
    parent.remove(element)


def _unwrap(element: etree._Element) -> None:
    """Replace an element by its content (a link that leads nowhere becomes its text)."""
    parent = _parent(element)
    position = parent.index(element)
    _append_text_before(element, parent, element.text or "")
    children = list(element)
    for offset, child in enumerate(children):
        parent.insert(position + offset, child)
    tail, element.tail = element.tail or "", None
    if children:
        children[-1].tail = (children[-1].tail or "") + tail
    else:
        _append_text_before(element, parent, tail)
    parent.remove(element)


def _keep_tail(element: etree._Element, parent: etree._Element) -> None:
    tail, element.tail = element.tail or "", None
    _append_text_before(element, parent, tail)


def _append_text_before(element: etree._Element, parent: etree._Element, text: str) -> None:
    previous = element.getprevious()
    if previous is None:
        parent.text = (parent.text or "") + text
    else:
        previous.tail = (previous.tail or "") + text
