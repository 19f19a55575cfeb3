"""`backpub preview`: serves an index of the outputs, rebuilds on content changes, shows build errors."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from backpub import Session
from backpub.commands.preview import Preview
from backpub_testkit import edit

WAIT = 60.0


def fetch(url: str, timeout: float = 10) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode()


def status(preview_url: str) -> dict:
    return json.loads(fetch(preview_url + "_backpub/status")[1])


class LoggedPreview(Preview):
    """A preview whose log lines (one per finished build) go into a queue a test can wait on."""

    def __init__(self, *args, **kwargs) -> None:
        self.logged: queue.Queue[str] = queue.Queue()
        super().__init__(*args, log=self.logged.put, **kwargs)


def wait_for_build(preview: LoggedPreview, after: int) -> dict:
    """Wait until a build newer than `after` has finished: each finished build logs a line, so this blocks on
    the log (no polling, no sleep) and looks at the status after each line."""
    deadline = time.monotonic() + WAIT
    while True:
        current = status(preview.url)
        if current["build"] > after and not current["building"]:
            return current
        try:
            preview.logged.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no build after #{after} within {WAIT} s") from None


@pytest.fixture
def preview(project: Path):
    session = Session(project / "content", as_of=date(2026, 11, 22))
    server = LoggedPreview(session, port=0, formats=("json",), jobs=1)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_index_lists_outputs_and_injects_the_reload_script(preview: Preview) -> None:
    code, page = fetch(preview.url + "_backpub/")
    assert code == 200
    assert "/_backpub/files/json/programme.json" in page
    assert "/_backpub/status" in page
    assert "https://" not in page.split("<body>", 1)[1], "the preview page makes no third-party requests"
    code, data = fetch(preview.url + "_backpub/files/json/programme.json")
    assert json.loads(data)["programme"]["title"] == "Minimal Programme"


def test_root_redirects_to_the_index_without_a_site(preview: Preview) -> None:
    code, page = fetch(preview.url)
    assert code == 200 and "backpub preview" in page


def test_paths_outside_outputs_are_refused(preview: Preview) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        fetch(preview.url + "_backpub/files/../content/programme.yaml")
    assert refused.value.code == 404
    with pytest.raises(urllib.error.HTTPError):
        fetch(preview.url + "_backpub/files/%2e%2e/content/programme.yaml")


def test_content_edit_rebuilds_and_a_broken_edit_shows_the_error(preview: Preview, project: Path) -> None:
    first = status(preview.url)
    assert first["ok"] and first["build"] == 1
    programme = project / "content" / "programme.yaml"
    edit(programme, "title: Minimal Programme", "title: Edited Programme")
    rebuilt = wait_for_build(preview, first["build"])
    assert rebuilt["ok"], rebuilt["error"]
    assert rebuilt["rendered"] == ["json/programme.json"]
    assert json.loads(fetch(preview.url + "_backpub/files/json/programme.json")[1])["programme"]["title"] == (
        "Edited Programme"
    )

    edit(programme, "timezone: Europe/London", "timezone: Europe/Nowhere")
    failed = wait_for_build(preview, rebuilt["build"])
    assert not failed["ok"]
    assert "programme.yaml" in failed["error"] and "Europe/Nowhere" in failed["error"]
    code, page = fetch(preview.url + "_backpub/")
    assert code == 200, "a failed build is shown, not a crash"
    assert "The last build failed" in page and "Europe/Nowhere" in page
    # the last good outputs are still served
    assert "Edited Programme" in fetch(preview.url + "_backpub/files/json/programme.json")[1]

    edit(programme, "timezone: Europe/Nowhere", "timezone: Europe/London")
    assert wait_for_build(preview, failed["build"])["ok"]


def test_an_edit_right_after_start_is_built_however_slowly_the_watch_begins(project: Path, monkeypatch) -> None:
    """On a busy machine the watching thread may begin late: start() returns only once the content is watched,
    so an edit made at once is never missed."""
    import watchfiles

    real_watch = watchfiles.watch

    def slow_watch(*args, **kwargs):
        time.sleep(1.0)  # a machine too busy to start watching at once
        yield from real_watch(*args, **kwargs)

    monkeypatch.setattr(watchfiles, "watch", slow_watch)
    session = Session(project / "content", as_of=date(2026, 11, 22))
    server = LoggedPreview(session, port=0, formats=("json",), jobs=1)
    server.start()
    try:
        edit(project / "content" / "programme.yaml", "title: Minimal Programme", "title: Edited Programme")
        rebuilt = wait_for_build(server, 1)
        assert rebuilt["ok"] and rebuilt["rendered"] == ["json/programme.json"]
    finally:
        server.stop()


def test_site_output_is_served_at_the_root(project: Path) -> None:
    site = project / "outputs" / "site"
    session = Session(project / "content", as_of=date(2026, 11, 22))
    server = Preview(session, port=0, formats=("json",), log=lambda _: None)
    server.start()
    try:
        # a site folder from an earlier build is carried over by json-only builds and becomes the preview
        site.mkdir(parents=True)
        (site / "index.html").write_text("<html><body><h1>Hello site</h1></body></html>")
        _, page = fetch(server.url)
        assert "Hello site" in page and "/_backpub/status" in page
    finally:
        server.stop()


def test_cli_preview_says_where_then_serves_until_interrupted(project: Path) -> None:
    command = [sys.executable, "-m", "backpub", "preview", "--port", "0", "-f", "json", "--as-of", "2026-11-22"]
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        command,
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        # Ctrl-C as a terminal sends it: a suite started in the background (`cmd &` in a script) has SIGINT
        # ignored, and the child would inherit that and never see the interrupt this test sends.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in child.stdout], daemon=True).start()
    try:
        first = lines.get(timeout=WAIT)  # the address is printed once the port is bound, before the first build
        url = re.search(r"at (http://127\.0\.0\.1:\d+/)", first)
        assert url, first
        code, page = fetch(url.group(1) + "_backpub/", timeout=WAIT)  # answered once the first build is done
        assert code == 200 and "programme.json" in page
    finally:
        child.send_signal(signal.SIGINT)
        try:
            _, errors = child.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(child.pid, signal.SIGKILL)
            raise
    assert child.returncode == 0, errors
