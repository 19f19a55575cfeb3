"""The mailing list's benchmark rows (issue 24), run by benchmarks/run.py (`--only signups,send`).

- [signups] `backpub newsletter serve` (waitress, the SQLite list in the project's state folder) with its mail
  worker sending to an aiosmtpd sink on loopback: 1,000 sign-ups at once (each its own connection), then 25,000
  in a row, each from its own client address (the proxy header, as behind an HTTPS proxy), plus 40 from one
  client to reach its limit. Every request must be answered 2xx or 429, every accepted sign-up stored once (one
  subscriber row, one confirmation mail queued), and the server's resident memory flat after warm-up (its RSS
  after 25,000 against after 5,000). Also: the answer time for a subscribed and for an unknown address.
- [send] 100,000 subscribers in a PostgreSQL server started here (durable: fsync on), sent to an aiosmtpd sink
  on loopback by `backpub newsletter send`, killed with SIGKILL three times (at a message boundary, right after
  the sink accepted a message, at a boundary again) and resumed each time by a new process: the sink must have
  received every address exactly once. Wall time over all runs, and the largest sender's peak memory.
- [private-feed] (issue 27) the subscription service on waitress serving one subscriber's private feed of the
  benchmark's whole programme (every episode released: 500 by default), built once by `backpub build -f feed`:
  the first request (the build's files read), then the median and the 95th percentile of 50 warm requests over
  loopback, and a conditional request answered 304. Target: under 50 ms warm.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))  # the PostgreSQL launcher and the loopback SMTP server the tests use
sys.path.insert(0, str(REPO / "tests" / "plugins" / "mailinglist"))

SECRET = "benchmark-secret-0123456789abcdef"
ISSUE, AS_OF = "2026-11-22", "2026-11-25"
SIGNUP_PATH = "/newsletter/subscribe"
BACKPUB = [sys.executable, "-m", "backpub"]


class Sink:
    """An aiosmtpd server on loopback that counts each recipient's messages; `on_mail` and `on_accept` may act
    (kill the sender) at the Nth MAIL FROM or the Nth accepted message."""

    def __init__(self) -> None:
        from list_smtp import LoopbackController

        self.received: Counter[str] = Counter()
        self.total = 0
        self.mails = 0
        self.lock = threading.Lock()
        self.on_mail: Callable[[int], None] = lambda count: None
        self.on_accept: Callable[[int], None] = lambda count: None
        self.controller = LoopbackController(self)
        self.controller.start()
        self.address = self.controller.address

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.mails += 1
            count = self.mails
        self.on_mail(count)
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.received[recipient] += 1
            self.total += 1
            count = self.total
        self.on_accept(count)
        return "250 2.0.0 Accepted"

    def stop(self) -> None:
        self.controller.stop()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def make_project(workdir: Path) -> Path:
    project = workdir / "list-project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(REPO / "content", project / "content")
    return project


# -- [signups] --------------------------------------------------------------------------------------------


async def _post(port: int, client: str, address: str) -> tuple[int, float]:
    body = f"email={address.replace('@', '%40')}&website=".encode()
    request = (
        f"POST {SIGNUP_PATH} HTTP/1.1\r\nHost: list.example.org\r\nX-Forwarded-For: {client}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()  # to the end: the server closes
        writer.close()
        status = int(status_line.split()[1]) if status_line else 0
    except (OSError, ValueError, IndexError):
        status = 0
    return status, time.perf_counter() - started


async def _burst(port: int, requests: list[tuple[str, str]]) -> list[tuple[int, float]]:
    return await asyncio.gather(*(_post(port, client, address) for client, address in requests))


async def _in_a_row(port: int, requests: list[tuple[str, str]], sample: Callable[[int], None]) -> list[int]:
    statuses = []
    for index, (client, address) in enumerate(requests, start=1):
        statuses.append((await _post(port, client, address))[0])
        sample(index)
    return statuses


def client_of(index: int) -> str:
    """A distinct documentation-style client address per sign-up (only ever a header value, never contacted)."""
    return f"203.0.{index // 250}.{index % 250}"


def signups(workdir: Path, table, concurrent: int = 1000, in_a_row: int = 25_000, warm_up: int = 5000) -> None:
    project = make_project(workdir)
    sink = Sink()
    env = {**os.environ, "BACKPUB_UNSUBSCRIBE_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}
    command = [*BACKPUB, "newsletter", "serve", "--port", "0", "--smtp", sink.address,
               "--client-ip-header", "X-Forwarded-For", "--threads", "8"]  # fmt: skip
    server = subprocess.Popen(
        command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        port = int(re.search(r":(\d+)/", server.stdout.readline())[1])
        burst = [(client_of(i), f"burst{i:05d}@example.net") for i in range(concurrent)]
        burst += [("198.51.100.1", f"sameclient{i:02d}@example.net") for i in range(40)]  # past its 30 per hour
        started = time.perf_counter()
        answered = asyncio.run(_burst(port, burst))
        burst_seconds = time.perf_counter() - started
        burst_status = Counter(status for status, _ in answered)
        ok = set(burst_status) <= {200, 429}
        table.add(
            f"sign-ups: {concurrent:,} at once + 40 from one client (`newsletter serve`, waitress, SQLite)",
            f"{burst_status[200]:,} x 200, {burst_status[429]} x 429, "
            f"{sum(n for s, n in burst_status.items() if s not in (200, 429))} other; {burst_seconds:.1f} s, "
            f"slowest answer {max(seconds for _, seconds in answered):.2f} s",
            "every request 2xx or 429",
            ok,
        )
        samples: dict[int, float] = {}

        def sample(index: int) -> None:
            if index in (warm_up, in_a_row):
                samples[index] = rss_mb(server.pid)

        sequential = [(client_of(concurrent + i), f"row{i:05d}@example.net") for i in range(in_a_row)]
        started = time.perf_counter()
        statuses = asyncio.run(_in_a_row(port, sequential, sample))
        row_seconds = time.perf_counter() - started
        row_status = Counter(statuses)
        accepted = burst_status[200] + row_status[200]
        stored = _stored(project)
        table.add(
            f"sign-ups: {in_a_row:,} in a row",
            f"{row_status[200]:,} x 200, {row_status[429]} x 429, "
            f"{sum(n for s, n in row_status.items() if s not in (200, 429))} other; "
            f"{in_a_row / row_seconds:.0f} per s; stored {stored[0]:,} subscribers, {stored[1]:,} mails queued "
            f"for {accepted:,} accepted",
            "every request 2xx or 429; each accepted one stored once",
            set(row_status) <= {200, 429} and stored == (accepted, accepted),
        )
        growth = samples[in_a_row] - samples[warm_up]
        table.add(
            f"sign-up service memory after warm-up ({warm_up:,} -> {in_a_row:,} in a row)",
            f"RSS {samples[warm_up]:.0f} MB -> {samples[in_a_row]:.0f} MB ({growth:+.1f} MB)",
            "<= +10%",
            growth <= 0.10 * samples[warm_up],
        )
        _answer_times(port, project, table)
        table.add(
            "sign-ups: confirmation mails the worker sent to the sink meanwhile",
            f"{sink.total:,} of {accepted:,}",
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        sink.stop()


def _stored(project: Path) -> tuple[int, int]:
    with sqlite3.connect(project / ".backpub" / "state" / "subscribers.sqlite") as db:
        subscribers = db.execute("SELECT COUNT(DISTINCT address) FROM subscribers").fetchone()[0]
        mails = db.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'confirm'").fetchone()[0]
    return subscribers, mails


def _answer_times(port: int, project: Path, table, repeat: int = 300) -> None:
    """The answer time for an address already subscribed and for one the list never saw (median of `repeat`)."""
    with sqlite3.connect(project / ".backpub" / "state" / "subscribers.sqlite") as db:
        db.execute("UPDATE subscribers SET status = 'subscribed' WHERE address LIKE 'row0000%'")
    known, unknown = [], []
    for index in range(repeat):
        for times, address in ((known, f"row0000{index % 10}@example.net"), (unknown, f"new{index:05d}@example.net")):
            _status, seconds = asyncio.run(_post(port, f"192.0.2.{index % 250}", address))
            times.append(seconds)
    a, b = statistics.median(known) * 1000, statistics.median(unknown) * 1000
    table.add(
        f"sign-up answer: subscribed vs unknown address (median of {repeat})",
        f"{a:.1f} ms vs {b:.1f} ms ({abs(a - b) / max(a, b):.0%} apart)",
        "within 20%",
        abs(a - b) <= 0.2 * max(a, b),
    )


# -- [send] -----------------------------------------------------------------------------------------------


def send(workdir: Path, table, count: int = 100_000) -> None:
    from backpub_mailinglist.database import open_database
    from backpub_mailinglist.store import MailingList, Member
    from backpub_postgres import PostgresServer

    project = make_project(workdir)
    postgres = PostgresServer(durable=True).start()
    sink = Sink()
    try:
        url = postgres.fresh_url()
        started = time.perf_counter()
        mailing = MailingList(open_database(url, create=True))
        addresses = [f"reader{index:06d}@example.net" for index in range(count)]
        mailing.import_members(Member(address, f"Reader {index}") for index, address in enumerate(addresses))
        mailing.db.close()
        import_seconds = time.perf_counter() - started
        env = {**os.environ, "BACKPUB_UNSUBSCRIBE_SECRET": SECRET}
        command = [*BACKPUB, "newsletter", "send", "--issue", ISSUE, "--as-of", AS_OF, "--smtp", sink.address,
                   "--database", url]  # fmt: skip
        # Where each run is killed: at a message boundary (the Nth MAIL FROM of the whole send), right after the
        # sink accepted a message (the sender never hears its 250), at a boundary again; the fourth run finishes.
        kills = [("mail", count * 2 // 10), ("accept", count * 5 // 10), ("mail", count * 8 // 10), (None, 0)]
        seconds, peak, codes = 0.0, 0.0, []
        for where, at in kills:
            process = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            kill = lambda n, at=at, process=process: n == at and os.kill(process.pid, signal.SIGKILL)  # noqa: E731
            sink.on_mail = kill if where == "mail" else (lambda n: None)
            sink.on_accept = kill if where == "accept" else (lambda n: None)
            began = time.perf_counter()
            output = process.stdout.read().decode()
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            seconds += time.perf_counter() - began
            peak = max(peak, usage.ru_maxrss / 1024)
            codes.append(process.returncode)
        distinct, twice = len(sink.received), sum(1 for n in sink.received.values() if n > 1)
        missing = count - len(set(sink.received) & set(addresses))
        exact = distinct == count and twice == 0 and missing == 0
        table.add(
            f"send {count:,} addresses (PostgreSQL, durable) killed 3 times, resumed by a new process each time",
            f"{distinct:,} distinct, {twice} twice, {missing} missing; exits {codes}; "
            f"{seconds:.0f} s ({count / seconds:.0f} per s), peak {peak:.0f} MB (import {import_seconds:.0f} s); "
            f"last run: {_summary(output)}",
            "every address exactly once",
            exact,
        )
    finally:
        sink.stop()
        postgres.stop()


def _summary(output: str) -> str:
    found = re.findall(r"^\s+(sent|skipped|uncertain|failed)\s+(\d+)", output, re.MULTILINE)
    return ", ".join(f"{name} {value}" for name, value in found)


# -- [private-feed] ---------------------------------------------------------------------------------------


def private_feed(project: Path, table, episodes: int, repeat: int = 50) -> None:
    """One subscriber's private feed of the whole programme, served by the service on loopback."""
    import http.client

    from backpub import ServerLimits, make_server
    from backpub_mailinglist.service import make_app
    from backpub_mailinglist.store import Member
    from backpub_mailinglist.tokens import feed_token

    found = sorted(project.glob("outputs/**/service/*/private-feed/index.json"))
    if not found:
        raise SystemExit("the private feed's files were not built")
    os.environ["BACKPUB_UNSUBSCRIBE_SECRET"] = SECRET
    database = str(project / "bench-list.sqlite")
    Path(database).unlink(missing_ok=True)
    app = make_app(project / "content", "127.0.0.1:9", database=database, service_files=found[0].parents[2])
    address = "listener@example.net"
    app.mailing.import_members([Member(address, "", member=True)], membership=True)
    list_id = app.settings.list_id
    token = app.mailing.feed_token(address, lambda nonce: feed_token(SECRET, list_id, address, nonce))
    path = "/" + f"{app.settings.feeds_url}{token}.xml".split("/", 3)[3]
    server = make_server(app, "127.0.0.1", 0, ServerLimits(threads=4))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=30)

    def get(headers: dict[str, str] | None = None) -> tuple[int, bytes, str, float]:
        started = time.perf_counter()
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return response.status, body, response.getheader("ETag") or "", time.perf_counter() - started

    try:
        status, body, etag, first = get()
        if status != 200 or body.count(b"<item>") != episodes:
            raise SystemExit(f"the private feed answered {status} with {body.count(b'<item>')} items")
        warm = sorted(get()[3] for _ in range(repeat))
        unchanged = get({"If-None-Match": etag})
    finally:
        connection.close()
        server.task_dispatcher.shutdown()  # (its threads' last task wakes the loop: it must still be open then)
        server.trigger.pull_trigger(server.close)
        thread.join(10)
        app.mailing.db.close()
    median, p95 = statistics.median(warm) * 1000, warm[int(0.95 * (len(warm) - 1))] * 1000
    table.add(
        f"a private feed of {episodes} episodes ({len(body) / 1024:.0f} KiB) over loopback, warm (median of {repeat})",
        f"{median:.1f} ms (p95 {p95:.1f} ms; first request {first * 1000:.0f} ms; 304 in {unchanged[3] * 1000:.1f} ms)",
        "< 50 ms",
        median < 50 and unchanged[0] == 304,
    )
