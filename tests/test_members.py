"""Issue 27's members-only content across every format: on the fourteen-episode programme (tests/roots/weekly),
with episode 3, protocol 2 and handout 3 `access: members`, no text of theirs appears in any file under
outputs/ but the subscription service's (outputs/service/), while every public output shows their titles and
teasers with the membership link, and the service's files carry them in full for members."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from backpub_testkit import built_in_every_format, output_texts

AS_OF = date(2026, 11, 22)
MEMBERSHIP = "weekly.example.org/membership"
SECRETS = {
    "article": "lantern-and-compass walk",
    "article, generated": "Generated sentence 31 about synthetic episode 3",
    "show notes": "amber-bell routine",
    "protocol step": "Fold the velvet towel into thirds",
    "protocol caution": "Stop if the velvet towel slips",
    "protocol body": "Generated sentence 3 about synthetic protocol 2",
    "handout": "saffron checklist",
    "handout body": "Generated sentence 4 about synthetic handout 3",
}
"""Words that only members-only entities hold (their article, notes, steps, cautions, sections, bodies)."""
TEASERS = {
    "episode": ("Synthetic episode 3", "Generated sentence 0 about synthetic episode 3"),
    "protocol": ("Synthetic protocol 2", "Generated sentence 0 about synthetic protocol 2"),
    "handout": ("Synthetic handout 3", "Generated sentence 0 about synthetic handout 3"),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_in_every_format(tmp_path_factory, "weekly", AS_OF)


@pytest.fixture(scope="module")
def outputs(project: Path) -> dict[str, str]:
    return output_texts(project)


def where(outputs: dict[str, str], phrase: str) -> list[str]:
    pattern = re.compile(re.escape(" ".join(phrase.split())))
    return sorted(name for name, text in outputs.items() if pattern.search(" ".join(text.split())))


def test_every_format_was_built_and_the_service_folder_is_off_the_site(outputs: dict[str, str]):
    assert {name.split("/")[0] for name in outputs} >= {"pdf", "epub", "feed", "newsletter", "site", "json", "service"}
    assert not any(name.startswith("site/") and "private-feed" in name for name in outputs)


@pytest.mark.parametrize("what", SECRETS)
def test_no_members_only_text_is_in_any_public_output(outputs: dict[str, str], what: str):
    found = where(outputs, SECRETS[what])
    assert [name for name in found if not name.startswith("service/")] == []


@pytest.mark.parametrize("what", ["article", "show notes", "protocol step", "protocol caution"])
def test_the_service_files_carry_it_in_full_for_members(outputs: dict[str, str], what: str):
    found = where(outputs, SECRETS[what])
    assert found and all(name.endswith(".members.xml") for name in found), found


OWN_PLACES = {
    "episode": ("site/episodes/synthetic-episode-3/index.html", "feed/podcast.xml", "newsletter/2026-09-06/email.txt",
                "newsletter/2026-09-06/index.html", "epub/synthetic-weekly-programme.epub!EPUB/episode-synthetic-episode-3.xhtml"),
    "protocol": ("site/protocols/synthetic-protocol-2/index.html", "pdf/synthetic-handout-2.pdf",
                 "epub/synthetic-weekly-programme.epub!EPUB/phase-phase-one.xhtml"),
    "handout": ("site/index.html",),
}  # fmt: skip
"""Where each members-only entity is shown as itself: there its teaser stands with the membership link."""


@pytest.mark.parametrize("kind", TEASERS)
def test_public_outputs_show_the_title_and_teaser_with_the_membership_link(outputs: dict[str, str], kind: str):
    title, teaser = TEASERS[kind]
    for name in OWN_PLACES[kind]:
        text = " ".join(outputs[name].split())
        assert title in text and teaser in text and MEMBERSHIP in text, name
    showing = {name.split("/")[0] for name in where(outputs, teaser) if not name.startswith("service/")}
    assert showing >= {"site", "json"}


def test_the_members_only_episode_is_a_teaser_in_the_public_feed_without_its_audio(outputs: dict[str, str]):
    feed = outputs["feed/podcast.xml"]
    item = re.search(r"<item>(?:(?!</item>).)*Synthetic episode 3</title>.*?</item>", feed, re.S)
    assert item and "<enclosure" not in item[0] and "episode-0003.mp3" not in feed
    assert '<podcast:funding url="https://weekly.example.org/membership">' in feed


def test_a_members_only_handout_has_no_public_pdf_and_a_public_one_keeps_the_card(project: Path, outputs):
    assert not (project / "outputs/pdf/synthetic-handout-3.pdf").exists()
    assert not list((project / "outputs/site").rglob("synthetic-handout-3.pdf"))
    sheet = " ".join(outputs["pdf/synthetic-handout-2.pdf"].split())
    assert "Synthetic protocol 2" in sheet and MEMBERSHIP in sheet


def test_the_json_says_what_is_for_members(outputs: dict[str, str]):
    data = json.loads(outputs["json/programme.json"])
    access = {item["id"]: item.get("access") for group in data["entities"].values() for item in group}
    assert {key for key, value in access.items() if value == "members"} == {
        "synthetic-episode-3", "synthetic-protocol-2", "synthetic-handout-3"}  # fmt: skip
    assert data["programme"]["membership_url"] == "https://weekly.example.org/membership"


EMPTIED = re.compile(r"<(ol|ul|dl)\b[^>]*>\s*</\1>|<h[1-6]\b[^>]*>[^<]*</h[1-6]>\s*(?=</section>|</div>|<h[1-6]\b)")
"""A list with nothing in it, or a heading followed by nothing before its section ends or the next heading: what a
template prints around a withheld field it forgot to leave out."""


@pytest.mark.parametrize("name", [OWN_PLACES["protocol"][0], OWN_PLACES["protocol"][2], OWN_PLACES["episode"][0]])
def test_a_withheld_entitys_public_page_has_no_empty_heading_or_list(outputs: dict[str, str], name: str):
    assert EMPTIED.findall(outputs[name]) == []
