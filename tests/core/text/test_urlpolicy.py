"""The URL policy: what stylesheets, theme templates and raw HTML may load, read the way a renderer reads them."""

from __future__ import annotations

import pytest

from backpub.text import markdown, urlpolicy
from backpub.text.urlpolicy import css_references, css_remote_references, html_remote_references, raw_html_issues
from backpub_testkit import edit

REMOTE = "https://tracker.example/p.png"


@pytest.mark.parametrize(
    "css",
    [
        f"a {{ background: url({REMOTE}) }}",
        f'a {{ background: url("{REMOTE}") }}',
        f"a {{ background: URL( '{REMOTE}' ) }}",
        f"a {{ background: \\75 rl({REMOTE}) }}",  # u written as a CSS escape
        f"a {{ background: \\55 \\52 \\4c ({REMOTE}) }}",  # the whole name escaped
        f'a {{ background: u\\72l("{REMOTE}") }}',  # an escape inside the name of a url("...") function
        f'a {{ background: image-set("{REMOTE}" 1x, "b.png" 2x) }}',
        f'a {{ background: -webkit-image-set("{REMOTE}" 1x) }}',
        f"a {{ background: image-set(url({REMOTE}) 1x) }}",
        f'@import "{REMOTE}";',
        f"@import '{REMOTE}' screen;",
        f"@IMPORT /* a comment */ url({REMOTE});",
        f'@import url("{REMOTE}") print;',
        f"@font-face {{ font-family: X; src: local(X), url({REMOTE}) format('woff2') }}",
        f"@media print {{ @supports (display: grid) {{ a {{ list-style: url({REMOTE}) }} }} }}",
        f"a {{ cursor: url({REMOTE}), auto; mask: url(#m) }}",
        f"a {{ background: url(/*x*/{REMOTE}) }}".replace("/*x*/", ""),
    ],
)
def test_every_way_of_loading_a_remote_url_from_css_is_found(css):
    assert css_remote_references(css) == [(1, REMOTE)], css


@pytest.mark.parametrize(
    "css",
    [
        "a { background: url(images/a.png) }",
        'a { background: url("data:image/png;base64,AAAA") }',
        'a { background: image-set("a.png" 1x, "b.png" 2x) }',
        "a { fill: url(#gradient) }",
        'a::before { content: "url(https://example.org/) is only text" }',
        "/* @import url(https://example.org/a.css); */ a { color: red }",
        "a { background: ur/**/l(https://example.org/a.png) }",  # a comment splits the name: not a url()
    ],
)
def test_local_data_fragment_text_and_commented_out_references_are_allowed(css):
    assert css_remote_references(css) == [], css


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("//cdn.example/x.png", True),
        ("/etc/x.png", True),
        ("file:///etc/passwd", True),
        ("http://127.0.0.1/x.png", True),
        ("data:image/gif;base64,R0lGOD", False),
        ("fonts/lato.woff2", False),
    ],
)
def test_what_counts_as_loading_from_outside(url, refused):
    assert css_remote_references(f"a {{ background: url('{url}') }}") == ([(1, url)] if refused else [])


def test_css_references_keep_their_lines_and_order():
    css = (
        "@charset 'utf-8';\n"
        "@import 'https://a.example/one.css';\n"
        "body {\n"
        "  color: red;\n"
        "  background: \\75 rl(https://b.example/two.png),\n"
        "              image-set('https://c.example/three.png' 1x);\n"
        "}\n"
        "p { background: url(local.png) }\n"
    )
    assert css_references(css) == [
        (2, "https://a.example/one.css"),
        (5, "https://b.example/two.png"),
        (6, "https://c.example/three.png"),
        (8, "local.png"),
    ]
    assert css_remote_references(css) == [
        (2, "https://a.example/one.css"),
        (5, "https://b.example/two.png"),
        (6, "https://c.example/three.png"),
    ]


def test_a_template_loading_through_its_css_is_found_at_its_line():
    html = (
        "<!doctype html>\n"
        "<style\n"
        "  media=screen>\n"
        "  body { color: #111 }\n"
        "  header { background: \\75 rl(https://a.example/bg.png) }\n"
        "</style>\n"
        '<p style="background: image-set(&quot;https://b.example/x.png&quot; 1x)">Don\'t</p>\n'
        '<svg><rect fill="url(https://c.example/pattern.svg#p)" /></svg>\n'
        '<div style="background: url({{ image }})">filled in from checked content</div>\n'
        "<p>Text that says url(https://d.example/) is not CSS.</p>\n"
    )
    assert html_remote_references(html) == [
        (5, "https://a.example/bg.png"),
        (7, "https://b.example/x.png"),
        (8, "https://c.example/pattern.svg#p"),
    ]


def test_an_import_split_across_pieces_of_a_style_element_is_still_found():
    html = '<style>a::before { content: "</" }\n@import "https://a.example/x.css";</style>'
    assert html_remote_references(html) == [(2, "https://a.example/x.css")]


def test_an_unclosed_style_element_is_scanned_to_the_end():
    assert html_remote_references("<style>\n@import url(//a.example/x.css);") == [(2, "//a.example/x.css")]


@pytest.mark.parametrize(
    "html",
    [
        '<p style="background: \\75 rl(x.png)">x</p>',
        '<p style="background: image-set(&quot;x.png&quot; 1x)">x</p>',
        '<p style="background: &#117;rl(x.png)">x</p>',  # u written as an HTML character reference
        '<style>@import "x.css";</style>',
    ],
)
def test_raw_html_css_is_refused_however_it_is_written(html):
    assert "raw HTML may not load stylesheets or CSS url(...) resources" in raw_html_issues(html)


def test_plain_raw_html_has_no_issues():
    assert raw_html_issues('<p><a href="https://example.org/">a link</a> and <img src="assets/a.png" alt=""></p>') == []


def test_markdown_keeps_offering_the_policy_under_its_old_names():
    """Formats and plugins import these from backpub.text.markdown; they must stay the policy's own functions."""
    for name in ("is_remote", "asset_path_problem", "css_remote_references", "html_remote_references", "sanitise_html"):
        assert getattr(markdown, name) is getattr(urlpolicy, name)


def test_an_escaped_url_in_a_theme_stylesheet_stops_the_build_at_its_line(run_cli, project):
    css = project / "theme" / "site" / "site.css"
    css.parent.mkdir(parents=True)
    css.write_text("body { color: #111 }\nheader { background: \\75 rl(https://a.example/bg.png) }\n")
    result = run_cli("build", "-f", "site", cwd=project)
    assert result.exit_code == 1, result.output
    assert "theme/site/site.css:2:1: error: [site] the theme loads 'https://a.example/bg.png'" in result.output
    assert not (project / "outputs").exists()


def test_an_escaped_url_in_raw_html_is_located_in_the_content(run_cli, project):
    edit(
        project / "content/concepts/back-not-leg.md",
        "The nerve",
        '<p style="background: \\75 rl(https://a.example/x.png)">styled</p>\n\nThe nerve',
    )
    result = run_cli("validate", "content", cwd=project)
    assert result.exit_code == 1, result.output
    assert "raw HTML may not load stylesheets or CSS url(...) resources" in result.output
    assert "content/concepts/back-not-leg.md:" in result.output
