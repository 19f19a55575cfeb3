"""Markdown for every format: one parser, sanitised raw HTML, entity links and located URL checks.

In content, `[text](@some-id)` links to another entity; each format decides where that link goes.
Images are content files (`![alt](assets/images/x.svg)`); each format decides how they are served.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import nh3

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

ENTITY_LINK = "@"
"""Links whose target starts with this character name an entity id, e.g. `[ice](@ice-the-lower-back)`."""

SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
SAFE_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}

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


def _walk(tokens: list[Token]):
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


_CSS_REFERENCE = re.compile(r"""@import\s+(?!url\()['"]([^'"]+)|url\(\s*['"]?([^'")]+?)['"]?\s*\)""", re.IGNORECASE)


def css_remote_references(css: str) -> list[tuple[int, str]]:
    """(line, url) for every url(...) or @import in a stylesheet that a renderer or reader would fetch from outside
    (any scheme but data:, protocol-relative, or absolute): themes may style, not fetch."""
    found = []
    for match in _CSS_REFERENCE.finditer(css):
        url = (match[1] or match[2]).strip()
        if (is_remote(url) and not url.lower().startswith("data:")) or url.startswith("/"):
            found.append((css.count("\n", 0, match.start()) + 1, url))
    return found


def is_remote(url: str) -> bool:
    """True for URLs that would make a renderer fetch something: any scheme, or protocol-relative."""
    return bool(re.match(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)", url.strip()))


def asset_path_problem(path: str) -> str | None:
    """Why a content-relative asset path is unacceptable, or None when it is fine."""
    if is_remote(path):
        return f"{path!r} is a remote or absolute URL; content may only use files inside the content folder"
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        return f"{path!r} is an absolute path; use a path relative to the content folder"
    if ".." in re.split(r"[\\/]", path) or ".." in re.split(r"[\\/]", unquote(path)):
        return f"{path!r} leaves the content folder ('..'); use a path inside it"
    return None


def sanitise_html(html: str, on_url: Callable[[str, str, str], str | None] | None = None) -> str:
    """Clean raw HTML with nh3: no scripts, event handlers, forms, iframes or javascript: URLs."""

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if on_url is not None and attribute in ("src", "href"):
            return on_url(tag, attribute, value)
        return value

    return nh3.clean(
        html,
        tags=SAFE_TAGS,
        attributes=SAFE_ATTRIBUTES,
        attribute_filter=attribute_filter,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "form", "template", "svg", "math"},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel=None,
    )


# -- facts about a text, remembered across builds ----------------------------------------------------
#
# Parsing Markdown is the most expensive part of validating and planning a large programme, and most texts
# do not change between builds. Facts derived from a text (its URL issues, links and images) are remembered
# by the text's digest, in memory and, when the build asks for it, in a file in the build cache.

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


def _references(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    links: list[str] = []
    images: list[str] = []
    for _, token in _located(text):
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if href.startswith(ENTITY_LINK):
                links.append(href[1:])
        elif token.type == "image":
            images.append(str(token.attrGet("src") or ""))
        elif token.type in ("html_block", "html_inline"):
            images += [value for tag, name, value in _html_resources(token.content) if (tag, name) == ("img", "src")]
    local = [source for source in images if source and not asset_path_problem(source)]
    return tuple(dict.fromkeys(links)), tuple(dict.fromkeys(local))


def _facts(text: str) -> tuple[Any, Any, Any]:
    """Everything validation and planning need from a text, from one parse."""
    return _scan(text), _local_images(text), _references(text)


_remembered_facts = _remembered("facts", _facts, (((), ()), (), ((), ())))


def references(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(entity ids linked with `@`, local image sources) as `render` passes them to its resolvers, in order.

    Formats use it to declare a job's dependencies without rendering the text."""
    return _remembered_facts(text)[2]


def scan(text: str) -> tuple[list[UrlIssue], list[tuple[int, str]]]:
    """Find URL problems and entity links in Markdown: (issues, [(line, entity id)])."""
    return _remembered_facts(text)[0]


def local_images(text: str) -> list[tuple[int, str]]:
    """Every local image path in Markdown (images and raw HTML <img src>), decoded, with its line (0-based)."""
    return _remembered_facts(text)[1]


def _scan(text: str) -> tuple[list[UrlIssue], list[tuple[int, str]]]:
    issues: list[UrlIssue] = []
    links: list[tuple[int, str]] = []
    for line, token in _located(text):
        if token.type == "image":
            problem = asset_path_problem(str(token.attrGet("src") or ""))
            if problem:
                issues.append(UrlIssue(line, f"image {problem}"))
        elif token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if href.startswith(ENTITY_LINK):
                links.append((line, href[1:]))
        elif token.type in ("html_block", "html_inline"):
            issues.extend(UrlIssue(line, message) for message in _raw_html_issues(token.content))
        elif token.type == "text":
            # markdown-it leaves images with file:, data: or javascript: sources as plain text: refuse them too
            for match in _REFUSED_IMAGE.finditer(token.content):
                problem = asset_path_problem(match.group(1))
                if problem:
                    issues.append(UrlIssue(line, f"image {problem}"))
    return issues, links


def _local_images(text: str) -> list[tuple[int, str]]:
    """Every local image path in Markdown (images and raw HTML <img src>), decoded, with its line (0-based)."""
    found: list[tuple[int, str]] = []
    for line, token in _located(text):
        if token.type == "image":
            sources = [str(token.attrGet("src") or "")]
        elif token.type in ("html_block", "html_inline"):
            sources = [value for tag, name, value in _html_resources(token.content) if (tag, name) == ("img", "src")]
        else:
            continue
        found.extend((line, unquote(src)) for src in sources if src and not asset_path_problem(src))
    return found


_REFUSED_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")


@lru_cache(maxsize=64)
def _located(text: str) -> tuple[tuple[int, Token], ...]:
    """(line, token) for every token; inline tokens get the line they are on, not their block's.

    Cached because validation scans each text twice (URL issues, then local images); callers must not
    change the tokens (render parses afresh, since it rewrites them).
    """
    located = []
    line = 0
    for token in _walk(_parse(text)):
        if token.map:
            line = token.map[0]
        elif token.type in ("softbreak", "hardbreak"):
            line += 1
        located.append((line, token))
    return tuple(located)


# Attributes with which raw HTML makes a browser or renderer fetch something (href only on these tags).
_FETCHING_ATTRIBUTES = {
    "src", "srcset", "poster", "data", "background", "lowsrc", "dynsrc", "longdesc", "codebase", "archive",
    "manifest", "action", "formaction", "xlink:href", "icon", "ping",
}  # fmt: skip
_FETCHING_HREF_TAGS = {"link", "base", "image", "use", "feimage", "script"}


class _ResourceFinder(HTMLParser):
    """Lists (tag, attribute, url) for every URL in raw HTML that would be fetched or followed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []
        self.lines: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            if name == "srcset":
                self.found.extend((tag, name, part.split()[0]) for part in value.split(",") if part.strip())
                self.lines.extend([line] * (len(self.found) - len(self.lines)))
            elif name in _FETCHING_ATTRIBUTES or name == "href":
                self.found.append((tag, name, value.strip()))
                self.lines.append(line)

    handle_startendtag = handle_starttag


def _html_resources(html: str) -> list[tuple[str, str, str]]:
    finder = _ResourceFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def html_remote_references(html: str) -> list[tuple[int, str]]:
    """(line, url) for every resource an HTML template would make a renderer or reader fetch from outside the
    project: images, stylesheets, scripts, frames, media (plain links are followed by choice, not fetched)."""
    finder = _ResourceFinder()
    finder.feed(html)
    finder.close()
    found = []
    for (tag, name, url), line in zip(finder.found, finder.lines, strict=True):
        if "{{" in url or "{%" in url:
            continue  # filled in by the template from content, which validation has checked
        followed_link = name == "href" and tag in ("a", "area")
        if not followed_link and ((is_remote(url) and not url.lower().startswith("data:")) or url.startswith("//")):
            found.append((line, url))
    return found + css_remote_references(html)


def _raw_html_issues(html: str) -> list[str]:
    found: list[str] = []
    for tag, name, value in _html_resources(html):
        if name == "href" and tag not in _FETCHING_HREF_TAGS:
            if is_remote(value) and not _SAFE_LINK.match(value):
                found.append(f"raw HTML <{tag}> link {value!r} is not allowed; use an http(s), mailto or tel link")
            continue
        problem = asset_path_problem(value)
        if problem:
            what = f"<{tag}>" if name == "src" else f"<{tag} {name}>"
            found.append(f"raw HTML {what} {problem}")
    if re.search(r"url\s*\(|@import|<link\b", html, re.IGNORECASE):
        found.append("raw HTML may not load stylesheets or CSS url(...) resources")
    return found


def render(
    text: str,
    *,
    link: LinkResolver | None = None,
    image: ImageResolver | None = None,
    heading_shift: int = 0,
) -> str:
    """Render Markdown to sanitised (X)HTML; entity links and image sources go through the resolvers."""
    if not text:
        return ""
    tokens = _parse(text)
    has_raw_html = False
    resolved: set[str] = set()
    for token in _walk(tokens):
        _rewrite(token, link, image, heading_shift)
        has_raw_html = has_raw_html or token.type in ("html_block", "html_inline")
        if token.type == "image" and token.attrGet("src"):
            resolved.add(str(token.attrGet("src")))
    html = _parser().renderer.render(tokens, _parser().options, {})
    if has_raw_html:
        # Inline raw HTML arrives as separate opening and closing tags: clean the whole fragment at once,
        # so allowed markup around text survives while scripts, handlers and remote sources do not.
        html = _as_xhtml(sanitise_html(html, _raw_src_filter(resolved, image)))
    return html


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
        elif is_remote(href) and not _SAFE_LINK.match(href):  # markdown-it lets data:image/... links through
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


_SAFE_LINK = re.compile(r"^(?:https?|mailto|tel):", re.IGNORECASE)


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
