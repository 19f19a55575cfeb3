"""`backpub clinic serve` as clinics use it, one real server (waitress, two render workers) for the module: keys, the
JSON API, the form without JavaScript, CSRF, and no patient data at rest after 100 prescriptions.

The server runs as its own process with TMPDIR, XDG_CACHE_HOME and HOME in test folders and its output in log
files, so the search for patient data covers every place it could write: the project (its state and cache
folders), the logs, the temporary folder and the user's cache.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from backpub.cli import cli
from prescribing_support import page_size_mm, pdf_text, prescribing_root  # noqa: F401 - a fixture

BACKPUB = str(Path(sys.executable).with_name("backpub"))


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Server:
    project: Path
    port: int
    keys: dict[str, str]
    logs: Path
    places: list[Path]
    """Every folder the server could write to: the project, the logs, TMPDIR, XDG_CACHE_HOME, HOME."""

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def api(self, document: object, key: str | None = "test-clinic", content_type: str = "application/json") -> Answer:
        headers = {"Content-Type": content_type}
        if key is not None:
            headers["Authorization"] = f"Bearer {self.keys.get(key, key)}"
        return self.request("POST", "/prescriptions", json.dumps(document).encode(), headers)

    def basic(self, clinic: str = "test-clinic") -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"{clinic}:{self.keys[clinic]}".encode()).decode()}


def make_key(project: Path, clinic: str) -> str:
    result = CliRunner().invoke(cli, ["clinic", "key", clinic, "--content", str(project / "content")])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, prescribing_root: Path) -> Iterator[Server]:  # noqa: F811
    base = tmp_path_factory.mktemp("clinic-service")
    project = base / "project"
    shutil.copytree(prescribing_root / "content", project / "content")
    keys = {clinic: make_key(project, clinic) for clinic in ("test-clinic", "other-clinic")}
    places = {name: base / name for name in ("logs", "tmp", "xdg-cache", "home")}
    for folder in places.values():
        folder.mkdir()
    environment = {
        "PATH": "/usr/bin:/bin",
        "TMPDIR": str(places["tmp"]),
        "XDG_CACHE_HOME": str(places["xdg-cache"]),
        "HOME": str(places["home"]),
        "PYTHONUNBUFFERED": "1",
    }
    command = [BACKPUB, "clinic", "serve", "--content", "content", "--port", "0", "--workers", "2"]
    command += ["--per-minute", "100000", "--burst", "1000"]
    with open(places["logs"] / "stderr.log", "wb") as errors:
        process = subprocess.Popen(command, cwd=project, env=environment, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        first = process.stdout.readline().decode()  # printed once the programme is loaded and the workers are warm
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert found, first + (places["logs"] / "stderr.log").read_text()
        with open(places["logs"] / "stdout.log", "wb", buffering=0) as output:
            output.write(first.encode())
            copier = threading.Thread(target=output.writelines, args=(process.stdout,), daemon=True)
            copier.start()
            try:
                yield Server(project, int(found[1]), keys, places["logs"], [project, *places.values()])
            finally:
                process.terminate()
                process.wait(timeout=30)
                copier.join(timeout=10)


def document(**changes: object) -> dict:
    return {"clinician": "J. Okafor", "exercises": [{"protocol": "ice"}], **changes}


# -- signing in ---------------------------------------------------------------------------------------------------


def test_no_key_or_a_wrong_key_is_401(server):
    for answer in (server.api(document(), key=None), server.api(document(), key="not-a-key")):
        assert answer.status == 401
        assert answer.headers["www-authenticate"] == 'Bearer realm="backpub clinic"'
    form = server.request("GET", "/")
    assert form.status == 401 and form.headers["www-authenticate"].startswith('Basic realm="backpub clinic"')
    # Basic credentials are not taken by the API (a browser sends them on its own), nor a bearer key in a query.
    assert server.request("POST", "/prescriptions", b"{}", server.basic()).status == 401


def test_a_clinic_cannot_prescribe_under_another_clinics_branding(server):
    answer = server.api(document(clinic="other-clinic"), key="test-clinic")
    assert answer.status == 403
    assert answer.json == {"errors": [{"path": "$.clinic", "message": "this key prints for 'test-clinic' only"}]}
    assert server.api(document(clinic="other-clinic"), key="other-clinic").status == 200


def test_a_new_key_replaces_the_old_one_at_once(server):
    old = server.keys["other-clinic"]
    server.keys["other-clinic"] = make_key(server.project, "other-clinic")
    assert server.api(document(clinic="other-clinic"), key=old).status == 401
    assert server.api(document(clinic="other-clinic"), key="other-clinic").status == 200
    kept = (server.project / ".backpub" / "state" / "clinic-keys.json").read_text()
    assert old not in kept and server.keys["other-clinic"] not in kept  # only hashes


# -- the API ------------------------------------------------------------------------------------------------------


def test_a_prescription_is_answered_with_its_sheet_in_the_clinics_paper(server):
    answer = server.api(document(patient="Ada", exercises=[{"protocol": "ice", "dose": {"duration": "6 min"}}]))
    assert answer.status == 200, answer.body[:300]
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "no-store"
    assert page_size_mm(answer.body) == (216, 279)  # the test clinic prints on Letter
    text = pdf_text(answer.body)
    assert "Exercises for Ada" in text and "Time 6 min Set for you (programme: 3–5 min)" in text


def test_every_problem_is_answered_at_its_json_path(server):
    exercises = [{"protocol": "ice", "dose": {"duration": "30 min"}}, {"protocol": "ise", "dose": {"sets": "lots"}}]
    answer = server.api(document(exercises=exercises, date="7/12/2026"))
    assert answer.status == 422
    assert sorted((error["path"], error["message"]) for error in answer.json["errors"]) == [
        ("$.date", "date: '7/12/2026' is not a date written as YYYY-MM-DD, e.g. 2026-11-22"),
        (
            "$.exercises[0].dose.duration",
            "exercises[0].dose.duration: outside the safe range 'ice' declares (1–10 min)",
        ),
        (
            "$.exercises[1].dose.sets",
            "exercises[1].dose.sets: cannot read 'lots' as a quantity such as '3-5 min' or '10'",
        ),
        ("$.exercises[1].protocol", "exercises[1].protocol: the programme has no protocol 'ise'; did you mean 'ice'?"),
    ]


def test_what_is_not_a_json_prescription_is_refused(server):
    assert server.api(document(), content_type="text/plain").status == 415
    headers = {"Authorization": f"Bearer {server.keys['test-clinic']}", "Content-Type": "application/json"}
    broken = server.request("POST", "/prescriptions", b'{"clinician": nope}', headers)
    assert broken.status == 400 and "nope" not in broken.body.decode()  # where it broke, never what it says
    assert server.request("POST", "/prescriptions", b"x" * 70_000, headers).status == 413  # waitress's limit


# -- the form -----------------------------------------------------------------------------------------------------


def form_page(server: Server, query: str = "") -> tuple[Answer, str, str]:
    """The form, its CSRF cookie and the token in it."""
    page = server.request("GET", f"/?{query}", headers=server.basic())
    assert page.status == 200, page.body[:300]
    cookie = page.headers["set-cookie"].split(";")[0]
    token = re.search(r'name="csrf" value="([^"]+)"', page.body.decode())
    return page, cookie, token[1] if token else ""


def post_form(server: Server, fields: dict[str, object], cookie: str | None) -> Answer:
    headers = {**server.basic(), "Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie
    return server.request("POST", "/sheet", urlencode(fields, doseq=True).encode(), headers)


def test_the_form_finds_exercises_by_name_with_a_plain_get(server):
    page, _, _ = form_page(server, "q=press")
    html = page.body.decode()
    assert "The wall press-up" in html and "Ice the lower back" not in html
    assert 'href="/?q=press&amp;pick=wall-press-up#prescribe"' in html
    assert "<script" not in html
    assert "HttpOnly; Secure; SameSite=Strict" in page.headers["set-cookie"]
    picked = form_page(server, "pick=wall-press-up&pick=ice")[0].body.decode()
    assert picked.index('value="wall-press-up"') < picked.index('value="ice"')  # in the order picked
    assert 'name="repetitions-wall-press-up"' in picked and 'name="note-ice"' in picked


def test_the_form_prints_only_with_its_csrf_token(server):
    _, cookie, token = form_page(server, "pick=ice")
    fields = {"csrf": token, "clinician": "J. Okafor", "patient": "Bo", "protocol": ["ice"], "duration-ice": "4 min"}
    assert post_form(server, {**fields, "csrf": ""}, cookie).status == 403
    assert post_form(server, fields, None).status == 403  # no cookie: not this browser's form
    assert post_form(server, fields, "backpub_csrf=someone-elses-value").status == 403
    printed = post_form(server, fields, cookie)
    assert printed.status == 200 and printed.headers["content-type"] == "application/pdf"
    assert "Exercises for Bo" in pdf_text(printed.body)


def test_the_form_shows_each_problem_at_its_field_and_keeps_what_was_typed(server):
    _, cookie, token = form_page(server, "pick=ice")
    fields = {"csrf": token, "clinician": "J. Okafor", "patient": "Cy", "protocol": ["ice"], "duration-ice": "40 min"}
    answer = post_form(server, fields, cookie)
    assert answer.status == 422
    html = answer.body.decode()
    assert (
        '<p class="error" id="duration-ice-error">outside the safe range &#39;ice&#39; declares (1–10 min)</p>' in html
    )
    assert 'value="40 min"' in html and 'value="Cy"' in html
    assert answer.headers["cache-control"] == "no-store"


# -- nothing at rest ----------------------------------------------------------------------------------------------


def places_holding(places: list[Path], tokens: list[str]) -> dict[str, list[str]]:
    """Each token found in any file under the folders, in UTF-8 or UTF-16 -> the files that hold it."""
    found: dict[str, list[str]] = {}
    for folder in places:
        for path in folder.rglob("*"):
            if not path.is_file() or path.is_symlink():
                continue
            data = path.read_bytes()
            for token in tokens:
                if any(token.encode(codec) in data for codec in ("utf-8", "utf-16-le", "utf-16-be")):
                    found.setdefault(token, []).append(str(path))
    return found


def test_no_patient_data_at_rest_after_100_prescriptions(server):
    def patient(number: int) -> str:
        return f"Qzv{number:03d}Kx"

    def api_sheet(number: int) -> tuple[int, Answer]:
        return number, server.api(
            document(
                patient=patient(number),
                clinician=f"Dr Cwq{number:03d}",
                exercises=[
                    {
                        "protocol": "ice",
                        "dose": {"frequency": f"twice a day Fqx{number:03d}"},
                        "note": f"Nwz{number:03d} go",
                    }
                ],
            )
        )

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(api_sheet, range(80)))
    tokens = [f"{prefix}{number:03d}" for number in range(80) for prefix in ("Qzv", "Cwq", "Fqx", "Nwz")]
    for number, answer in answers:
        assert answer.status == 200, answer.body[:300]
        if number % 20 == 0:  # the data reached the sheets (a search that finds nothing must have had something)
            assert f"Exercises for {patient(number)}" in pdf_text(answer.body)
    for number in range(80, 100):  # through the form, as a browser sends it
        _, cookie, token = form_page(server, "pick=ice")
        fields = {"csrf": token, "clinician": f"Dr Cwq{number:03d}", "patient": patient(number), "protocol": ["ice"]}
        fields["note-ice"] = f"Nwz{number:03d} go"
        assert post_form(server, fields, cookie).status == 200
        tokens += [patient(number)[:6], f"Cwq{number:03d}", f"Nwz{number:03d}"]
    for number in range(100, 110):  # refused: the problems quote what was sent, in the answer only
        refused = server.api(
            document(
                patient=f"Qzv{number:03d}Kx",
                exercises=[{"protocol": "ice", "dose": {"duration": f"Bdx{number:03d} min"}}],
            )
        )
        assert refused.status == 422 and f"Bdx{number:03d}" in refused.body.decode()
        tokens += [f"Qzv{number:03d}", f"Bdx{number:03d}"]

    assert (server.logs / "stdout.log").read_text().startswith("Clinic service on")  # the logs are being written
    planted = server.places[2] / "planted.txt"  # a search that can fail: it finds a token that is there
    planted.write_text("Qzv000Kx", encoding="utf-16-le")
    assert places_holding(server.places, ["Qzv000"]) == {"Qzv000": [str(planted)]}
    planted.unlink()
    assert places_holding(server.places, tokens) == {}
