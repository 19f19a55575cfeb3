"""Fixtures for the site tests: the shipped and minimal content's sites, each built once per session."""

from __future__ import annotations

import pytest
from site_testkit import MINIMAL, SHIPPED, Built, build_project


@pytest.fixture(scope="session")
def shipped_site(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The shipped content's site, built once for the session (tests must not change it)."""
    return build_project(SHIPPED, tmp_path_factory.mktemp("site-shipped"))


@pytest.fixture(scope="session")
def minimal_site(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The minimal test project's site, built once for the session."""
    return build_project(MINIMAL, tmp_path_factory.mktemp("site-minimal"))
