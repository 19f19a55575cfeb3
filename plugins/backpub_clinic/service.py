"""`backpub clinic serve`: the web form and the API clinicians prescribe with, as one WSGI application.

    GET  /               the form (HTTP Basic: the clinic's id and key): find exercises by name with a plain GET
                         search, pick them (links, no JavaScript), set each one's dose and note, print
    POST /sheet          the form's prescription (CSRF-checked) -> the PDF, or the form again with every problem
    POST /prescriptions  the JSON form of a prescription (`Authorization: Bearer KEY`) -> the PDF, or 422 with
                         every problem at its JSON path; 401 without a valid key, 403 for another clinic's branding,
                         429 over the clinic's rate, 413 over the size limit
    GET  /health         'ok' (for a load balancer; no key)

No patient data at rest: a prescription (the patient's name, the doses, the notes) lives in the request, in the
objects checked and rendered from it, and in the answer. The service writes no file, keeps no cache of requests,
logs no request line and no message that could quote one (a failure is logged by its kind and route only), and
every answer says `Cache-Control: no-store`. Pick lists and searches travel in URLs (exercise names only); the
patient's details only ever in a POST body.

CSRF: the form carries a signed double-submit token (a random value in a SameSite=Strict cookie and in the form,
with an HMAC binding it to the signed-in clinic under a secret made when the service starts). The API takes only
bearer keys, which browsers never send on their own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from backpub import PrescriptionError, Protocol, Session, messages, template_bytecode
from backpub_clinic.keys import KeyRing
from backpub_clinic.sheets import SheetFailed, Sheets

TEMPLATES = Path(__file__).resolve().parent / "templates"
LOCALE = Path(__file__).resolve().parent / "locale"
CSRF_COOKIE = "backpub_csrf"
MAX_BODY = 64 * 1024
"""The largest request body the application reads (waitress refuses larger ones before it, see serve)."""
PARTS = ("duration", "repetitions", "sets", "frequency")
"""A dose's parts, as the form's fields name them."""
SEARCH_LIMIT = 200
"""The longest search the form reads."""

log = logging.getLogger("backpub.clinic")

Response = tuple[str, list[tuple[str, str]], bytes]

SECURITY_HEADERS = [
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
]
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(frozen=True)
class RateLimit:
    """Prescriptions a clinic may print: `per_minute` on average, up to `burst` at once."""

    per_minute: int = 60
    burst: int = 20


class RateLimiter:
    """A token bucket per clinic (one key each), in memory."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, clinic_id: str) -> float:
        """0 when the clinic may print now (one token taken), else the seconds until it may."""
        rate = self.limit.per_minute / 60
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(clinic_id, (float(self.limit.burst), now))
            tokens = min(float(self.limit.burst), tokens + (now - then) * rate)
            if tokens < 1:
                self._buckets[clinic_id] = (tokens, now)
                return (1 - tokens) / rate
            self._buckets[clinic_id] = (tokens - 1, now)
            return 0.0


class Csrf:
    """Signed double-submit tokens: the cookie holds a random value, the form the value and its signature."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)

    def field_for(self, clinic_id: str, nonce: str) -> str:
        return f"{nonce}.{self._sign(clinic_id, nonce)}"

    def valid(self, clinic_id: str, cookie: str | None, field: str | None) -> bool:
        if not cookie or not field or "." not in field:
            return False
        nonce, _, signature = field.partition(".")
        same = hmac.compare_digest(nonce.encode(), cookie.encode())
        signed = hmac.compare_digest(signature.encode(), self._sign(clinic_id, nonce).encode())
        return same and signed

    def _sign(self, clinic_id: str, nonce: str) -> str:
        return hmac.new(self._secret, f"{clinic_id}\0{nonce}".encode(), hashlib.sha256).hexdigest()


@dataclass
class Request:
    """What the application reads of one request."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    environ: dict[str, Any] = field(repr=False)

    @classmethod
    def of(cls, environ: dict[str, Any]) -> Request:
        headers = {
            key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key[:5] == "HTTP_"
        }
        headers["content-type"] = str(environ.get("CONTENT_TYPE", ""))
        query = parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)
        return cls(
            str(environ.get("REQUEST_METHOD", "GET")), str(environ.get("PATH_INFO", "/")), query, headers, environ
        )

    def body(self) -> bytes | None:
        """The body, or None when it is larger than the application reads."""
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if length > MAX_BODY:
            return None
        return self.environ["wsgi.input"].read(length) if length else b""

    def cookie(self, name: str) -> str | None:
        for part in self.headers.get("cookie", "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
        return None


class ClinicService:
    """The WSGI application (see the module's docstring)."""

    def __init__(self, session: Session, sheets: Sheets, keys: KeyRing, rate: RateLimit | None = None) -> None:
        import jinja2

        self.session = session
        self.publication = session.publication
        self.sheets = sheets
        self.keys = keys
        self.rates = RateLimiter(rate or RateLimit())
        self.csrf = Csrf()
        theme = session.paths.project_dir / "theme"
        self.words = messages(
            self.publication.programme.language, [LOCALE, theme / "locale", theme / "clinic" / "locale"]
        )
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            bytecode_cache=template_bytecode(),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.words.install(self.env)
        self.protocols: tuple[Protocol, ...] = tuple(
            sorted(self.publication.of(Protocol), key=lambda protocol: protocol.title.casefold())
        )
        self.routes: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("GET", "/"): self.form_page,
            ("POST", "/sheet"): self.form_sheet,
            ("POST", "/prescriptions"): self.api_prescription,
            ("GET", "/health"): lambda request: self.text("200 OK", "ok"),
        }

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request.of(environ)
        try:
            status, headers, body = self.dispatch(request)
        except Exception as exc:  # logged by kind and route only: a message may quote the request
            log.error("%s while answering %s %s", type(exc).__name__, request.method, request.path)
            status, headers, body = self.text("500 Internal Server Error", self.words.gettext("Something went wrong."))
        start_response(status, [*headers, *SECURITY_HEADERS, ("Content-Length", str(len(body)))])
        return [body]

    def dispatch(self, request: Request) -> Response:
        route = self.routes.get((request.method, request.path))
        if route is not None:
            return route(request)
        if any(path == request.path for _, path in self.routes):
            return self.text("405 Method Not Allowed", self.words.gettext("That is not allowed here."))
        return self.text("404 Not Found", self.words.gettext("There is no such page."))

    # -- signing in --------------------------------------------------------------------------------------

    def clinic_of(self, request: Request, *, schemes: tuple[str, ...]) -> str | None:
        """The signed-in clinic: a bearer key, or HTTP Basic with the clinic's id and key (when allowed)."""
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        scheme = scheme.lower()
        if scheme not in schemes:
            return None
        if scheme == "bearer":
            return self.keys.clinic_for(credentials.strip()) if credentials.strip() else None
        try:
            user, _, key = base64.b64decode(credentials.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        clinic = self.keys.clinic_for(key) if key else None
        return clinic if clinic is not None and user in ("", clinic) else None

    def unauthorised(self, scheme: str) -> Response:
        challenge = f'{scheme} realm="backpub clinic"' + (', charset="UTF-8"' if scheme == "Basic" else "")
        status, headers, body = self.text("401 Unauthorized", self.words.gettext("Sign in with your clinic's key."))
        return status, [*headers, ("WWW-Authenticate", challenge)], body

    def too_many(self, wait: float, as_json: bool) -> Response:
        text = self.words.gettext("Too many sheets at once: try again in a minute.")
        status, headers, body = (
            self.problems("429 Too Many Requests", [("$", text)])
            if as_json
            else self.text("429 Too Many Requests", text)
        )
        return status, [*headers, ("Retry-After", str(max(1, round(wait + 0.5))))], body

    # -- the API -----------------------------------------------------------------------------------------

    def api_prescription(self, request: Request) -> Response:
        clinic_id = self.clinic_of(request, schemes=("bearer",))
        if clinic_id is None or clinic_id not in self.publication.by_id:
            return self.unauthorised("Bearer")
        wait = self.rates.take(clinic_id)
        if wait:
            return self.too_many(wait, as_json=True)
        if request.headers["content-type"].split(";")[0].strip().lower() != "application/json":
            return self.problems("415 Unsupported Media Type", [("$", "send the prescription as application/json")])
        body = request.body()
        if body is None:
            return self.problems("413 Content Too Large", [("$", f"the body is larger than {MAX_BODY} bytes")])
        try:
            data = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            return self.problems("400 Bad Request", [("$", "the body is not UTF-8")])
        except json.JSONDecodeError as exc:  # (its position only: the message never quotes the body)
            return self.problems(
                "400 Bad Request", [("$", f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")]
            )
        if isinstance(data, dict):
            named = data.setdefault("clinic", clinic_id)
            if named != clinic_id:
                return self.problems("403 Forbidden", [("$.clinic", f"this key prints for {clinic_id!r} only")])
        try:
            prescribed = self.session.prescription(data)
        except PrescriptionError as exc:
            return self.problems(
                "422 Unprocessable Content", [(finding.json_path, finding.message) for finding in exc.findings]
            )
        return self.sheet(prescribed)

    def sheet(self, prescribed: Any) -> Response:
        try:
            pdf = self.sheets.render(prescribed)
        except SheetFailed as exc:
            log.error("a sheet could not be rendered (%s)", exc)
            return self.text("503 Service Unavailable", self.words.gettext("The sheet could not be made: try again."))
        headers = [("Content-Type", "application/pdf"), ("Content-Disposition", 'inline; filename="exercises.pdf"')]
        return "200 OK", headers, pdf

    def problems(self, status: str, found: list[tuple[str, str]]) -> Response:
        body = json.dumps({"errors": [{"path": path, "message": message} for path, message in found]}, indent=1)
        return status, [("Content-Type", "application/json")], body.encode()

    def text(self, status: str, message: str) -> Response:
        return status, [("Content-Type", "text/plain; charset=utf-8")], (message + "\n").encode()

    # -- the form ----------------------------------------------------------------------------------------

    def form_page(self, request: Request) -> Response:
        clinic_id = self.clinic_of(request, schemes=("basic", "bearer"))
        if clinic_id is None or clinic_id not in self.publication.by_id:
            return self.unauthorised("Basic")
        search = request.query.get("q", [""])[0][:SEARCH_LIMIT]
        picked = self.picked(request.query.get("pick", []))
        return self.page(request, clinic_id, "200 OK", search, picked, {}, {}, [])

    def form_sheet(self, request: Request) -> Response:
        clinic_id = self.clinic_of(request, schemes=("basic", "bearer"))
        if clinic_id is None or clinic_id not in self.publication.by_id:
            return self.unauthorised("Basic")
        body = request.body()
        if body is None:
            return self.text("413 Content Too Large", self.words.gettext("The form is too large."))
        parsed = parse_qs(body.decode("utf-8", "replace"))
        fields = {name: values[-1] for name, values in parsed.items()}
        if not self.csrf.valid(clinic_id, request.cookie(CSRF_COOKIE), fields.get("csrf")):
            return self.text("403 Forbidden", self.words.gettext("The form has expired: open it again."))
        wait = self.rates.take(clinic_id)
        if wait:
            return self.too_many(wait, as_json=False)
        picked = self.picked(parsed.get("protocol", []))
        data = self.prescription_data(clinic_id, fields, picked)
        try:
            prescribed = self.session.prescription(data)
        except PrescriptionError as exc:
            errors, general = self.field_errors(exc, picked)
            return self.page(request, clinic_id, "422 Unprocessable Content", "", picked, fields, errors, general)
        return self.sheet(prescribed)

    def picked(self, ids: list[str]) -> list[Protocol]:
        """The protocols picked, in order, each once (ids the programme does not have are dropped)."""
        by_id = {protocol.id: protocol for protocol in self.protocols}
        return [by_id[entity_id] for entity_id in dict.fromkeys(ids) if entity_id in by_id]

    def prescription_data(self, clinic_id: str, fields: dict[str, str], picked: list[Protocol]) -> dict[str, Any]:
        """The form's fields as a prescription's data (empty fields left out: the programme's dose then)."""
        exercises = []
        for protocol in picked:
            exercise: dict[str, Any] = {"protocol": protocol.id}
            dose = {
                part: fields[f"{part}-{protocol.id}"].strip()
                for part in PARTS
                if fields.get(f"{part}-{protocol.id}", "").strip()
            }
            if dose:
                exercise["dose"] = dose
            note = fields.get(f"note-{protocol.id}", "").strip()
            if note:
                exercise["note"] = note.replace("\r\n", "\n")
            exercises.append(exercise)
        data: dict[str, Any] = {
            "clinic": clinic_id,
            "clinician": fields.get("clinician", "").strip(),
            "exercises": exercises,
        }
        for name in ("patient", "date"):
            if fields.get(name, "").strip():
                data[name] = fields[name].strip()
        return data

    def field_errors(self, error: PrescriptionError, picked: list[Protocol]) -> tuple[dict[str, str], list[str]]:
        """Each problem at the form field it is about; the rest (about the whole sheet) apart."""
        at: dict[str, str] = {}
        general: list[str] = []
        for finding in error.findings:
            loc = finding.loc
            name = None
            if len(loc) == 1 and loc[0] in ("patient", "clinician", "date"):
                name = str(loc[0])
            elif len(loc) >= 3 and loc[0] == "exercises" and isinstance(loc[1], int) and loc[1] < len(picked):
                protocol = picked[loc[1]].id
                part = str(loc[3]) if len(loc) > 3 and loc[2] == "dose" else str(loc[2])
                name = f"{part}-{protocol}" if part in (*PARTS, "note") else f"exercise-{protocol}"
            if name is None:
                general.append(finding.message)
            else:
                at.setdefault(name, finding.message.split(": ", 1)[-1])
        return at, general

    def page(
        self,
        request: Request,
        clinic_id: str,
        status: str,
        search: str,
        picked: list[Protocol],
        values: dict[str, str],
        errors: dict[str, str],
        general: list[str],
    ) -> Response:
        nonce = request.cookie(CSRF_COOKIE)
        fresh = not nonce or len(nonce) != 22 or not nonce.replace("-", "").replace("_", "").isalnum()
        if fresh:
            nonce = secrets.token_urlsafe(16)
        assert nonce is not None
        picks = [protocol.id for protocol in picked]
        terms = search.casefold().split()
        found = [
            protocol
            for protocol in self.protocols
            if all(term in f"{protocol.title} {protocol.id} {protocol.purpose}".casefold() for term in terms)
        ]

        def link(*, add: str | None = None, remove: str | None = None) -> str:
            chosen = [entity_id for entity_id in picks if entity_id != remove] + ([add] if add else [])
            return "/?" + urlencode([("q", search)] * bool(search) + [("pick", entity_id) for entity_id in chosen])

        html = self.env.get_template("form.html.j2").render(
            programme=self.publication.programme,
            clinic=self.publication.get(clinic_id),
            search=search,
            found=found,
            picked=picked,
            picks=picks,
            link=link,
            csrf=self.csrf.field_for(clinic_id, nonce),
            today=self.session.current_day().isoformat(),
            values=values,
            errors=errors,
            general=general,
            dose_text=lambda protocol: protocol.dose.text(self.words) if protocol.dose else "",
        )
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Security-Policy", PAGE_POLICY)]
        if fresh:
            headers.append(("Set-Cookie", f"{CSRF_COOKIE}={nonce}; Path=/; HttpOnly; Secure; SameSite=Strict"))
        return status, headers, html.encode("utf-8")
