"""Markdown for every format: one parser, sanitised raw HTML, entity links and located URL checks.

What a URL may be is decided in `backpub.text.urlpolicy`; this module applies it to Markdown.

In content, `[text](@some-id)` links to another entity; each format decides where that link goes.
Images are content files (`![alt](assets/images/x.svg)`); each format decides how they are served.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from backpub.text.urlpolicy import (  # noqa: F401 - re-exported: formats and plugins import them from here
    SAFE_ATTRIBUTES,
    SAFE_TAGS,
    asset_path_problem,
    css_remote_references,
    html_remote_references,
    html_resources,
    is_remote,
    is_safe_link,
    raw_html_issues,
    sanitise_html,
)

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

ENTITY_LINK = "@"
"""Links whose target starts with this character name an entity id, e.g. `[ice](@ice-the-lower-back)`."""

LinkResolver = Callable[[str], str]
ImageResolver = Callable[[str], str]


@dataclass(frozen=True)
class UrlIssue:
    """A URL in Markdown that content may not use, with its line (0-based, within the text)."""

    line: int
    message: str


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"xhtmlOut": True, "html": True}).enable("table").enable("strikethrough")


def _parse(text: str) -> list[Token]:
    return _parser().parse(text)


@cache
def _typographer(quotes: str) -> MarkdownIt:
    """The parser, setting quotation marks and apostrophes as `quotes` says (and changing nothing else)."""
    from markdown_it import MarkdownIt

    options = {"xhtmlOut": True, "html": True, "typographer": True, "quotes": quotes}
    return MarkdownIt("commonmark", options).enable(["table", "strikethrough", "smartquotes"])


@cache
def _plain_typographer(quotes: str) -> MarkdownIt:
    """The same rule for plain text: nothing in it is markup."""
    from markdown_it import MarkdownIt

    return MarkdownIt("zero", {"typographer": True, "quotes": quotes}).enable("smartquotes")


_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|[#/])", re.IGNORECASE)
"""A URL, a path or an anchor: text a template prints into an attribute, never to be made typographic."""


def typographic_text(quotes: str) -> Callable[[Any], Any]:
    """A Jinja `finalize`: every plain string a template prints made `typographic` (markup, addresses and anything
    that is not a string print as they are)."""

    def finalize(value: Any) -> Any:
        if type(value) is not str or _ADDRESS.match(value):
            return value
        return typographic(value, quotes)

    return finalize


def typographic(text: str, quotes: str) -> str:
    """Plain text with its straight quotation marks and apostrophes made typographic: `quotes` gives the
    language's opening and closing double marks, then its single ones (English '“”‘’', German '„“‚‘'; see
    `Messages.quotes`). Nothing else in the text changes."""
    if not quotes or ('"' not in text and "'" not in text):
        return text
    (inline,) = _plain_typographer(quotes).parseInline(text)
    return "".join(token.content for token in inline.children or [])


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


# -- facts about a text, remembered across builds ----------------------------------------------------
#
# Parsing Markdown is the most expensive part of validating and planning a large programme, and most texts
# do not change between builds. Facts derived from a text (its URL issues, links and images, and the HTML it
# renders to with its links, images and heading levels left open) are remembered by the text's digest, in
# memory and, when the build asks for it, in a file in the build cache: validation parses each text once,
# and rendering fills the HTML in instead of parsing the text again.

_FACTS: dict[tuple[str, str], Any] = {}
_FACTS_USED: set[tuple[str, str]] = set()


def _remembered(kind: str, compute: Callable[[str], Any], nothing: Any) -> Callable[[str], Any]:
    """Wrap a pure function of a Markdown text so its result is remembered by the text's digest.

    `nothing` is the function's result for a text without markup that could link or load anything.
    """

    @functools.wraps(compute)
    def remembered(text: str) -> Any:
        if "[" not in text and "<" not in text:
            return nothing  # without brackets there can be no link, image, autolink or raw HTML to find
        key = (kind, hashlib.blake2b(text.encode(), digest_size=16).hexdigest())
        _FACTS_USED.add(key)
        if key not in _FACTS:
            _FACTS[key] = compute(text)
        return _FACTS[key]

    return remembered


def remember_facts(facts: Any) -> None:
    """Remember facts kept from an earlier run (the caller's cache decides whether they are current)."""
    if isinstance(facts, dict):
        _FACTS.update(facts)


def facts_in_use() -> dict[tuple[str, str], Any]:
    """The facts this process used, to keep for the next run (never more than the current content needs)."""
    return {key: _FACTS[key] for key in _FACTS_USED if key in _FACTS}


def _references(located: Located) -> tuple[tuple[str, ...], tuple[str, ...]]:
    links: list[str] = []
    images: list[str] = []
    for _, token in located:
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if href.startswith(ENTITY_LINK):
                links.append(href[1:])
        elif token.type == "image":
            images.append(str(token.attrGet("src") or ""))
        elif token.type in ("html_block", "html_inline"):
            images += [value for tag, name, value in html_resources(token.content) if (tag, name) == ("img", "src")]
    local = [source for source in images if source and not asset_path_problem(source)]
    return tuple(dict.fromkeys(links)), tuple(dict.fromkeys(local))


def _facts(text: str) -> tuple[Any, Any, Any, Any]:
    """Everything validation, planning and rendering need from a text, from one parse."""
    tokens = _parse(text)
    located = _located(tokens)
    found = _scan(located), _local_images(located), _references(located)
    return (*found, _template(text, tokens))  # (last: it rewrites the tokens)


_remembered_facts = _remembered("facts-2", _facts, (((), ()), (), ((), ()), None))


def references(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(entity ids linked with `@`, local image sources) as `render` passes them to its resolvers, in order.

    Formats use it to declare a job's dependencies without rendering the text."""
    found: tuple[tuple[str, ...], tuple[str, ...]] = _remembered_facts(text)[2]
    return found


def scan(text: str) -> tuple[list[UrlIssue], list[tuple[int, str]]]:
    """Find URL problems and entity links in Markdown: (issues, [(line, entity id)])."""
    found: tuple[list[UrlIssue], list[tuple[int, str]]] = _remembered_facts(text)[0]
    return found


def local_images(text: str) -> list[tuple[int, str]]:
    """Every local image path in Markdown (images and raw HTML <img src>), decoded, with its line (0-based)."""
    found: list[tuple[int, str]] = _remembered_facts(text)[1]
    return found


MAX_NESTING = 100
"""How deeply a text's elements (Markdown's and raw HTML's) may nest: XML parsers refuse documents nested much
deeper (libxml2 stops at 256, and a page or a book chapter adds levels of its own)."""
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


class _TagBalance(HTMLParser):
    """Elements opened minus elements closed in a piece of raw HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.balance = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.balance += tag not in _VOID

    def handle_endtag(self, tag: str) -> None:
        self.balance -= tag not in _VOID


def _tag_balance(html: str) -> int:
    parser = _TagBalance()
    parser.feed(html)
    return parser.balance


def _scan(located: Located) -> tuple[list[UrlIssue], list[tuple[int, str]]]:
    issues: list[UrlIssue] = []
    links: list[tuple[int, str]] = []
    depth = 0
    for line, token in located:
        depth += _tag_balance(token.content) if token.type in ("html_block", "html_inline") else token.nesting
        if depth > MAX_NESTING and not any(issue.message.startswith(_TOO_DEEP) for issue in issues):
            issues.append(UrlIssue(line, f"{_TOO_DEEP} {MAX_NESTING} levels here; flatten the markup"))
        if token.type == "image":
            problem = asset_path_problem(str(token.attrGet("src") or ""))
            if problem:
                issues.append(UrlIssue(line, f"image {problem}"))
        elif token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if href.startswith(ENTITY_LINK):
                links.append((line, href[1:]))
        elif token.type in ("html_block", "html_inline"):
            issues.extend(UrlIssue(line, message) for message in raw_html_issues(token.content))
        elif token.type == "text":
            # markdown-it leaves images with file:, data: or javascript: sources as plain text: refuse them too
            for match in _REFUSED_IMAGE.finditer(token.content):
                problem = asset_path_problem(match.group(1))
                if problem:
                    issues.append(UrlIssue(line, f"image {problem}"))
    return issues, links


def _local_images(located: Located) -> list[tuple[int, str]]:
    """Every local image path in Markdown (images and raw HTML <img src>), decoded, with its line (0-based)."""
    found: list[tuple[int, str]] = []
    for line, token in located:
        if token.type == "image":
            sources = [str(token.attrGet("src") or "")]
        elif token.type in ("html_block", "html_inline"):
            sources = [value for tag, name, value in html_resources(token.content) if (tag, name) == ("img", "src")]
        else:
            continue
        found.extend((line, unquote(src)) for src in sources if src and not asset_path_problem(src))
    return found


_TOO_DEEP = "elements nest more than"
_REFUSED_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")


Located = tuple[tuple[int, "Token"], ...]


def _located(tokens: list[Token]) -> Located:
    """(line, token) for every token; inline tokens get the line they are on, not their block's."""
    located = []
    line = 0
    for token in _walk(tokens):
        if token.map:
            line = token.map[0]
        elif token.type in ("softbreak", "hardbreak"):
            line += 1
        located.append((line, token))
    return tuple(located)


def render(
    text: str,
    *,
    link: LinkResolver | None = None,
    image: ImageResolver | None = None,
    heading_shift: int = 0,
    quotes: str = "",
) -> str:
    """Render Markdown to sanitised (X)HTML; entity links and image sources go through the resolvers. With
    `quotes`, straight quotation marks and apostrophes in the text are set as `typographic` sets them."""
    if not text:
        return ""
    if quotes and ('"' in text or "'" in text):
        template = _quoted_template(text, quotes)  # (quotation marks change the text: a parse of its own)
    elif "[" not in text and "<" not in text:
        template = _linkless_template(text)  # (no facts to take: validation did not parse it)
    else:
        template = _remembered_facts(text)[3]
    if template is not None:
        return template.fill(link, image, heading_shift)
    return _render_parsed(text, link, image, heading_shift, quotes)


def _render_parsed(
    text: str, link: LinkResolver | None, image: ImageResolver | None, heading_shift: int, quotes: str = ""
) -> str:
    """`render` from a parse of the text: for raw HTML, and what a `Template` must always equal."""
    tokens = _typographer(quotes).parse(text) if quotes else _parse(text)
    has_raw_html = False
    resolved: set[str] = set()
    for token in _walk(tokens):
        _rewrite(token, link, image, heading_shift)
        has_raw_html = has_raw_html or token.type in ("html_block", "html_inline")
        if token.type == "image" and token.attrGet("src"):
            resolved.add(str(token.attrGet("src")))
    html: str = _parser().renderer.render(tokens, _parser().options, {})
    if has_raw_html:
        # Inline raw HTML arrives as separate opening and closing tags: clean the whole fragment at once,
        # so allowed markup around text survives while scripts, handlers and remote sources do not.
        html = _as_xhtml(sanitise_html(html, _raw_src_filter(resolved, image)))
    return html


# -- rendering without parsing again -------------------------------------------------------------------
#
# A text's HTML depends on the resolvers only through its entity links' hrefs and its images' sources, and on
# the heading shift only through its heading tags. So the text is rendered once, when its facts are taken,
# with a mark in each of those places; `render` fills the marks in. The marks are private-use characters, which
# HTML escaping leaves alone; a text holding one of them, or raw HTML (sanitised with the resolved sources in
# hand), is rendered from a parse instead.

_OPEN, _CLOSE, _HEADING = "\ue000", "\ue001", "\ue002"
_MARK = re.compile(f"{_OPEN}(\\d+){_CLOSE}|{_HEADING}(\\d)")


@dataclass(frozen=True)
class Template:
    """A text's HTML with a mark for each entity link, image source and heading level."""

    html: str
    slots: tuple[tuple[str, str], ...]
    """('link', entity id) or ('image', source) for each mark, in order."""

    def fill(self, link: LinkResolver | None, image: ImageResolver | None, heading_shift: int) -> str:
        """The HTML `render` makes from the text with these resolvers."""

        def value(match: re.Match[str]) -> str:
            if match.group(2) is not None:
                return f"h{min(6, int(match.group(2)) + heading_shift)}"
            kind, target = self.slots[int(match.group(1))]
            if kind == "link":
                return _escape(link(target) if link is not None else ENTITY_LINK + target)
            return _escape(image(target) if image is not None else target)

        return _MARK.sub(value, self.html)


@functools.lru_cache(maxsize=1024)
def _linkless_template(text: str) -> Template | None:
    """The template of a text without links, images or HTML: those a format prints on every page (a notice)
    are parsed once, not once a page."""
    return _template(text, _parse(text))


@functools.lru_cache(maxsize=1024)
def _quoted_template(text: str, quotes: str) -> Template | None:
    """The template of a text whose quotation marks `quotes` sets: parsed once for them (a notice on every page,
    the same text in several outputs), not once for each render."""
    return _template(text, _typographer(quotes).parse(text))


def _escape(value: str) -> str:
    """An attribute value as markdown-it's renderer escapes it."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _template(text: str, tokens: list[Token]) -> Template | None:
    """The text's HTML with marks where the resolvers and the heading shift go (None: render must parse)."""
    if _OPEN in text or _CLOSE in text or _HEADING in text:
        return None
    slots: list[tuple[str, str]] = []
    for token in _walk(tokens):
        if token.type in ("html_block", "html_inline"):
            return None
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if href.startswith(ENTITY_LINK):
                token.attrSet("href", f"{_OPEN}{len(slots)}{_CLOSE}")
                slots.append(("link", href[1:]))
            elif is_remote(href) and not is_safe_link(href):
                token.attrs.pop("href", None)
        elif token.type == "image":
            src = str(token.attrGet("src") or "")
            if asset_path_problem(src):
                token.attrs.pop("src", None)
            else:
                token.attrSet("src", f"{_OPEN}{len(slots)}{_CLOSE}")
                slots.append(("image", src))
        elif token.type in ("heading_open", "heading_close"):
            token.tag = f"{_HEADING}{token.tag[1]}"
    return Template(_parser().renderer.render(tokens, _parser().options, {}), tuple(slots))


def _raw_src_filter(resolved: set[str], image: ImageResolver | None) -> Callable[[str, str, str], str | None]:
    """Keep sources the image resolver produced; resolve raw HTML's local ones the same way; drop the rest."""

    def on_url(tag: str, attribute: str, value: str) -> str | None:
        if attribute != "src" or value in resolved:
            return value
        if asset_path_problem(value):
            return None
        return image(value) if image is not None else value

    return on_url


_VOID_ELEMENT = re.compile(r'<(br|hr|img)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*/?>')


def _as_xhtml(html: str) -> str:
    """nh3 writes HTML5 (`<br>`, `&nbsp;`); formats such as EPUB need well-formed XHTML, like markdown-it's output."""
    return _VOID_ELEMENT.sub(r"<\1\2 />", html).replace("&nbsp;", "&#160;")


def _rewrite(token: Token, link: LinkResolver | None, image: ImageResolver | None, shift: int) -> None:
    if token.type == "link_open":
        href = str(token.attrGet("href") or "")
        if href.startswith(ENTITY_LINK) and link is not None:
            token.attrSet("href", link(href[1:]))
        elif is_remote(href) and not is_safe_link(href):  # markdown-it lets data:image/... links through
            token.attrs.pop("href", None)
    elif token.type == "image":
        src = str(token.attrGet("src") or "")
        if asset_path_problem(src):  # validation refuses these; never pass one to a resolver or a reader
            token.attrs.pop("src", None)
        elif image is not None:
            token.attrSet("src", image(src))
    elif token.type in ("heading_open", "heading_close") and shift:
        level = min(6, int(token.tag[1]) + shift)
        token.tag = f"h{level}"


def plain_text(text: str) -> str:
    """Markdown reduced to plain text: paragraphs kept, markup and HTML removed."""
    out: list[str] = []
    prefix = ""
    for token in _parse(text):
        if token.type == "bullet_list_open":
            prefix = "- "
        elif token.type == "bullet_list_close":
            prefix = ""
        elif token.type == "inline":
            words = "".join(_inline_text(child) for child in token.children or [])
            out.append(prefix + words if token.level >= 2 and prefix else words)
    return "\n\n".join(part for part in out if part.strip())


def _inline_text(token: Token) -> str:
    if token.type in ("text", "code_inline"):
        return token.content
    if token.type in ("softbreak", "hardbreak"):
        return " "
    return ""


def excerpt(text: str, words: int = 80) -> str:
    """The first `words` words of the Markdown's plain text, ending with an ellipsis when cut."""
    flat = plain_text(text).split()
    if len(flat) <= words:
        return " ".join(flat)
    return " ".join(flat[:words]).rstrip(",.;:") + "…"


def unlink(text: str, entity_ids: set[str] | frozenset[str]) -> str:
    """The text with every `[words](@id)` link to one of `entity_ids` replaced by its words: what a public copy of
    the Markdown says of something not yet public (an id often says what an unreleased episode is about)."""
    if not entity_ids or f"]({ENTITY_LINK}" not in text:
        return text
    targets = "|".join(re.escape(entity_id) for entity_id in sorted(entity_ids))
    return re.sub(rf"\[([^\[\]]*)\]\(\s*{ENTITY_LINK}(?:{targets})\s*\)", r"\1", text)
