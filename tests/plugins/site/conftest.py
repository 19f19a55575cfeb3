"""Fixtures for the site tests: the full and minimal test programmes' sites, each built once per session, and the
full site served on loopback to headless Chromium (see test_site_accessibility.py for what it needs)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from functools import partial
from http.server import ThreadingHTTPServer

import pytest
from site_testkit import AXE, CHROMEDRIVER, CHROMIUM, FULL, MINIMAL, Built, QuietHandler, build_project, require

from backpub_testkit import serve_in_thread


@pytest.fixture(scope="session")
def full_site(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The full test programme's site (tests/roots/back-in-shape), built once for the session (tests must not
    change it)."""
    return build_project(FULL, tmp_path_factory.mktemp("site-full"))


@pytest.fixture(scope="session")
def minimal_site(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The minimal test project's site, built once for the session."""
    return build_project(MINIMAL, tmp_path_factory.mktemp("site-minimal"))


@pytest.fixture(scope="module")
def served(full_site: Built) -> Iterator[str]:
    """The full site on 127.0.0.1, from its own folder, as a static host serves it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(full_site.site)))
    serve_in_thread(server)
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium through chromedriver, with no network beyond loopback in use; one for the session (the
    files that use it run in one worker: SAME_WORKER in tests/conftest.py)."""
    require(CHROMIUM.is_file() and CHROMEDRIVER.is_file(), "chromium and chromium-driver (apt)")
    require(AXE.is_file(), f"axe-core ({AXE})")
    require(importlib.util.find_spec("selenium") is not None, "selenium (the test extra)")
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-dev-shm-usage", "--window-size=1280,1000"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)))
    driver.set_script_timeout(60)
    yield driver
    driver.quit()
