"""The built site in real headless Chromium: axe-core finds no serious or critical violation on any page type,
everything interactive is reachable by keyboard, the skip link works, and no request leaves the site.

Needs /usr/bin/chromium and /usr/bin/chromedriver (apt: chromium, chromium-driver), the `selenium` package, and
axe-core from npm where scripts/test installs it (.cache/node/node_modules/axe-core/axe.min.js; AXE_CORE_JS names
another). scripts/test installs them all; missing tools skip a plain local `pytest` and fail under CI or scripts/test.
"""

from __future__ import annotations

import pytest
from site_testkit import AXE_INSTALLED, REPO, REQUIRE_FLAGS, Built, axe_in_every_page, require


def page_types(built: Built) -> dict[str, str]:
    """One page of every type: home, an episode, each library kind, an index."""
    publication = built.publication
    (episode, *_) = publication.released_episodes(built.as_of)
    pages = {"home": "", "episode": publication.path_for(episode).lstrip("/"), "episodes index": "episodes/",
             "search": "search/?q=wall"}  # fmt: skip
    for kind in (publication.concepts, publication.mistakes, publication.protocols, publication.treatments,
                 publication.principles):  # fmt: skip
        entity = next((e for e in kind if getattr(e, "image", None)), kind[0])
        pages[entity.kind] = publication.path_for(entity).lstrip("/")
        pages[f"{entity.kind} index"] = entity.folder + "/"
    return pages


AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]})
  .then(result => done(result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))))
  .catch(error => done([{id: "axe-error", impact: "critical", help: String(error), nodes: []}]));
"""

# Skipped on purpose: the main landmark (the skip link's target) and what is hidden from everyone (the sign-up
# form's bot trap, aria-hidden and off-screen).
UNFOCUSABLE = """
return Array.from(document.querySelectorAll('a[href], button, input, select, textarea, audio[controls], [tabindex]'))
  .filter(el => el.tabIndex < 0 && el.id !== 'main' && !el.closest('[aria-hidden="true"]'))
  .map(el => el.outerHTML.slice(0, 120));
"""

OFF_SITE_REQUESTS = """
return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith(location.origin));
"""


def test_no_serious_or_critical_axe_violations_on_any_page_type(browser, served: str, full_site: Built) -> None:
    failures = {}
    with axe_in_every_page(browser):
        for name, path in page_types(full_site).items():
            browser.get(served + path)
            violations = browser.execute_async_script(AXE_RUN)
            serious = [v for v in violations if v["impact"] in ("serious", "critical")]
            if serious:
                failures[name] = serious
    assert failures == {}


def test_axe_does_report_a_page_that_breaks_the_rules(browser, served: str) -> None:
    """Keeps the check honest: an unlabelled field and grey-on-white text are found in the same set-up."""
    with axe_in_every_page(browser):
        browser.get(served)
    browser.execute_script(
        "document.querySelector('main').insertAdjacentHTML('beforeend',"
        " '<input type=text><p style=\"color:#bbb;background:#fff\">faint</p>')"
    )
    found = {v["id"] for v in browser.execute_async_script(AXE_RUN) if v["impact"] in ("serious", "critical")}
    assert {"label", "color-contrast"} <= found


def test_keyboard_reaches_everything_and_the_skip_link_moves_focus_to_main(
    browser, served: str, full_site: Built
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for name, path in page_types(full_site).items():
        browser.get(served + path)
        assert browser.execute_script(UNFOCUSABLE) == [], name
        assert browser.execute_script(OFF_SITE_REQUESTS) == [], name
        ActionChains(browser).send_keys(Keys.TAB).perform()
        focused = browser.switch_to.active_element
        assert focused.get_attribute("class") == "skip-link", name
        assert focused.is_displayed(), f"{name}: the skip link is not visible when focused"
        focused.send_keys(Keys.ENTER)
        assert browser.execute_script("return document.activeElement.id") == "main", name


def test_pages_fit_a_phone_screen_without_sideways_scrolling(browser, served: str, full_site: Built) -> None:
    browser.set_window_size(390, 844)
    try:
        for name, path in page_types(full_site).items():
            browser.get(served + path)
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 390px"
    finally:
        browser.set_window_size(1280, 1000)


# -- finding the tools ------------------------------------------------------------------------------


def test_axe_core_is_looked_for_where_scripts_test_installs_it() -> None:
    script = (REPO / "scripts" / "test").read_text()
    assert f'"$PWD/{AXE_INSTALLED.relative_to(REPO)}"' in script
    assert "export BACKPUB_REQUIRE_BROWSER_TESTS=1" in script


@pytest.mark.parametrize("flag", REQUIRE_FLAGS)
def test_a_missing_tool_fails_the_browser_tests_under_ci_or_scripts_test(
    monkeypatch: pytest.MonkeyPatch, flag: str
) -> None:
    for name in REQUIRE_FLAGS:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(pytest.skip.Exception):
        require(False, "a tool")
    monkeypatch.setenv(flag, "1")
    with pytest.raises(pytest.fail.Exception, match="a tool is required"):
        require(False, "a tool")
    require(True, "a tool")  # present: neither
