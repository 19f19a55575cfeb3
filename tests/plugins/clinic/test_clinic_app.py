"""The clinic service's application in this process (no server): rate limits, CSRF tokens, sign-in details, routes.
Nothing here renders a sheet: every request stops before (a refusal, or a prescription with a problem)."""

from __future__ import annotations

import base64
import io
import json
import shutil
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest

from backpub import Session
from backpub_clinic.keys import KEYS_FILE, KeyRing, digest
from backpub_clinic.service import ClinicService, Csrf, RateLimit, RateLimiter
from backpub_clinic.sheets import Sheets
from prescribing_support import prescribing_root  # noqa: F401 - a fixture


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, prescribing_root: Path) -> tuple[ClinicService, str]:  # noqa: F811
    project = tmp_path_factory.mktemp("clinic-app")
    shutil.copytree(prescribing_root / "content", project / "content")
    session = Session(project / "content")
    key = KeyRing(session.paths.state.state).issue("test-clinic")
    sheets = Sheets(session, warm=False)  # prepared, never used: no request here gets that far
    return ClinicService(session, sheets, KeyRing(session.paths.state.state), RateLimit(per_minute=1, burst=2)), key


def call(app: ClinicService, method: str, path: str, body: bytes = b"", **headers: str) -> tuple[str, dict, bytes]:
    environ: dict = {"REQUEST_METHOD": method, "PATH_INFO": path, "CONTENT_LENGTH": str(len(body))}
    environ["wsgi.input"] = io.BytesIO(body)
    environ.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    environ["CONTENT_TYPE"] = headers.get("content_type", "")
    setup_testing_defaults(environ)
    answer: dict = {}
    chunks = app(environ, lambda status, headers: answer.update(status=status, headers=dict(headers)))
    return answer["status"], answer["headers"], b"".join(chunks)


def test_a_clinic_over_its_rate_is_told_when_to_come_back(app):
    service, key = app
    bad = json.dumps({"clinician": "A", "exercises": [{"protocol": "ise"}]}).encode()
    headers = {"authorization": f"Bearer {key}", "content_type": "application/json"}
    statuses = [call(service, "POST", "/prescriptions", bad, **headers)[0] for _ in range(2)]
    assert statuses == ["422 Unprocessable Content"] * 2  # the burst of two, spent on prescriptions with problems
    status, answer_headers, body = call(service, "POST", "/prescriptions", bad, **headers)
    assert status == "429 Too Many Requests"
    assert 1 <= int(answer_headers["Retry-After"]) <= 60
    assert json.loads(body)["errors"][0]["path"] == "$"


def test_a_token_bucket_refills_at_its_rate():
    now = [0.0]
    limiter = RateLimiter(RateLimit(per_minute=6, burst=2), clock=lambda: now[0])
    assert [limiter.take("a"), limiter.take("a")] == [0, 0]
    assert limiter.take("a") == pytest.approx(10)  # one every ten seconds
    assert limiter.take("b") == 0  # each clinic its own
    now[0] = 10
    assert limiter.take("a") == 0


def test_a_csrf_token_is_bound_to_its_cookie_and_its_clinic():
    csrf = Csrf()
    field = csrf.field_for("test-clinic", "abc")
    assert csrf.valid("test-clinic", "abc", field)
    assert not csrf.valid("other-clinic", "abc", field)  # signed for another clinic
    assert not csrf.valid("test-clinic", "abd", field)  # not this browser's cookie
    assert not csrf.valid("test-clinic", "abd", csrf.field_for("other-clinic", "abd"))
    assert not csrf.valid("test-clinic", "abc", "abc.0000")
    assert not Csrf().valid("test-clinic", "abc", field)  # made by another run of the service


def test_basic_credentials_name_the_keys_own_clinic(app):
    service, key = app

    def basic(user: str, password: str) -> str:
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    assert call(service, "GET", "/", authorization=basic("test-clinic", key))[0] == "200 OK"
    assert call(service, "GET", "/", authorization=basic("", key))[0] == "200 OK"
    assert call(service, "GET", "/", authorization=basic("other-clinic", key))[0] == "401 Unauthorized"
    assert call(service, "GET", "/", authorization="Basic !!!")[0] == "401 Unauthorized"


def test_routes_the_service_does_not_have(app):
    service, _ = app
    assert call(service, "GET", "/health")[:3:2] == ("200 OK", b"ok\n")
    assert call(service, "GET", "/prescriptions")[0] == "405 Method Not Allowed"
    status, headers, _ = call(service, "GET", "/admin")
    assert status == "404 Not Found" and headers["Cache-Control"] == "no-store"


def test_only_a_keys_hash_is_kept(tmp_path):
    ring = KeyRing(tmp_path)
    key = ring.issue("test-clinic")
    kept = (tmp_path / KEYS_FILE).read_text()
    assert key not in kept and digest(key) in kept
    assert ring.clinic_for(key) == "test-clinic" and ring.clinic_for(key + "x") is None
    assert (tmp_path / KEYS_FILE).stat().st_mode & 0o777 == 0o600
