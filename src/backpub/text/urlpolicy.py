"""What content and themes may link to or load: remote URLs, asset paths, raw HTML and CSS references."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote

import nh3

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

_SAFE_LINK = re.compile(r"^(?:https?|mailto|tel):", re.IGNORECASE)


def is_remote(url: str) -> bool:
    """True for URLs that would make a renderer fetch something: any scheme, or protocol-relative."""
    return bool(re.match(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)", url.strip()))


def is_safe_link(url: str) -> bool:
    """True for link targets a reader may follow: http(s), mailto and tel."""
    return bool(_SAFE_LINK.match(url))


def asset_path_problem(path: str) -> str | None:
    """Why a content-relative asset path is unacceptable, or None when it is fine."""
    if is_remote(path):
        return f"{path!r} is a remote or absolute URL; content may only use files inside the content folder"
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        return f"{path!r} is an absolute path; use a path relative to the content folder"
    if ".." in re.split(r"[\\/]", path) or ".." in re.split(r"[\\/]", unquote(path)):
        return f"{path!r} leaves the content folder ('..'); use a path inside it"
    plain = PurePosixPath(path).as_posix()
    if path != plain:  # a trailing '/', a '//' or a './': every format names the file by its plain path
        return f"{path!r} is not a plain path to a file; write {plain!r}"
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


# -- CSS -----------------------------------------------------------------------------------------------
#
# Stylesheets are read with tinycss2 (the tokenizer WeasyPrint itself uses), so escapes such as `\75 rl(...)`,
# comments and odd spacing are decoded exactly as a renderer would decode them before it fetches anything.

_STRING_URL_FUNCTIONS = {"url", "src", "image", "image-set", "-webkit-image-set"}
"""CSS functions whose quoted strings are URLs, e.g. url("a.png"), image-set("a.png" 1x)."""


def css_references(css: str) -> list[tuple[int, str]]:
    """(line, url) for every URL a stylesheet (or a style attribute's text) would load, in order."""
    if "(" not in css and "@" not in css:
        return []  # no function, url() or at-rule, so nothing to load (and no need to tokenize)
    import tinycss2

    found: list[tuple[int, str]] = []
    _collect_css(tinycss2.parse_component_value_list(css, skip_comments=True), found)
    return found


def _collect_css(tokens: Iterable[Any], found: list[tuple[int, str]]) -> None:
    previous_at_import = False
    for token in tokens:
        kind = token.type
        if kind == "whitespace":
            continue
        if kind == "url" or (kind == "string" and previous_at_import):
            found.append((token.source_line, token.value.strip()))
        elif kind == "function":
            if token.lower_name in _STRING_URL_FUNCTIONS:
                found.extend((t.source_line, t.value.strip()) for t in token.arguments if t.type == "string")
            _collect_css(token.arguments, found)
        elif kind in ("() block", "[] block", "{} block"):
            _collect_css(token.content, found)
        previous_at_import = kind == "at-keyword" and token.lower_value == "import"


def _fetched_from_outside(url: str) -> bool:
    """True for a stylesheet or template reference that would load from outside the project."""
    return (is_remote(url) and not url.lower().startswith("data:")) or url.startswith("/")


def css_remote_references(css: str) -> list[tuple[int, str]]:
    """(line, url) for every url(...), image-set(...) or @import in a stylesheet that a renderer or reader would
    fetch from outside (any scheme but data:, protocol-relative, or absolute): themes may style, not fetch."""
    return [(line, url) for line, url in css_references(css) if _fetched_from_outside(url)]


# -- HTML ----------------------------------------------------------------------------------------------

# Attributes with which raw HTML makes a browser or renderer fetch something (href only on these tags).
_FETCHING_ATTRIBUTES = {
    "src", "srcset", "poster", "data", "background", "lowsrc", "dynsrc", "longdesc", "codebase", "archive",
    "manifest", "action", "formaction", "xlink:href", "icon", "ping",
}  # fmt: skip
_FETCHING_HREF_TAGS = {"link", "base", "image", "use", "feimage", "script"}


class _ResourceFinder(HTMLParser):
    """Lists (tag, attribute, url) for every URL in raw HTML that would be fetched or followed, and (line, url)
    for every URL in its CSS: <style> elements and attribute values (style="...", SVG fill="url(...)", ...)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []
        self.lines: list[int] = []
        self.css: list[tuple[int, str]] = []
        self._style: list[str] | None = None
        self._style_line = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_startendtag(tag, attrs)
        if tag == "style":  # its text starts on the line the (possibly multi-line) tag ends on
            self._style = []
            self._style_line = self.getpos()[0] + (self.get_starttag_text() or "").count("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            self.css.extend((line + offset - 1, url) for offset, url in css_references(value))
            if name == "srcset":
                self.found.extend((tag, name, part.split()[0]) for part in value.split(",") if part.strip())
                self.lines.extend([line] * (len(self.found) - len(self.lines)))
            elif name in _FETCHING_ATTRIBUTES or name == "href":
                self.found.append((tag, name, value.strip()))
                self.lines.append(line)

    def handle_data(self, data: str) -> None:
        if self._style is not None:
            self._style.append(data)  # the parser may hand a <style>'s text over in pieces: scan it whole

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._end_style()

    def close(self) -> None:
        if self._style is not None:  # an unclosed <style> styles the rest of the document, which some
            self._style.append(self.rawdata)  # versions of the parser never hand over: take it here
            self.rawdata = ""
        super().close()
        self._end_style()

    def _end_style(self) -> None:
        if self._style is not None:
            text, self._style = "".join(self._style), None
            self.css.extend((self._style_line + offset - 1, url) for offset, url in css_references(text))


def _find_resources(html: str) -> _ResourceFinder:
    finder = _ResourceFinder()
    finder.feed(html)
    finder.close()
    return finder


def html_resources(html: str) -> list[tuple[str, str, str]]:
    """(tag, attribute, url) for every URL in raw HTML that would be fetched or followed."""
    return _find_resources(html).found


def html_remote_references(html: str) -> list[tuple[int, str]]:
    """(line, url) for every resource an HTML template would make a renderer or reader fetch from outside the
    project: images, stylesheets, scripts, frames, media, CSS (plain links are followed by choice, not fetched)."""
    finder = _find_resources(html)
    found = []
    for (tag, name, url), line in zip(finder.found, finder.lines, strict=True):
        if _templated(url):
            continue
        followed_link = name == "href" and tag in ("a", "area")
        if not followed_link and ((is_remote(url) and not url.lower().startswith("data:")) or url.startswith("//")):
            found.append((line, url))
    found += [(line, url) for line, url in finder.css if not _templated(url) and _fetched_from_outside(url)]
    return sorted(found, key=lambda item: item[0])


def _templated(url: str) -> bool:
    return "{{" in url or "{%" in url  # filled in by the template from content, which validation has checked


def raw_html_issues(html: str) -> list[str]:
    """Why raw HTML in content may not stay as written: remote or unsafe links, sources outside the content
    folder, stylesheets and CSS url(...) (nh3 drops them when rendering; the author should know)."""
    finder = _find_resources(html)
    found: list[str] = []
    for tag, name, value in finder.found:
        if name == "href" and tag not in _FETCHING_HREF_TAGS:
            if is_remote(value) and not is_safe_link(value):
                found.append(f"raw HTML <{tag}> link {value!r} is not allowed; use an http(s), mailto or tel link")
            continue
        problem = asset_path_problem(value)
        if problem:
            what = f"<{tag}>" if name == "src" else f"<{tag} {name}>"
            found.append(f"raw HTML {what} {problem}")
    if finder.css or re.search(r"url\s*\(|@import|<link\b", html, re.IGNORECASE):
        found.append("raw HTML may not load stylesheets or CSS url(...) resources")
    return found
