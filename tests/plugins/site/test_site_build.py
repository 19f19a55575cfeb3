"""The site built from the full and minimal test programmes: a crawl of every page, URLs, size, privacy, metadata."""

from __future__ import annotations

import json
import re
from datetime import date
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from site_testkit import (
    MINIMAL,
    Built,
    build_project,
    crawl_problems,
    html_pages,
    parse_page,
    resolve,
    site_file_for_url,
)

from backpub.model import Episode

BUDGET = 100 * 1024
"""Each page's HTML plus the stylesheet it loads must stay under 100 KB."""


# ---------------------------------------------------------------------------------------------


@pytest.fixture(params=["full", "minimal"])
def built(request: pytest.FixtureRequest) -> Built:
    return request.getfixturevalue(f"{request.param}_site")


def test_every_internal_link_resolves_and_nothing_is_fetched_from_elsewhere(built: Built) -> None:
    assert crawl_problems(built) == []


def test_the_crawler_catches_a_broken_link(minimal_site: Built, tmp_path: Path) -> None:
    """Keeps the crawl honest: a removed page and a third-party script are both reported."""
    broken = build_project(MINIMAL, tmp_path / "broken")
    protocol = broken.publication.protocols[0]
    (broken.site / broken.publication.path_for(protocol).strip("/") / "index.html").unlink()
    home = broken.site / "index.html"
    home.write_text(home.read_text().replace("</head>", '<script src="https://cdn.example.com/x.js"></script></head>'))
    problems = crawl_problems(broken)
    assert any(f"{protocol.id}/index.html is not built" in problem for problem in problems)
    assert any("cdn.example.com" in problem for problem in problems)


def test_the_urls_other_formats_print_land_on_built_pages(built: Built) -> None:
    """Feed item links, newsletter links and QR codes all come from publication.url_for."""
    publication = built.publication
    released = publication.released_episodes(built.as_of)
    assert released, "the test needs a released episode"
    entities = [*released, *(e for kind in publication.kinds.library for e in publication.of(kind))]
    for entity in entities:
        target = site_file_for_url(publication.programme.site_url, publication.url_for(entity))
        assert (built.site / target).is_file(), f"{publication.url_for(entity)} has no page"
        page = parse_page(built.site, target)
        canonical = [ref.value for ref in page.references if ref.rel == "canonical"]
        assert canonical == [publication.url_for(entity)]
    assert (built.site / site_file_for_url(publication.programme.site_url, publication.home_url)).is_file()


def test_every_page_is_small_and_runs_only_the_sites_own_script(built: Built) -> None:
    extras = sum((built.site / "static" / name).stat().st_size for name in ("site.css", "site.js"))
    for relative in html_pages(built.site):
        size = (built.site / relative).stat().st_size + extras
        assert size < BUDGET, f"{relative}: {size} bytes of HTML, CSS and script"
        page = parse_page(built.site, relative)
        assert [kind for kind, _ in page.scripts] == ["", "application/ld+json"], relative
        sources = [resolve(relative, ref.value) for ref in page.references if ref.tag == "script"]
        assert sources == ["static/site.js"], relative
    stylesheet = (built.site / "static" / "site.css").read_text()
    assert "@import" not in stylesheet and not re.search(r"url\(\s*['\"]?(https?:)?//", stylesheet)


def test_pages_are_described_for_search_engines_and_sharing(built: Built) -> None:
    programme = built.publication.programme
    for relative in html_pages(built.site):
        page = parse_page(built.site, relative)
        assert page.lang == programme.language
        assert page.title.strip() and programme.title in page.title, relative
        for key in ("description", "og:title", "og:description", "og:url", "og:type", "og:image"):
            assert page.meta.get(key), f"{relative}: no {key}"
        assert page.headings[0] == 1 and page.headings.count(1) == 1, f"{relative}: {page.headings}"
        steps = [later - earlier for earlier, later in zip(page.headings, page.headings[1:], strict=False)]
        assert max(steps, default=0) <= 1, f"{relative}: a heading level is skipped: {page.headings}"
        feeds = [ref.value for ref in page.references if ref.rel == "alternate"]
        assert feeds == [programme.formats["feed"]["feed_url"]]


def json_ld(built: Built, relative: str) -> dict:
    (script,) = [text for kind, text in parse_page(built.site, relative).scripts if kind == "application/ld+json"]
    return json.loads(script)


def test_episode_pages_carry_podcast_episode_data_and_library_pages_medical_web_pages(built: Built) -> None:
    publication = built.publication
    for episode in publication.released_episodes(built.as_of):
        data = json_ld(built, publication.path_for(episode).strip("/") + "/index.html")
        assert data["@type"] == "PodcastEpisode"
        assert data["url"] == publication.url_for(episode)
        assert data["associatedMedia"]["contentUrl"] == episode.audio.url
        assert data["partOfSeries"]["webFeed"] == publication.programme.formats["feed"]["feed_url"]
    for protocol in publication.protocols:
        data = json_ld(built, publication.path_for(protocol).strip("/") + "/index.html")
        assert data["@type"] == "MedicalWebPage"
        assert data["lastReviewed"] == protocol.reviewed.isoformat()


def test_json_ld_cannot_be_closed_by_content(minimal_site: Built, tmp_path: Path) -> None:
    hostile = build_project(MINIMAL, tmp_path / "hostile", formats=("site",))
    episode_file = hostile.project / "content" / "episodes" / "episode-one.md"
    episode_file.write_text(episode_file.read_text().replace("summary: What sciatica is.", 'summary: "</script><b>x"'))
    rebuilt = build_project(MINIMAL, tmp_path / "hostile")
    html = (rebuilt.site / "episodes" / "episode-one" / "index.html").read_text()
    script = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(script)["description"] == "</script><b>x"
    assert "<b>x" not in html.replace("&lt;b&gt;x", "")


def test_sitemap_lists_every_page_with_absolute_urls_and_robots_points_at_it(built: Built) -> None:
    site_url = built.publication.programme.site_url
    sitemap = (built.site / "sitemap.xml").read_text()
    locations = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert all(url.startswith(site_url + "/") for url in locations)
    pages = [page for page in html_pages(built.site) if page != "search/index.html"]  # results are not for robots
    assert sorted(site_file_for_url(site_url, url) for url in locations) == pages
    robots = (built.site / "robots.txt").read_text()
    assert f"Sitemap: {site_url}/sitemap.xml" in robots.splitlines()


def test_episode_page_shows_the_article_audio_notes_cards_signup_and_disclaimer(full_site: Built) -> None:
    publication = full_site.publication
    (episode,) = publication.released_episodes(full_site.as_of)
    html = (full_site.site / "episodes" / episode.id / "index.html").read_text()
    assert f'<audio class="episode-audio" controls preload="none" src="{episode.audio.url}">' in html
    assert "The funny bone" in html or "funny bone" in html
    assert "Show notes" in html
    targets = link_targets(full_site, f"episodes/{episode.id}/index.html")
    cards = [publication.get(i) for i in episode.covers if i in publication.by_id]
    cards = [entity for entity in cards if entity.kind in ("protocol", "mistake")]
    assert cards
    for entity in cards:
        assert f"{entity.folder}/{entity.id}/index.html" in targets
        assert f'<h3 class="card-title"><a href="../../{entity.folder}/{entity.id}/">' in html
    action = publication.programme.formats["newsletter"].get("signup_form_action")
    assert f'<form class="signup-form" action="{action}" method="post">' in html
    assert '<label for="signup-email">' in html and 'id="signup-email"' in html
    assert "It is not a" in html  # the programme's disclaimer


def test_protocol_page_shows_steps_dose_cautions_image_and_sequence(full_site: Built) -> None:
    publication = full_site.publication
    protocol = next(p for p in publication.protocols if p.image and p.dose and p.cautions)
    html = (full_site.site / "protocols" / protocol.id / "index.html").read_text()
    for step in protocol.steps:
        assert f"<li>{_escaped(step)}</li>" in html
    for label, value in protocol.dose.parts():
        assert f"<dt>{label}</dt><dd>{_escaped(value)}</dd>" in html
    for caution in protocol.cautions:
        assert _escaped(caution) in html
    assert re.search(
        rf'<img src="../../media/{re.escape(protocol.image.src)}" alt="[^"]+" width="\d+" height="\d+">', html
    )
    targets = link_targets(full_site, f"protocols/{protocol.id}/index.html")
    for other in [*protocol.prerequisites, *protocol.progressions]:
        assert f"protocols/{other}/index.html" in targets


def link_targets(built: Built, relative: str) -> set[str]:
    """The site files the <a> links of a page resolve to."""
    page = parse_page(built.site, relative)
    return {resolve(relative, ref.value) for ref in page.references if ref.tag == "a" and "://" not in ref.value}


def _escaped(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace('"', "&#34;")
    )


def test_minimal_project_without_a_signup_action_has_no_signup_form(minimal_site: Built) -> None:
    assert minimal_site.publication.programme.formats["newsletter"].get("signup_form_action") is None
    for relative in html_pages(minimal_site.site):
        forms = re.findall(r"<form [^>]*>", (minimal_site.site / relative).read_text())
        assert len(forms) == 1 and 'role="search"' in forms[0], relative  # the site search only


def test_embargoed_episodes_are_nowhere(tmp_path: Path) -> None:
    before_release = build_project(MINIMAL, tmp_path / "early", as_of=date(2026, 11, 21))
    publication = before_release.publication
    (episode,) = publication.of(Episode)
    assert not (before_release.site / "episodes" / episode.id).exists()
    everything = "".join(
        path.read_text() for path in before_release.site.rglob("*") if path.suffix in (".html", ".xml", ".json")
    )
    assert episode.title not in everything and episode.audio.url not in everything
    assert crawl_problems(before_release) == []


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = build_project(MINIMAL, tmp_path / "one", cache=False)
    second = build_project(MINIMAL, tmp_path / "two", cache=False)
    files = sorted(p.relative_to(first.site) for p in first.site.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second.site) for p in second.site.rglob("*") if p.is_file())
    for relative in files:
        assert (first.site / relative).read_bytes() == (second.site / relative).read_bytes(), relative


def test_an_edit_rerenders_exactly_the_pages_that_show_it(tmp_path: Path) -> None:
    built = build_project(MINIMAL, tmp_path / "p")
    protocol_file = built.project / "content" / "protocols" / "ice.md"
    protocol_file.write_text(protocol_file.read_text().replace("title: Ice the lower back", "title: Cool the spine"))
    again = build_project(MINIMAL, tmp_path / "p")
    rendered = set(again.report.rendered)
    shown_on = {
        relative for relative in html_pages(again.site) if "Cool the spine" in (again.site / relative).read_text()
    }
    assert shown_on, "the new title is on no page"
    assert {f"site/{relative}" for relative in shown_on} <= rendered
    assert "site/episodes/index.html" not in rendered  # lists episodes only
    assert "site/static/site.css" not in rendered and "site/robots.txt" not in rendered


def test_page_paths_are_the_ones_path_for_decides(built: Built) -> None:
    publication = built.publication
    for kind in publication.kinds.library:
        for entity in publication.of(kind):
            assert (built.site / (urlsplit(publication.path_for(entity)).path.strip("/") + "/index.html")).is_file()


def test_images_in_markdown_are_copied_and_sized(tmp_path: Path) -> None:
    project = tmp_path / "images"
    build_project(MINIMAL, project)
    concept = project / "content" / "concepts" / "back-not-leg.md"
    concept.write_text(concept.read_text() + "\n\n![The podcast artwork](assets/artwork.png)\n")
    built = build_project(MINIMAL, project)
    html = (built.site / "concepts" / "back-not-leg" / "index.html").read_text()
    assert re.search(r'<img src="../../media/assets/artwork.png"[^>]* width="1400" height="1400"', html), html
    assert (built.site / "media" / "assets" / "artwork.png").read_bytes() == (
        project / "content" / "assets" / "artwork.png"
    ).read_bytes()
    assert crawl_problems(built) == []


def test_every_page_carries_the_urgent_help_notice(built: Built) -> None:
    notice = " ".join(built.publication.programme.country().urgent_help.split("\n\n")[0].split())
    pages = html_pages(built.site)
    assert pages
    for relative in pages:
        text = unescape(re.sub(r"<[^>]+>", " ", (built.site / relative).read_text()))
        assert "When to get urgent help" in text and notice in " ".join(text.split()), relative


def test_a_treatments_caveat_stands_beside_its_verdict(full_site: Built) -> None:
    """Whose view the verdict is, and what NICE advises, travel with the verdict (issue 22)."""
    idd = full_site.publication.get("idd-therapy")
    html = (full_site.site / "treatments" / "idd-therapy" / "index.html").read_text()
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    verdict = " ".join(full_site.publication.programme.wording.targets_root_cause.yes.split())
    assert f"{verdict} {' '.join(idd.caveat.split())}" in text
