"""Site search in real headless Chromium: typing a protocol's name finds its page first and clicking goes there;
the search page answers ?q=; nothing is fetched from elsewhere; axe finds nothing serious. Without JavaScript the
search page lists every page. The box speaks the programme's language."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from site_testkit import MINIMAL, Built, axe_in_every_page, build_project, parse_page
from test_site_accessibility import AXE_RUN, OFF_SITE_REQUESTS

from backpub_testkit import edit


def _wait(driver, condition, timeout: float = 10):
    """Until `condition` holds, looking every 20 ms: WebDriverWait's default half second would add up to about
    that much to every search, whose results show 120 ms after the last key."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.02).until(condition)


def _type_and_get_results(driver, text: str) -> list:
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.ID, "site-search-q")
    box.clear()
    box.send_keys(text)
    status = f"“{text}”"  # the status line quotes the query once the results for it are shown
    _wait(driver, lambda d: status in d.find_element(By.ID, "site-search-results").text)
    return driver.find_elements(By.CSS_SELECTOR, "#site-search-results a")


def test_typing_a_protocols_name_finds_its_page_first_and_clicking_goes_there(
    browser, served: str, full_site: Built
) -> None:
    publication = full_site.publication
    for protocol in publication.protocols:
        browser.get(served)
        results = _type_and_get_results(browser, protocol.title)
        expected = served + publication.path_for(protocol).lstrip("/")
        assert results and results[0].get_attribute("href") == expected, protocol.title
    browser.get(served + "concepts/")
    results = _type_and_get_results(browser, "wall drill")
    target = results[0].get_attribute("href")
    assert target.endswith("/protocols/wall-drill/")
    results[0].click()
    _wait(browser, lambda d: d.current_url == target)
    assert browser.find_element("tag name", "h1").text == publication.get("wall-drill").title
    assert browser.execute_script(OFF_SITE_REQUESTS) == []


def test_enter_opens_the_search_page_with_every_result(browser, served: str, full_site: Built) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(served + "treatments/")
    browser.find_element(By.ID, "site-search-q").send_keys("towel", Keys.ENTER)
    _wait(browser, lambda d: "/search/?q=towel" in d.current_url)
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#search-page-results a"))
    links = browser.find_elements(By.CSS_SELECTOR, "#search-page-results a")
    assert links[0].get_attribute("href") == served + "protocols/towel-stretch/"
    status = browser.find_element(By.CSS_SELECTOR, "#search-page-results [role=status]").text
    assert status == f"{len(links)} pages match “towel”"
    assert browser.find_element(By.ID, "site-search-q").get_attribute("value") == "towel"
    assert browser.execute_script(OFF_SITE_REQUESTS) == []


def test_no_match_says_so(browser, served: str) -> None:
    browser.get(served)
    assert _type_and_get_results(browser, "xylophone") == []
    assert browser.find_element("id", "site-search-results").text == "No page matches “xylophone”"


def test_axe_finds_nothing_serious_with_results_open(browser, served: str) -> None:
    failures = {}
    for path, query in (("", "dead bug"), ("search/?q=squat", None)):
        with axe_in_every_page(browser):
            browser.get(served + path)
        if query:
            _type_and_get_results(browser, query)
        else:
            _wait(browser, lambda d: d.find_elements("css selector", "#search-page-results a"))
        serious = [v for v in browser.execute_async_script(AXE_RUN) if v["impact"] in ("serious", "critical")]
        if serious:
            failures[path or "home"] = serious
    assert failures == {}


# -- without a browser ---------------------------------------------------------------------------


def test_the_index_holds_every_page_once_and_the_search_page_lists_them_all(full_site: Built) -> None:
    publication = full_site.publication
    data = json.loads((full_site.site / "search" / "index.json").read_text())
    assert data["lang"] == "en-GB"
    expected = {publication.path_for(e).lstrip("/") for e in publication.released_episodes(full_site.as_of)}
    for kind in (publication.concepts, publication.mistakes, publication.protocols, publication.treatments,
                 publication.principles):  # fmt: skip
        expected |= {publication.path_for(e).lstrip("/") for e in kind}
    assert sorted(page["u"] for page in data["pages"]) == sorted(expected)
    for page in data["pages"]:
        assert (full_site.site / page["u"] / "index.html").is_file()
    towel = next(page for page in data["pages"] if page["u"] == "protocols/towel-stretch/")
    assert "A small towel, rolled up" in towel["x"]  # the steps and equipment are searchable, not only the title
    listed = parse_page(full_site.site, "search/index.html")
    hrefs = [ref.value for ref in listed.references if ref.tag == "a" and ref.value.startswith("../")]
    assert {href.removeprefix("../") for href in hrefs} >= expected  # the no-JavaScript fallback: every page
    sitemap = (full_site.site / "sitemap.xml").read_text()
    assert "/search/" not in sitemap


def test_every_page_has_the_search_box_that_degrades_to_the_search_page(full_site: Built) -> None:
    for path in sorted(full_site.site.rglob("*.html")):
        html = path.read_text()
        relative = path.relative_to(full_site.site).as_posix()
        assert 'role="search"' in html and 'name="q"' in html, relative
        page = parse_page(full_site.site, relative)
        (action,) = [ref.value for ref in page.references if ref.tag == "form" and ref.attribute == "action"][:1]
        assert (path.parent / action / "index.html").resolve() == (full_site.site / "search" / "index.html")


def test_the_search_box_speaks_the_programmes_language(tmp_path: Path) -> None:
    shutil.copytree(MINIMAL, tmp_path / "content")
    edit(tmp_path / "content" / "programme.yaml", "language: en-GB", "language: de-DE")
    built = build_project(MINIMAL, tmp_path)
    html = (built.site / "index.html").read_text()
    assert '<html lang="de-DE">' in html
    assert '<label class="visually-hidden" for="site-search-q">Website durchsuchen</label>' in html
    assert 'data-none="Keine Seite passt zu „{q}“"' in html
    assert json.loads((built.site / "search" / "index.json").read_text())["lang"] == "de-DE"


@pytest.mark.parametrize("language", ["en-GB", "fr", "xx"])
def test_unknown_languages_fall_back_to_english(language: str) -> None:
    from backpub import messages as catalogue
    from backpub_site import render
    from backpub_site.search import messages

    words = catalogue(language, [Path(render.__file__).parent / "locale"])
    assert messages(words)["button"] == {"fr": "Rechercher"}.get(language, "Search")
