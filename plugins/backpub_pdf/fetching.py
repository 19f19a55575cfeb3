"""WeasyPrint's only door to files: a strict URL fetcher that serves the project's files and nothing else.

Documents refer to files through virtual `file:///backpub/<root>/...` URLs, so relative links inside
stylesheets still resolve, and the PDFs never contain the machine's absolute paths (reproducible anywhere).
Files the renderer makes itself (the QR codes) are served from memory under the `generated` root.
Anything else (http, https, ftp, data URLs, files outside the allowed folders) is refused.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

VIRTUAL_PREFIX = "file:///backpub/"
"""Every URL the documents use starts with this, followed by a root name (content, templates, theme, fonts)."""

EXTRA_TYPES = {".svg": "image/svg+xml", ".css": "text/css", ".ttf": "font/ttf", ".otf": "font/otf"}


class RefusedURL(Exception):
    """A URL the renderer may not fetch; carries the URL so the error can name it."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{reason}: {url}")


def virtual_url(root: str, relative: str) -> str:
    """The URL documents use for a file inside one of the allowed roots."""
    return f"{VIRTUAL_PREFIX}{root}/{relative.lstrip('/')}"


@dataclass
class FileGate:
    """Decides which file a URL may read: only files inside the allowed roots, after resolving symlinks."""

    roots: Mapping[str, Path]
    """Root name -> real folder, e.g. {'content': /project/content, 'templates': .../templates}."""
    generated: dict[str, bytes] = field(default_factory=dict)
    """Files the renderer made itself (the QR codes), by their virtual URL."""

    def read(self, url: str) -> tuple[bytes, str]:
        """The bytes and MIME type behind a URL, or RefusedURL."""
        if url in self.generated:
            return self.generated[url], _mime_type(Path(urlsplit(url).path))
        scheme = urlsplit(url).scheme.lower()
        if scheme != "file":
            raise RefusedURL(url, f"{scheme or 'a relative'} URLs are not allowed in PDFs (no network access)")
        path = self.path_for(url)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RefusedURL(url, f"the file cannot be read ({exc.strerror or exc})") from None
        return data, _mime_type(path)

    def path_for(self, url: str) -> Path:
        """The real file a virtual URL names, if it lies inside its root."""
        if not url.startswith(VIRTUAL_PREFIX):
            raise RefusedURL(url, "only files inside the project's content and the PDF templates may be used")
        root_name, _, relative = unquote(urlsplit(url).path).removeprefix("/backpub/").partition("/")
        root = self.roots.get(root_name)
        if root is None or not relative:
            raise RefusedURL(url, "only files inside the project's content and the PDF templates may be used")
        base = root.resolve()
        path = (base / relative).resolve()
        if not path.is_relative_to(base):
            raise RefusedURL(url, "the file lies outside the project's content and the PDF templates")
        return path


def _mime_type(path: Path) -> str:
    return EXTRA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def make_fetcher(gate: FileGate):
    """A WeasyPrint URLFetcher (imported lazily) that reads through the gate and stops rendering on refusal."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class GatedFetcher(URLFetcher):
        """Serves gate-approved files; any refusal is fatal so the build fails instead of printing a gap."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True)
            self.refused: list[RefusedURL] = []

        def fetch(self, url, headers=None):
            try:
                data, mime_type = gate.read(url)
            except RefusedURL as refusal:
                self.refused.append(refusal)
                raise FatalURLFetchingError(str(refusal)) from refusal
            return URLFetcherResponse(url, data, {"Content-Type": mime_type})

    return GatedFetcher()
