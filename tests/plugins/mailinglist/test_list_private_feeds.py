"""Issue 27's private feeds: served by the subscription service per subscriber from the build's service folder,
listing exactly the episodes released to them (their pace, or all), with the public GUIDs and enclosures, blocked
and locked, cached with an ETag, and gone (410) once revoked or unsubscribed; feedparser, podcastparser and the
W3C validator's rules read them."""

from __future__ import annotations

import email
import io
import re
import shutil
from datetime import date
from email import policy
from pathlib import Path

import feedparser
import podcastparser
import pytest
from list_service import LIST_ID, FakeClock, RecordingMailer, call, deliver, make_service
from list_smtp import SECRET
from lxml import etree

from backpub_feedrules import w3c_problems
from backpub_mailinglist.private_feeds import PrivateFeeds
from backpub_mailinglist.store import Member
from backpub_mailinglist.tokens import feed_token
from backpub_testkit import ROOTS, made_once

AS_OF = date(2026, 11, 22)
"""Episode 14, the newest, is out."""
SUBSCRIBE = "https://minimal.example.org/newsletter/subscribe"
MEMBERSHIP = "https://weekly.example.org/membership"
NS = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd", "podcast": "https://podcastindex.org/namespace/1.0"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fourteen-episode programme's feed, built once as of 22 November (outputs/ and outputs/service/)."""

    def make(folder: Path) -> None:
        from backpub.build import build

        shutil.copytree(ROOTS / "weekly" / "content", folder / "content")
        build(folder / "content", formats=["feed"], as_of=AS_OF, jobs=1, use_cache=False)

    return made_once(tmp_path_factory, "weekly-feed", make)


@pytest.fixture
def service(built, database, tmp_path):
    mailer = RecordingMailer()
    service = make_service(
        tmp_path, FakeClock(), mailer, database=database, private_feeds=PrivateFeeds(built / "outputs" / "service")
    )
    service.mailer = mailer
    yield service
    service.mailing.db.close()


def feed_url(service, address: str) -> str:
    token = service.mailing.feed_token(address, lambda nonce: feed_token(SECRET, LIST_ID, address, nonce))
    return f"{service.settings.feeds_url}{token}.xml"


def public_items(built: Path) -> dict[str, dict]:
    """The public feed's items by GUID, as podcastparser reads them."""
    data = (built / "outputs" / "feed" / "podcast.xml").read_bytes()
    parsed = podcastparser.parse("https://weekly.example.org/podcast/feed.xml", io.BytesIO(data))
    return {episode["guid"]: episode for episode in parsed["episodes"]}


def guids(built: Path, *numbers: int) -> list[str]:
    import json

    index = json.loads((built / "outputs/service/feed/private-feed/index.json").read_text())
    by_number = {entry["number"]: entry["guid"] for entry in index["episodes"]}
    return [by_number[number] for number in numbers]


def test_a_subscriber_at_their_pace_gets_exactly_the_episodes_sent_to_them(service, built):
    service.mailing.import_members([Member("pace@example.net", "", "beginning", 5)])  # had episodes 1 to 4
    url = feed_url(service, "pace@example.net")
    response = call(service, "GET", url)
    assert response.status == 200, response.body
    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    data = response.body.encode()
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [entry.id for entry in parsed.entries] == guids(built, 4, 3, 2, 1)
    podcast = podcastparser.parse(url, io.BytesIO(data))
    episodes = {episode["guid"]: episode for episode in podcast["episodes"]}
    assert list(episodes) == guids(built, 4, 3, 2, 1)
    public = public_items(built)
    for guid, episode in episodes.items():
        assert episode["enclosures"] == public[guid]["enclosures"]  # the same episodes to every app
    # Episode 3 is members-only: a non-member's feed has its teaser and the membership link, not its audio.
    third = episodes[guids(built, 3)[0]]
    assert third["enclosures"] == [] and MEMBERSHIP in third["description_html"]
    channel = etree.fromstring(data).find("channel")
    assert channel.findtext("itunes:block", namespaces=NS) == "yes"
    assert channel.findtext("podcast:locked", namespaces=NS) == "yes"
    assert channel.find("podcast:funding", NS).get("url") == MEMBERSHIP
    assert channel.find("{http://www.w3.org/2005/Atom}link").get("href") == url
    assert w3c_problems(data) == []

    service.mailing.db.statement("UPDATE subscribers SET position = 6 WHERE address = 'pace@example.net'")
    moved = call(service, "GET", url, IF_NONE_MATCH=response.headers["ETag"])
    assert moved.status == 200 and moved.headers["ETag"] != response.headers["ETag"]  # a Sunday later: one more
    assert [entry.id for entry in feedparser.parse(moved.body.encode()).entries] == guids(built, 5, 4, 3, 2, 1)


def test_a_member_with_every_episode_gets_the_members_only_content_in_full(service, built):
    service.mailing.import_members([Member("member@example.net", "", member=True)], membership=True)
    service.mailing.set_feed_scope("member@example.net", "all")
    response = call(service, "GET", feed_url(service, "member@example.net"))
    assert response.status == 200
    data = response.body.encode()
    podcast = podcastparser.parse("https://x.example/feed.xml", io.BytesIO(data))
    assert [episode["number"] for episode in podcast["episodes"]] == list(range(14, 0, -1))
    assert "lantern-and-compass walk" in response.body  # episode 3's members-only article
    assert "Fold the velvet towel into thirds" in response.body  # protocol 2's members-only step
    assert not feedparser.parse(data).bozo and w3c_problems(data) == []


def test_the_feed_is_kept_and_answered_304_when_unchanged(service):
    service.mailing.import_members([Member("weekly@example.net", "")])
    url = feed_url(service, "weekly@example.net")
    first = call(service, "GET", url)
    assert first.status == 200 and first.headers["ETag"].startswith('"')
    assert len(feedparser.parse(first.body.encode()).entries) == 14  # the weekly issue: every released episode
    again = call(service, "GET", url, IF_NONE_MATCH=first.headers["ETag"])
    assert (again.status, again.body) == (304, "")
    head = call(service, "HEAD", url)
    assert (head.status, head.body, head.headers["Content-Length"]) == (200, "", str(len(first.body.encode())))


def test_a_revoked_feed_or_one_whose_subscriber_left_answers_410(service):
    service.mailing.import_members([Member("revoked@example.net", ""), Member("left@example.net", "")])
    revoked, left = feed_url(service, "revoked@example.net"), feed_url(service, "left@example.net")
    assert call(service, "GET", revoked).status == call(service, "GET", left).status == 200
    assert service.mailing.revoke_feeds("revoked@example.net") == 1
    service.mailing.unsubscribe("left@example.net")
    assert call(service, "GET", revoked).status == 410
    assert call(service, "GET", left).status == 410
    renewed = feed_url(service, "revoked@example.net")
    assert renewed != revoked and call(service, "GET", renewed).status == 200
    unknown = re.sub(r"/[A-Za-z0-9_-]{43}\.xml$", "/" + "A" * 43 + ".xml", renewed)
    assert call(service, "GET", unknown).status == 404


def test_the_welcome_mail_and_the_confirmed_page_give_the_feed_which_lists_nothing_before_the_first_sunday(service):
    assert call(service, "POST", SUBSCRIBE, {"email": "new@example.net", "start": "beginning"}).status == 200
    deliver(service)
    confirmed = call(service, "POST", service.mailer.links("new@example.net")[-1])
    assert confirmed.status == 200
    deliver(service)
    welcome = email.message_from_bytes(service.mailer.sent[-1][1], policy=policy.default).get_content()
    found = re.search(r"https://minimal\.example\.org/newsletter/feeds/[A-Za-z0-9_-]{43}\.xml", welcome)
    assert found and "podcast://minimal.example.org/newsletter/feeds/" in welcome
    # the page the confirmation link opens gives the same feed, as a link and for Apple Podcasts
    assert f'href="{found[0]}"' in confirmed.body
    assert f'href="podcast://{found[0].split("://")[1]}"' in confirmed.body
    response = call(service, "GET", found[0])
    assert response.status == 200
    assert feedparser.parse(response.body.encode()).entries == []  # episode 1 comes on Sunday


def test_without_the_build_the_feed_is_unavailable_not_broken(database, tmp_path):
    service = make_service(tmp_path, FakeClock(), RecordingMailer(), database=database,
                           private_feeds=PrivateFeeds(tmp_path / "nowhere"))  # fmt: skip
    service.mailing.import_members([Member("early@example.net", "")])
    response = call(service, "GET", feed_url(service, "early@example.net"))
    service.mailing.db.close()
    assert response.status == 503 and response.headers["Retry-After"] == "120"


def test_the_operators_commands_set_membership_and_show_renew_and_revoke_a_feed(service, database, run_cli, tmp_path):
    project, env = tmp_path / "cli", {"BACKPUB_UNSUBSCRIBE_SECRET": SECRET}
    shutil.copytree(ROOTS / "weekly" / "content", project / "content")
    (project / "members.csv").write_text("email,member\nbuyer@example.net,yes\nother@example.net,no\n")
    assert run_cli("newsletter", "import", "members.csv", "--database", database, cwd=project).exit_code == 0
    assert service.mailing.subscriber("buyer@example.net").member is True
    assert service.mailing.subscriber("other@example.net").member is False

    args = ["--database", database, "--content", "content"]
    assert run_cli("newsletter", "member", "other@example.net", "--on", *args, cwd=project).exit_code == 0
    assert run_cli("newsletter", "member", "buyer@example.net", "--off", *args, cwd=project).exit_code == 0
    assert [service.mailing.subscriber(a).member for a in ("buyer@example.net", "other@example.net")] == [False, True]
    stranger = run_cli("newsletter", "member", "nobody@example.net", "--on", *args, cwd=project)
    assert stranger.exit_code == 1 and "not on the list: nobody@example.net" in stranger.output

    shown = run_cli("newsletter", "feed", "other@example.net", *args, cwd=project, env=env)
    assert shown.exit_code == 0, shown.output
    url = shown.output.strip()
    assert url.startswith("https://weekly.example.org/newsletter/feeds/") and url.endswith(".xml")
    assert run_cli("newsletter", "feed", "other@example.net", *args, cwd=project, env=env).output.strip() == url
    renewed = run_cli("newsletter", "feed", "other@example.net", "--renew", *args, cwd=project, env=env).output.strip()
    assert renewed != url
    revoked = run_cli("newsletter", "feed", "other@example.net", "--revoke", *args, cwd=project)
    assert revoked.exit_code == 0 and "1 private feed(s) revoked" in revoked.output
    token = renewed.rsplit("/", 1)[1]
    assert call(service, "GET", f"{service.settings.feeds_url}{token}").status == 410
