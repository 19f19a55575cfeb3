"""The subscription service called directly as a WSGI app: double opt-in, the mail queue, rate limits, honeypot,
tokens. The tests that use the `service` fixture run on SQLite and on PostgreSQL."""

from __future__ import annotations

import email
import re
from email import policy

import pytest
from list_service import (
    SUBSCRIBE,
    UNSUBSCRIBE,
    FakeClock,
    RecordingMailer,
    call,
    deliver,
    make_service,
)
from list_smtp import SECRET

from backpub_mailinglist.store import Member
from backpub_mailinglist.tokens import CONFIRM, link, make_token
from backpub_mailinglist.tokens import UNSUBSCRIBE as UNSUBSCRIBE_PURPOSE

ADDRESS = "reader@example.net"
LIST_ID = "sunday.minimal.example.org"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


@pytest.fixture
def service(tmp_path, clock, mailer, database):
    app = make_service(tmp_path, clock, mailer, database=database)
    yield app
    app.mailing.db.close()


def sign_up(app, address: str = ADDRESS, client: str = "192.0.2.10", **extra: str):
    return call(app, "POST", SUBSCRIBE, {"email": address, "website": "", **extra}, client=client)


def unsubscribe_url(address: str = ADDRESS) -> str:
    return link(UNSUBSCRIBE, make_token(SECRET, UNSUBSCRIBE_PURPOSE, LIST_ID, address))


def confirm(app, mailer, address: str = ADDRESS):
    deliver(app)
    return call(app, "POST", mailer.links(address)[-1])


def test_sign_up_queues_a_link_and_only_the_confirmed_address_is_subscribed(service, mailer):
    response = sign_up(service)
    assert response.status == 200 and "Check your inbox" in response.body
    assert mailer.sent == []  # the request only queued the mail
    assert service.mailing.status(ADDRESS) == "pending"
    assert deliver(service) == 1
    (link_,) = mailer.links(ADDRESS)
    page = call(service, "GET", link_)  # following the link only shows the button
    assert page.status == 200 and '<form method="post"' in page.body
    assert service.mailing.status(ADDRESS) == "pending"
    action = re.search(r'action="([^"]+)"', page.body)[1].replace("&amp;", "&")
    assert action == "?" + link_.split("?", 1)[1]
    done = call(service, "POST", link_)
    assert done.status == 200 and "You are subscribed" in done.body
    assert service.mailing.recipients() == [Member(ADDRESS, "")]


def test_confirming_sends_a_welcome_mail_with_the_unsubscribe_link_and_the_postal_address(service, mailer):
    sign_up(service)
    confirm(service, mailer)
    assert deliver(service) == 1
    welcome = email.message_from_bytes(mailer.sent[-1][1], policy=policy.default)
    assert welcome["Subject"] == "Welcome to the Minimal Programme newsletter"
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<([^>]+)>", welcome["List-Unsubscribe"])[1]
    text = welcome.get_content()
    assert url in text and "1 Example Street, Sampletown" in text
    assert call(service, "POST", url).status == 200 and service.mailing.status(ADDRESS) == "unsubscribed"


def test_the_confirmation_mail_comes_from_the_newsletter_sender(service, mailer):
    sign_up(service, name="Ann Reader")
    deliver(service)
    message = email.message_from_bytes(mailer.sent[0][1], policy=policy.default)
    assert message["From"].addresses[0].addr_spec == "sunday@example.org"
    assert message["To"].addresses[0].addr_spec == ADDRESS
    assert message["To"].addresses[0].display_name == "Ann Reader"
    assert message["Subject"] == "Confirm your subscription to the Minimal Programme newsletter"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["Content-Language"] == "en-GB"
    assert "The link works for 7 days." in message.get_content()


def test_a_filled_honeypot_gets_the_same_page_and_nothing_happens(service, mailer):
    response = sign_up(service, website="http://spam.example")
    assert response.status == 200 and "Check your inbox" in response.body
    assert deliver(service) == 0 and service.mailing.status(ADDRESS) is None


def test_too_many_sign_ups_from_one_client_get_429_until_the_window_passes(tmp_path, clock, mailer):
    app = make_service(tmp_path, clock, mailer, signups_per_client=3, client_window=3600)
    for index in range(3):
        assert sign_up(app, f"r{index}@example.net").status == 200
    refused = sign_up(app, "r3@example.net")
    assert refused.status == 429 and refused.headers["Retry-After"] == "3600"
    assert "try again in 60 minutes" in refused.body
    assert sign_up(app, "r4@example.net", client="198.51.100.7").status == 200  # another client is not limited
    assert deliver(app) == 4 and app.mailing.status("r3@example.net") is None
    clock.advance(3601)
    assert sign_up(app, "r3@example.net").status == 200 and deliver(app) == 1


def test_one_address_gets_a_limited_number_of_confirmation_mails(tmp_path, clock, mailer):
    app = make_service(tmp_path, clock, mailer, mails_per_address=2, address_window=86400)
    for client in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"):
        response = sign_up(app, ADDRESS.upper() if client.endswith("3") else ADDRESS, client=client)
        assert response.status == 200 and "Check your inbox" in response.body  # says nothing about the limit
        deliver(app)
    assert len(mailer.sent) == 2
    clock.advance(86401)
    sign_up(app)
    deliver(app)
    assert len(mailer.sent) == 3


def test_a_sign_up_while_a_confirmation_waits_queues_no_second_one(service, mailer):
    sign_up(service)
    sign_up(service, client="198.51.100.7")
    assert deliver(service) == 1 and len(mailer.sent) == 1


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
    service.mailing.import_members([Member(ADDRESS, "")])
    assert sign_up(service).status == 200
    assert deliver(service) == 0 and mailer.sent == []


@pytest.mark.parametrize("bad", ["", "not-an-address", "a@b", "x" * 250 + "@example.net", "a\x00b@example.net"])
def test_an_invalid_address_is_refused_with_400(tmp_path, clock, mailer, bad):
    app = make_service(tmp_path, clock, mailer)
    response = sign_up(app, bad)
    assert response.status == 400 and "\x00" not in response.body
    assert deliver(app) == 0


def test_a_get_on_the_form_action_is_405_and_an_unknown_path_404(service):
    response = call(service, "GET", SUBSCRIBE)
    assert response.status == 405 and response.headers["Allow"] == "POST"
    assert call(service, "GET", "https://minimal.example.org/elsewhere").status == 404


def test_bad_confirmation_links_get_400_and_subscribe_nobody(service, mailer, clock):
    sign_up(service)
    deliver(service)
    (link_,) = mailer.links(ADDRESS)
    tampered = link_[:-3] + ("AAA" if not link_.endswith("AAA") else "BBB")
    as_confirm = link_.split("token=")[0] + "token=" + make_token(SECRET, UNSUBSCRIBE_PURPOSE, LIST_ID, ADDRESS)
    token = link_.split("token=")[1]
    expires = int(token.split(".")[1])
    other_list = make_token(SECRET, CONFIRM, "another.list", ADDRESS, expires=expires)
    for bad in (tampered, as_confirm, link_.split("token=")[0] + "token=" + other_list, link_.split("?")[0]):
        for method in ("GET", "POST"):
            response = call(service, method, bad)
            assert response.status == 400, (method, bad)
            assert ADDRESS not in response.body and "This link does not work" in response.body
    clock.advance(7 * 86400 + 1)
    assert call(service, "POST", link_).status == 400  # expired
    assert service.mailing.status(ADDRESS) == "pending"


def test_unsubscribe_get_shows_a_button_and_the_one_click_post_unsubscribes(service):
    service.mailing.import_members([Member(ADDRESS, "")])
    url = unsubscribe_url()
    page = call(service, "GET", url)
    assert page.status == 200 and 'name="List-Unsubscribe" value="One-Click"' in page.body
    assert service.mailing.status(ADDRESS) == "subscribed"
    done = call(service, "POST", url, {"List-Unsubscribe": "One-Click"})
    assert done.status == 200 and service.mailing.status(ADDRESS) == "unsubscribed"
    assert call(service, "POST", url, {"List-Unsubscribe": "One-Click"}).status == 200  # again: still fine


def test_the_unsubscribe_links_of_issues_sent_before_this_token_scheme_still_work(service):
    import base64
    import hashlib
    import hmac

    service.mailing.import_members([Member(ADDRESS, "")])
    signature = hmac.new(SECRET.encode(), f"{LIST_ID}\n{ADDRESS}".encode(), hashlib.sha256).digest()
    old = f"{base64.urlsafe_b64encode(ADDRESS.encode()).rstrip(b'=').decode()}."
    old += base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    assert call(service, "POST", link(UNSUBSCRIBE, old)).status == 200
    assert service.mailing.status(ADDRESS) == "unsubscribed"


def test_an_unsubscribed_address_stays_out_whatever_an_import_says(service):
    service.mailing.import_members([Member(ADDRESS, ""), Member("other@example.net", "")])
    call(service, "POST", unsubscribe_url(), {"List-Unsubscribe": "One-Click"})
    summary = service.mailing.import_members([Member(ADDRESS.upper(), ""), Member("new@example.net", "")])
    assert (summary.added, summary.kept_unsubscribed) == (1, 1)
    assert sorted(member.email for member in service.mailing.recipients()) == ["new@example.net", "other@example.net"]


def test_signing_up_again_after_unsubscribing_needs_a_new_confirmation(service, mailer):
    service.mailing.unsubscribe(ADDRESS)
    sign_up(service)
    assert service.mailing.status(ADDRESS) == "pending"
    assert service.mailing.recipients() == []
    assert confirm(service, mailer).status == 200
    assert service.mailing.status(ADDRESS) == "subscribed"


def test_an_import_never_confirms_an_address_a_stranger_signed_up_after_it_left(service):
    service.mailing.import_members([Member(ADDRESS, "")])
    service.mailing.unsubscribe(ADDRESS)
    sign_up(service)  # anyone can type the address into the form: it becomes pending, nothing more
    summary = service.mailing.import_members([Member(ADDRESS, "")])
    assert summary.kept_unsubscribed == 1 and service.mailing.status(ADDRESS) == "pending"


def test_responses_carry_no_referrer_and_no_cache_headers(service):
    response = sign_up(service)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("token", ["YQ.%C3%A9", "%C3%A9", "cmVhZGVy.%C2%B2.abc", "a.b.c.d", "....", "%00", "x" * 3000])
def test_garbage_tokens_get_400_never_an_error(tmp_path, clock, mailer, token):
    app = make_service(tmp_path, clock, mailer)
    for base in (UNSUBSCRIBE, "https://minimal.example.org/newsletter/confirm"):
        for method in ("GET", "POST"):
            assert call(app, method, f"{base}?token={token}").status == 400


def test_the_pages_and_the_mails_speak_the_programmes_language(tmp_path, clock, mailer):
    service = make_service(tmp_path, clock, mailer, language="de-DE")
    response = sign_up(service)
    assert response.status == 200 and "Sehen Sie in Ihr Postfach" in response.body
    assert "Check your inbox" not in response.body and "Zurück zu Minimal Programme" in response.body
    deliver(service)
    message = email.message_from_bytes(mailer.sent[0][1], policy=policy.default)
    assert message["Subject"] == "Bestätigen Sie Ihr Abonnement des Newsletters Minimal Programme"
    text = message.get_content()
    assert "Der Link gilt 7 Tage." in text and "Hello" not in text
    (link_,) = mailer.links(ADDRESS)
    page = call(service, "GET", link_)
    assert "Ja, ich möchte ihn erhalten" in page.body and f'<span class="address">{ADDRESS}</span>' in page.body
    assert "Sie sind angemeldet" in call(service, "POST", link_).body
    deliver(service)
    assert mailer.subjects(ADDRESS)[-1] == "Willkommen beim Newsletter Minimal Programme"


def test_the_mail_queue_forgets_mails_that_are_long_done(service, mailer, clock):
    sign_up(service)
    deliver(service)
    assert service.mailing.prune_outbox(7 * 86400) == 0  # sent today: kept (the allowance counts it)
    clock.advance(8 * 86400)
    assert service.mailing.prune_outbox(7 * 86400) == 1 and service.mailing.outbox_counts() == {}
