"""`backpub preview`: build, serve the website on 127.0.0.1, rebuild when the content changes, reload the page.

What you preview is what you deploy: `/` serves exactly the folder of the format that hosts the website (every
other format's published files are placed into it by the build). `/_backpub/` lists every output folder. HTML
pages get a small script that polls `/_backpub/status` and reloads the page after each build; a failed build
shows its messages on the page instead of stopping the server. Everything is served from this process.
"""

from __future__ import annotations

import html
import json
import mimetypes
import threading
import time
import traceback
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from backpub.errors import BackpubError, ContentError

if TYPE_CHECKING:
    from backpub.session import Session

PREFIX = "/_backpub/"
RELOAD_SCRIPT = """<script>
(function () {
  var seen = %d;
  function poll() {
    fetch("/_backpub/status", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      if (s.build !== seen && !s.building) { location.reload(); } else { setTimeout(poll, 700); }
    }).catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 700);
})();
</script>"""


@dataclass
class BuildState:
    """What the preview shows: how many builds finished, whether one is running, and the last failure."""

    build: int = 0
    building: bool = False
    error: str | None = None
    finished_at: float | None = None
    seconds: float = 0.0
    rendered: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "build": self.build,
            "building": self.building,
            "ok": self.error is None,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "rendered": self.rendered,
        }


class Preview:
    """Builds a project, serves its outputs and rebuilds on content changes until `stop()`."""

    def __init__(
        self,
        session: Session,
        *,
        port: int = 8000,
        formats: tuple[str, ...] | None = None,
        jobs: int | None = None,
        log=print,
    ) -> None:
        self.session = session
        self.content_dir = session.paths.content_dir
        self.project_dir = session.paths.project_dir
        self.output_dir = session.paths.output_dir
        self.formats = formats or None
        self.jobs = jobs
        self.log = log
        self.website = self._website_folder()
        self.state = BuildState()
        self.lock = threading.Lock()
        self.building = threading.Lock()
        """One build at a time: the first build and one an edit starts may overlap."""
        self.watching = threading.Event()
        """Set once the content is watched: from then on no edit is missed."""
        self.stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self.server.daemon_threads = True
        self.threads: list[threading.Thread] = []
        self.serving: threading.Thread | None = None

    def _website_folder(self) -> Path | None:
        """The output folder of the format that hosts the website, if one is installed."""
        hosts = [name for name, cls in self.session.host.formats().items() if cls.hosts_website]
        return self.output_dir / hosts[0] if hosts else None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/"

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Watch, build once, then serve, in background threads: an edit made once start() returns (or while the
        first build runs) is built, because the content is watched before the first build reads it."""
        self._thread(self._watch)
        self.watching.wait()
        self.rebuild()
        self.serving = self._thread(self._serve)

    def _thread(self, target) -> threading.Thread:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self.threads.append(thread)
        return thread

    def stop(self) -> None:
        self.stopping.set()
        if self.serving:  # shutdown() waits for a serving loop, so only ask one that was started
            self.server.shutdown()
        self.server.server_close()
        for thread in self.threads:
            thread.join(timeout=10)

    def _serve(self) -> None:
        # Polled every 50 ms, not the standard half second: stop() (Ctrl-C) waits for this loop to notice.
        self.server.serve_forever(poll_interval=0.05)

    def serve_forever(self) -> None:
        """Say where, start, then block until interrupted (Ctrl-C), which may come at any moment."""
        self.log(f"Previewing {self.content_dir} at {self.url} (Ctrl-C to stop)")
        try:
            self.start()
            while not self.stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # -- building -------------------------------------------------------------------------------

    def rebuild(self) -> None:
        """Build now; any failure is kept for the page, never raised."""
        with self.building:
            self._build()

    def _build(self) -> None:
        from backpub.build import build_session
        from backpub.session import Session

        with self.lock:
            self.state.building = True
        started = time.perf_counter()
        error, rendered = None, []
        try:
            session = Session(
                self.content_dir, output_dir=self.output_dir, as_of=self.session.requested_as_of, host=self.session.host
            )
            report = build_session(session, self.formats, jobs=self.jobs)
            rendered = report.rendered
        except ContentError as exc:
            error = "\n".join(str(problem) for problem in exc.problems) or str(exc)
        except BackpubError as exc:
            error = str(exc)
        except Exception:  # a crash in a plugin must not take the preview down
            error = traceback.format_exc()
        with self.lock:
            self.state = BuildState(
                build=self.state.build + 1,
                error=error,
                finished_at=time.time(),
                seconds=time.perf_counter() - started,
                rendered=rendered,
            )
        if error:
            self.log(f"build failed:\n{error}")
        else:
            noun = "file" if len(rendered) == 1 else "files"
            self.log(f"built in {self.state.seconds:.2f} s: {len(rendered)} {noun} rendered")

    def _watch(self) -> None:
        import watchfiles

        folders = [self.content_dir]
        theme = self.project_dir / "theme"
        if theme.is_dir():
            folders.append(theme)
        try:
            # A first (empty) yield after rust_timeout says the watch is in place: then the first build may start.
            for changes in watchfiles.watch(
                *folders, stop_event=self.stopping, rust_timeout=100, yield_on_timeout=True
            ):
                self.watching.set()
                if self.stopping.is_set():
                    return
                if changes:
                    self.rebuild()
        finally:
            self.watching.set()  # (a watch that failed must not leave start() waiting)

    def status(self) -> dict:
        with self.lock:
            return self.state.as_dict()


# -- HTTP ---------------------------------------------------------------------------------------------------


def _handler_for(preview: Preview) -> type[BaseHTTPRequestHandler]:
    class Handler(_PreviewHandler):
        pass

    Handler.preview = preview
    return Handler


class _PreviewHandler(BaseHTTPRequestHandler):
    preview: Preview
    server_version = "backpub-preview"

    def log_message(self, format: str, *args) -> None:
        """Quiet: the terminal shows builds, not every request."""

    def do_GET(self) -> None:
        if not _addressed_to(self.headers.get("Host"), self.preview.server.server_address[1]):
            # DNS rebinding: a page elsewhere whose name now resolves to 127.0.0.1 must not read the preview.
            self._send(HTTPStatus.MISDIRECTED_REQUEST, b"this preview answers only to localhost\n", "text/plain")
            return
        path = unquote(urlsplit(self.path).path)
        if "\0" in path or any(ord(char) < 32 for char in path):
            self._send(HTTPStatus.BAD_REQUEST, b"bad request path\n", "text/plain")
            return
        if path == PREFIX + "status":
            self._send(HTTPStatus.OK, json.dumps(self.preview.status()).encode(), "application/json")
        elif path in (PREFIX, PREFIX.rstrip("/")):
            self._send(
                HTTPStatus.OK,
                self._page(index_html(self.preview.output_dir, self.preview.website)),
                "text/html; charset=utf-8",
            )
        elif path.startswith(PREFIX + "files/"):
            self._file(self.preview.output_dir, path.removeprefix(PREFIX + "files/"))
        elif self.preview.website is not None and self.preview.website.is_dir():
            self._file(self.preview.website, path.lstrip("/"))
        elif path == "/":
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", PREFIX)
            self.end_headers()
        else:
            self._send(HTTPStatus.NOT_FOUND, self._page("<h1>Not found</h1>"), "text/html; charset=utf-8")

    def _file(self, root: Path, relative: str) -> None:
        root = root.resolve()
        try:
            target = (root / relative).resolve()
            if target.is_dir():
                target = target / "index.html"
            found = target.is_relative_to(root) and target.is_file()
        except (OSError, ValueError):  # a name too long, or otherwise no file's
            found = False
        if not found:
            self._send(HTTPStatus.NOT_FOUND, self._page("<h1>Not found</h1>"), "text/html; charset=utf-8")
            return
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        data = target.read_bytes()
        if kind == "text/html":
            data = _inject(data, self._banner_and_script())
            kind += "; charset=utf-8"
        self._send(HTTPStatus.OK, data, kind)

    def _page(self, body: str) -> bytes:
        return (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>backpub preview</title>"
            f"<style>{STYLE}</style></head><body>{body}{self._banner_and_script()}</body></html>"
        ).encode()

    def _banner_and_script(self) -> str:
        status = self.preview.status()
        banner = ""
        if status["error"]:
            banner = (
                "<div id='backpub-build-error' style='position:fixed;inset:auto 0 0 0;max-height:50vh;overflow:auto;"
                "background:#7a0c0c;color:#fff;padding:1em;font:14px/1.4 monospace;z-index:99999'>"
                f"<strong>The last build failed</strong> (build {status['build']}); the outputs are from the last "
                f"good build.<pre style='white-space:pre-wrap'>{html.escape(status['error'])}</pre></div>"
            )
        return banner + RELOAD_SCRIPT % status["build"]

    def _send(self, code: int, data: bytes, kind: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)


def _addressed_to(host: str | None, port: int) -> bool:
    """Whether a request's Host header names this server: 127.0.0.1 or localhost, with its port."""
    return host in {f"127.0.0.1:{port}", f"localhost:{port}"} or (port == 80 and host in {"127.0.0.1", "localhost"})


def _inject(page: bytes, snippet: str) -> bytes:
    """Add the snippet before </body> (or at the end when there is none)."""
    marker = page.lower().rfind(b"</body>")
    if marker == -1:
        return page + snippet.encode()
    return page[:marker] + snippet.encode() + page[marker:]


STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#1b1b1b}"
    "h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}"
    "li{margin:.2em 0}.muted{color:#555}"
)


# -- the index of outputs -------------------------------------------------------------------------------------


def index_html(output_dir: Path, website: Path | None = None) -> str:
    """The outputs index: the website, then one section per output folder, linking into /_backpub/files/."""
    sections = []
    if website is not None and (website / "index.html").is_file():
        sections.append("<h2>Website</h2><p><a href='/'>Open the website</a></p>")
    folders = sorted(child for child in output_dir.iterdir() if child.is_dir()) if output_dir.is_dir() else []
    sections += [_files_section(folder.name, output_dir, folder) for folder in folders if folder != website]
    body = "".join(section for section in sections if section)
    if not body:
        body = "<p class='muted'>Nothing has been built yet.</p>"
    return f"<h1>backpub preview</h1><p class='muted'>Outputs in {html.escape(str(output_dir))}</p>{body}"


def _link(output_dir: Path, path: Path, text: str | None = None) -> str:
    relative = path.relative_to(output_dir).as_posix()
    return f"<a href='{PREFIX}files/{html.escape(relative)}'>{html.escape(text or relative)}</a>"


def _files_section(title: str, output_dir: Path, folder: Path) -> str:
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    if not files:
        return ""
    items = "".join(f"<li>{_link(output_dir, path)}</li>" for path in files)
    return f"<h2>{html.escape(title)} <span class='muted'>({len(files)})</span></h2><ul>{items}</ul>"
