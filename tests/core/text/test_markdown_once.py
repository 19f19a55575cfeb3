"""Each Markdown text is parsed once: validation takes its facts and its HTML with the resolvers' places marked,
and `render` fills those in, byte for byte what rendering from a fresh parse makes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backpub.text import markdown

PIECES = st.one_of(
    st.sampled_from(
        [
            "[ice](@ice-the-lower-back)",
            "[x](@a&b)",
            "![a chart](assets/chart.png)",
            "![up](../secret.png)",
            "![remote](https://example.org/x.png)",
            "[site](https://example.org/?a=1&b=2)",
            "[bad](javascript:alert(1))",
            '[t](@x "a title")',
            'it\'s "quoted" ',
            "# ",
            "## ",
            "###### ",
            "\n",
            "\n\n",
            "- ",
            "> ",
            "```\n",
            "`",
            "*",
            "|a|b|\n|-|-|\n",
            "<b>raw</b>",
            "<img src='assets/a.png'>",
            "\ue000",
            "\ue0020",
        ]
    ),
    st.text(max_size=8),
)
TEXTS = st.lists(PIECES, max_size=20).map("".join)
RESOLVERS = st.sampled_from([None, lambda target: f'/p/{target}/?q="<&>', lambda target: f"#{target}"])


@settings(max_examples=300, deadline=None)
@given(
    text=TEXTS,
    link=RESOLVERS,
    image=RESOLVERS,
    shift=st.integers(min_value=0, max_value=6),
    quotes=st.sampled_from(["", "“”‘’", "„“‚‘"]),
)
def test_rendering_from_the_remembered_template_is_rendering_from_a_parse(text, link, image, shift, quotes):
    assert markdown.render(text, link=link, image=image, heading_shift=shift, quotes=quotes) == markdown._render_parsed(
        text, link, image, shift, quotes
    )


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The texts markdown-it parses from now on (the remembered facts forgotten first)."""
    parsed: list[str] = []
    real = markdown._parse
    monkeypatch.setattr(markdown, "_FACTS", {})
    monkeypatch.setattr(markdown, "_parse", lambda text: parsed.append(text) or real(text))
    return parsed


def test_a_validated_text_is_rendered_without_parsing_it_again(parses):
    text = "## Why\n\nSee [the drill](@wall-drill) and ![a chart](assets/chart.png).\n"
    issues, links = markdown.scan(text)  # what validation asks
    assert links == [(2, "wall-drill")] and not issues

    html = markdown.render(text, link=lambda target: f"/protocols/{target}/", image=str.upper, heading_shift=1)

    assert parses == [text]
    assert html == (
        '<h3>Why</h3>\n<p>See <a href="/protocols/wall-drill/">the drill</a> and '
        '<img src="ASSETS/CHART.PNG" alt="a chart" />.</p>\n'
    )


def test_raw_html_is_rendered_from_a_parse_with_its_sources_resolved(parses):
    text = 'A <img src="assets/a.png"> here, [a link](@x).'
    markdown.scan(text)

    html = markdown.render(text, link=lambda target: f"/{target}/", image=lambda source: f"/media/{source}")

    assert len(parses) == 2  # the facts, then rendering: raw HTML is sanitised with the resolved sources
    assert '<img src="/media/assets/a.png" />' in html and '<a href="/x/">a link</a>' in html
