"""Raw HTML in Markdown: backpub.text.markdown.render removes active content and remote loads, and keeps the meaning."""

from __future__ import annotations

import xml.dom.minidom

import pytest

from backpub.text import markdown


def render(text: str) -> str:
    return markdown.render(text, link=lambda entity: f"/e/{entity}/", image=lambda src: f"../img/{src}")


HOSTILE = {
    "script block": ("<script>alert(1)</script>\n\nSafe words.", ["<script", "alert(1)"]),
    "script inline": ("Safe words. <script>alert(1)</script>", ["<script", "alert(1)"]),
    "onclick": ('<p onclick="steal()">Safe words.</p>', ["onclick", "steal"]),
    "onerror on img": ('<img src="assets/a.png" onerror="steal()" alt="Safe words.">', ["onerror", "steal"]),
    "javascript link": ('<a href="javascript:steal()">Safe words.</a>', ["javascript:", "steal"]),
    "javascript link, mixed case and entity": (
        '<a href="JaVa&#115;cript:steal()">Safe words.</a>',
        ["script:", "steal"],
    ),
    "markdown javascript link": ("[Safe words.](javascript:steal())", ['href="javascript']),
    "markdown data link": ("[Safe words.](data:image/png;base64,AAAA)", ['href="data:']),
    "iframe": ('<iframe src="https://evil.example/"></iframe>\n\nSafe words.', ["<iframe", "evil.example"]),
    "form": (
        '<form action="https://evil.example/"><input name="pw"><button>Go</button></form>\n\nSafe words.',
        ["<form", "<input", "evil.example", "<button"],
    ),
    "style element": ("<style>body{background:url(https://evil.example/)}</style>\n\nSafe words.", ["<style", "evil"]),
    "style attribute": ('<p style="background:url(https://evil.example/)">Safe words.</p>', ["style=", "evil"]),
    "link element": ('<link rel="stylesheet" href="https://evil.example/x.css">\n\nSafe words.', ["<link", "evil"]),
    "svg payload": ('<svg onload="steal()"><script>steal()</script></svg>\n\nSafe words.', ["<svg", "steal"]),
    "math payload": (
        '<math><mtext><a href="javascript:steal()">x</a></mtext></math>\n\nSafe words.',
        ["<math", "steal", "javascript"],
    ),
    "object and embed": (
        '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/y">\n\nSafe words.',
        ["<object", "<embed", "evil"],
    ),
    "remote raw img": ('<p>Safe words.</p><img src="http://127.0.0.1:9/x.png" alt="">', ["127.0.0.1"]),
    "file raw img": ('<img src="file:///etc/passwd" alt="Safe words.">', ["file:", "/etc/passwd"]),
    "srcset": ('<img src="assets/a.png" srcset="https://evil.example/x.png 2x" alt="Safe words.">', ["srcset", "evil"]),
    "base": ('<base href="https://evil.example/">\n\nSafe words.', ["<base", "evil"]),
    "meta refresh": ('<meta http-equiv="refresh" content="0;url=https://evil.example/">\n\nSafe words.', ["<meta"]),
    "template": ("<template><script>steal()</script></template>\n\nSafe words.", ["<template", "steal"]),
    "comment hiding script": ("<!-- --><script>steal()</script><!-- -->\n\nSafe words.", ["<script", "steal"]),
    "unclosed script": ("Safe words.\n\n<script>steal()", ["<script", "steal"]),
    "remote markdown image": ("Safe words. ![x](http://127.0.0.1:9/x.png)", ["127.0.0.1"]),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_html_is_removed_and_the_words_survive(name):
    source, forbidden = HOSTILE[name]
    html = render(source)
    for text in forbidden:
        assert text.lower() not in html.lower(), (name, html)
    assert "Safe words." in html, html


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_sanitised_output_is_well_formed_xhtml(name):
    """EPUB and the newsletter parse fragments as XML: sanitising must not break that."""
    xml.dom.minidom.parseString(f"<div>{render(HOSTILE[name][0])}</div>")


def test_meaningful_markup_survives():
    source = (
        "<details><summary>Why it hurts</summary>\n\n"
        "The nerve is <mark>irritated</mark> in the <abbr title='lumbar'>lower back</abbr>.\n\n</details>\n\n"
        '<table><tr><th scope="col">Time</th></tr><tr><td colspan="2">3–5 min</td></tr></table>\n\n'
        'Read <a href="https://example.org/guide" title="Guide">the guide</a> or '
        '<a href="mailto:help@example.org">write</a>.\n\n'
        '<figure><img src="assets/wall.png" alt="Leaning on a wall" width="300"><figcaption>The drill'
        "</figcaption></figure>\n\nH<sub>2</sub>O and x<sup>2</sup>, <kbd>Ctrl</kbd>, <del>old</del> <ins>new</ins>."
    )
    html = render(source)
    for kept in (
        "<details>",
        "<summary>Why it hurts</summary>",
        "<mark>irritated</mark>",
        '<abbr title="lumbar">lower back</abbr>',
        '<th scope="col">Time</th>',
        '<td colspan="2">3–5 min</td>',
        '<a href="https://example.org/guide" title="Guide">the guide</a>',
        '<a href="mailto:help@example.org">write</a>',
        '<img src="../img/assets/wall.png" alt="Leaning on a wall" width="300" />',
        "<figcaption>The drill</figcaption>",
        "<sub>2</sub>",
        "<kbd>Ctrl</kbd>",
        "<del>old</del>",
    ):
        assert kept in html, (kept, html)
    xml.dom.minidom.parseString(f"<div>{html}</div>")


def test_resolved_sources_and_links_survive_sanitising():
    """The whole-fragment clean must keep what the format's resolvers produced (absolute or ../ paths)."""
    html = markdown.render(
        "See [ice](@ice) and ![wall](assets/wall.png) <span>next to raw HTML</span>.",
        link=lambda entity: f"https://site.example/{entity}/",
        image=lambda src: f"/static/{src}",
    )
    assert '<a href="https://site.example/ice/">ice</a>' in html
    assert '<img src="/static/assets/wall.png" alt="wall" />' in html
    assert "<span>next to raw HTML</span>" in html


def test_markdown_without_raw_html_is_left_to_markdown_it():
    html = render("# Title\n\nA [link](@ice), `<script>` in code, and an ![image](assets/a.png).")
    assert "<h1>Title</h1>" in html
    assert '<a href="/e/ice/">link</a>' in html
    assert "<code>&lt;script&gt;</code>" in html
    assert '<img src="../img/assets/a.png" alt="image" />' in html


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('<img src="http://127.0.0.1:9/x.png">', "raw HTML <img> 'http://127.0.0.1:9/x.png' is a remote"),
        ('<a href="javascript:steal()">x</a>', "raw HTML <a> link 'javascript:steal()' is not allowed"),
        ('<p style="background:url(x.png)">x</p>', "raw HTML may not load stylesheets or CSS url(...) resources"),
        ("![x](file:///etc/passwd)", "image 'file:///etc/passwd' is a remote or absolute URL"),
        ("![x](assets/%2e%2e/%2e%2e/etc/passwd)", "leaves the content folder ('..')"),
    ],
)
def test_scan_reports_what_render_would_silently_drop(source, message):
    issues, _ = markdown.scan(source)
    assert any(message in issue.message for issue in issues), issues
