"""The json format publishes nothing dated after the build's as-of date."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from backpub.build import build


def test_unreleased_episodes_appear_nowhere_in_the_json(project: Path) -> None:
    episode = (project / "content/episodes/episode-one.md").read_text()
    future = episode.replace("title: Sciatica explained", "title: Next week's secret").replace(
        "release: 2026-11-22", "release: 2026-11-29"
    )
    future = future.replace("number: 1", "number: 2").replace("6f1d3c2e-8a4b", "7f1d3c2e-8a4b")
    (project / "content/episodes/episode-two.md").write_text(future)
    build(project / "content", formats=["json"], as_of=date(2026, 11, 22), jobs=1)
    text = (project / "outputs/json/programme.json").read_text()
    assert "Next week's secret" not in text and "episode-two" not in text
    assert [e["id"] for e in json.loads(text)["entities"]["episodes"]] == ["episode-one"]
    build(project / "content", formats=["json"], as_of=date(2026, 11, 29), jobs=1)
    assert "Next week's secret" in (project / "outputs/json/programme.json").read_text()
