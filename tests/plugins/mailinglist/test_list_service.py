"""The subscription service called directly as a WSGI app: double opt-in, rate limits, honeypot, tokens."""

from __future__ import annotations

import re

import pytest
from newsletter_service import SUBSCRIBE, UNSUBSCRIBE, FakeClock, RecordingMailer, call, make_service
from newsletter_smtp import SECRET

from backpub_mailinglist.confirmation import confirmation_token
from backpub_mailinglist.store import Member
from backpub_mailinglist.tokens import personal_unsubscribe_url, unsubscribe_token

ADDRESS = "reader@example.net"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


@pytest.fixture
def service(tmp_path, clock, mailer):
    return make_service(tmp_path, clock, mailer)


def sign_up(app, address: str = ADDRESS, client: str = "192.0.2.10", **extra: str):
    return call(app, "POST", SUBSCRIBE, {"email": address, "website": "", **extra}, client=client)


def test_sign_up_mails_a_link_and_only_the_confirmed_address_is_subscribed(service, mailer):
    response = sign_up(service)
    assert response.status == 200 and "Check your inbox" in response.body
    assert service.store.status(ADDRESS) == "pending"
    assert service.store.subscribed() == []
    (link,) = mailer.links(ADDRESS)
    page = call(service, "GET", link)  # following the link only shows the button
    assert page.status == 200 and '<form method="post"' in page.body
    assert service.store.status(ADDRESS) == "pending"
    action = re.search(r'action="([^"]+)"', page.body)[1].replace("&amp;", "&")
    assert action == "?" + link.split("?", 1)[1]
    done = call(service, "POST", link)
    assert done.status == 200 and "You are subscribed" in done.body
    assert service.store.subscribed() == [Member(ADDRESS, "")]


def test_the_confirmation_mail_comes_from_the_newsletter_sender(service, mailer):
    import email
    from email import policy

    sign_up(service)
    message = email.message_from_bytes(mailer.sent[0][1], policy=policy.default)
    assert message["From"].addresses[0].addr_spec == "sunday@example.org"
    assert message["To"].addresses[0].addr_spec == ADDRESS
    assert message["Subject"] == "Confirm your subscription to the Minimal Programme newsletter"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["Content-Language"] == "en-GB"
    assert "The link works for 7 days." in message.get_content()


def test_a_filled_honeypot_gets_the_same_page_and_nothing_happens(service, mailer):
    response = sign_up(service, website="http://spam.example")
    assert response.status == 200 and "Check your inbox" in response.body
    assert mailer.sent == [] and service.store.status(ADDRESS) is None


def test_too_many_sign_ups_from_one_client_get_429_until_the_window_passes(tmp_path, clock, mailer):
    app = make_service(tmp_path, clock, mailer, signups_per_client=3, client_window=3600)
    for index in range(3):
        assert sign_up(app, f"r{index}@example.net").status == 200
    refused = sign_up(app, "r3@example.net")
    assert refused.status == 429 and refused.headers["Retry-After"] == "3600"
    assert "try again in 60 minutes" in refused.body
    assert sign_up(app, "r4@example.net", client="198.51.100.7").status == 200  # another client is not limited
    assert len(mailer.sent) == 4 and app.store.status("r3@example.net") is None
    clock.advance(3601)
    assert sign_up(app, "r3@example.net").status == 200 and len(mailer.sent) == 5


def test_one_address_gets_a_limited_number_of_confirmation_mails(tmp_path, clock, mailer):
    app = make_service(tmp_path, clock, mailer, mails_per_address=2, address_window=86400)
    for client in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"):
        response = sign_up(app, ADDRESS.upper() if client.endswith("3") else ADDRESS, client=client)
        assert response.status == 200 and "Check your inbox" in response.body  # says nothing about the limit
    assert len(mailer.sent) == 2
    clock.advance(86401)
    sign_up(app)
    assert len(mailer.sent) == 3


def test_the_client_address_comes_from_the_proxy_header_when_configured(tmp_path, clock, mailer):
    from dataclasses import replace

    from backpub_mailinglist.service import SubscriptionService

    app = make_service(tmp_path, clock, mailer, signups_per_client=1)
    app = SubscriptionService(replace(app.settings, client_ip_header="X-Forwarded-For"))
    proxy = "10.0.0.1"
    first = call(app, "POST", SUBSCRIBE, {"email": "a@example.net"}, client=proxy, x_forwarded_for="203.0.113.5")
    second = call(app, "POST", SUBSCRIBE, {"email": "b@example.net"}, client=proxy, x_forwarded_for="203.0.113.6")
    third = call(app, "POST", SUBSCRIBE, {"email": "c@example.net"}, client=proxy, x_forwarded_for="203.0.113.6")
    assert (first.status, second.status, third.status) == (200, 200, 429)


def test_a_subscribed_address_gets_no_second_confirmation(service, mailer):
    service.store.import_members([Member(ADDRESS, "")])
    assert sign_up(service).status == 200
    assert mailer.sent == []


def test_an_invalid_address_is_refused_with_400(service, mailer):
    for bad in ("", "not-an-address", "a@b", "x" * 250 + "@example.net"):
        response = sign_up(service, bad)
        assert response.status == 400, bad
    assert mailer.sent == []


def test_a_mail_server_failure_is_503_and_can_be_retried(service, mailer):
    mailer.fail = True
    assert sign_up(service).status == 503
    mailer.fail = False
    assert sign_up(service).status == 200 and len(mailer.links(ADDRESS)) == 1


def test_a_get_on_the_form_action_is_405_and_an_unknown_path_404(service):
    response = call(service, "GET", SUBSCRIBE)
    assert response.status == 405 and response.headers["Allow"] == "POST"
    assert call(service, "GET", "https://minimal.example.org/elsewhere").status == 404


def test_bad_confirmation_links_get_400_and_subscribe_nobody(service, mailer, clock):
    sign_up(service)
    (link,) = mailer.links(ADDRESS)
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    unsubscribe_as_confirm = (
        link.split("token=")[0] + "token=" + unsubscribe_token(SECRET, "sunday.minimal.example.org", ADDRESS)
    )
    other_list = confirmation_token(SECRET, "another.list", ADDRESS, int(clock.now) + 3600)
    for bad in (tampered, unsubscribe_as_confirm, link.split("token=")[0] + "token=" + other_list, link.split("?")[0]):
        for method in ("GET", "POST"):
            response = call(service, method, bad)
            assert response.status == 400, (method, bad)
            assert ADDRESS not in response.body and "This link does not work" in response.body
    clock.advance(7 * 86400 + 1)
    assert call(service, "POST", link).status == 400  # expired
    assert service.store.status(ADDRESS) == "pending"


def test_unsubscribe_get_shows_a_button_and_the_one_click_post_unsubscribes(service):
    service.store.import_members([Member(ADDRESS, "")])
    url = personal_unsubscribe_url(UNSUBSCRIBE, unsubscribe_token(SECRET, "sunday.minimal.example.org", ADDRESS))
    page = call(service, "GET", url)
    assert page.status == 200 and 'name="List-Unsubscribe" value="One-Click"' in page.body
    assert service.store.status(ADDRESS) == "subscribed"
    done = call(service, "POST", url, {"List-Unsubscribe": "One-Click"})
    assert done.status == 200 and service.store.status(ADDRESS) == "unsubscribed"
    assert call(service, "POST", url, {"List-Unsubscribe": "One-Click"}).status == 200  # again: still fine


def test_an_unsubscribed_address_stays_out_whatever_an_import_says(service):
    service.store.import_members([Member(ADDRESS, ""), Member("other@example.net", "")])
    url = personal_unsubscribe_url(UNSUBSCRIBE, unsubscribe_token(SECRET, "sunday.minimal.example.org", ADDRESS))
    call(service, "POST", url, {"List-Unsubscribe": "One-Click"})
    summary = service.store.import_members([Member(ADDRESS.upper(), ""), Member("new@example.net", "")])
    assert (summary.added, summary.kept_unsubscribed) == (1, 1)
    assert sorted(member.email for member in service.store.subscribed()) == ["new@example.net", "other@example.net"]


def test_signing_up_again_after_unsubscribing_needs_a_new_confirmation(service, mailer):
    service.store.unsubscribe(ADDRESS)
    sign_up(service)
    assert service.store.status(ADDRESS) == "unsubscribed"
    call(service, "POST", mailer.links(ADDRESS)[0])
    assert service.store.status(ADDRESS) == "subscribed"


def test_responses_carry_no_referrer_and_no_cache_headers(service):
    response = sign_up(service)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("token", ["YQ.%C3%A9", "%C3%A9", "cmVhZGVy.%C2%B2.abc", "a.b.c.d", "....", "%00", "x" * 3000])
def test_garbage_tokens_get_400_never_an_error(service, token):
    for base in (UNSUBSCRIBE, "https://minimal.example.org/newsletter/confirm"):
        for method in ("GET", "POST"):
            assert call(service, method, f"{base}?token={token}").status == 400


def test_the_pages_and_the_confirmation_mail_speak_the_programmes_language(tmp_path, clock, mailer):
    import email
    from email import policy

    service = make_service(tmp_path, clock, mailer, language="de-DE")
    response = sign_up(service)
    assert response.status == 200 and "Sehen Sie in Ihr Postfach" in response.body
    assert "Check your inbox" not in response.body and "Zurück zu Minimal Programme" in response.body
    message = email.message_from_bytes(mailer.sent[0][1], policy=policy.default)
    assert message["Subject"] == "Bestätigen Sie Ihr Abonnement des Newsletters Minimal Programme"
    text = message.get_content()
    assert "Der Link gilt 7 Tage." in text and "Hello" not in text
    (link,) = mailer.links(ADDRESS)
    page = call(service, "GET", link)
    assert "Ja, ich möchte ihn erhalten" in page.body and f'<span class="address">{ADDRESS}</span>' in page.body
    assert "Sie sind angemeldet" in call(service, "POST", link).body
