"""What benchmarks/run.py runs in child processes, so each measurement has a process of its own.

    python benchmarks/probes.py timed-build LOG -- build --as-of 2026-11-22 ...   # the CLI, PDF jobs timed
    python benchmarks/probes.py floor CONTENT AS_OF SHARD SHARDS                   # WeasyPrint alone
    python benchmarks/probes.py book-markdown CONTENT AS_OF FOLDER                 # Pandoc's input
    python benchmarks/probes.py cluster WORKERS                                    # a Dask LocalCluster

`timed-build` is the real `backpub` command with one addition: the pdf format's `render` appends each job's
output path, seconds and CPU seconds (of the process that renders it) to LOG (a JSON line per job).

`floor` times WeasyPrint alone on every `SHARD::SHARDS`-th handout edition (not the packs): each edition's
HTML, fetcher and stylesheets are captured by letting the pdf format start the job and stopping it at the
layout, then WeasyPrint lays that HTML out and writes the PDF with nothing of backpub's around it (what was
loaded to capture the arguments is frozen out of the garbage collector's sight first).

`book-markdown` writes the book's text as one Markdown file for Pandoc: see `book_markdown`.

`cluster` starts a Dask LocalCluster of WORKERS single-threaded worker processes on loopback, prints its
scheduler's address as a JSON line, and closes it when its standard input ends.
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

PACK_SUFFIX = "/pack.pdf"


def is_edition(output: str) -> bool:
    """Whether a pdf output is a handout's edition (plain or a clinic's), not a clinic's pack."""
    return output.endswith(".pdf") and not output.endswith(PACK_SUFFIX) and output != "pack.pdf"


# -- timed-build -------------------------------------------------------------------------------------------


def timed_build(log: Path, arguments: list[str]) -> None:
    """Run the backpub CLI with the pdf format's render timed per job."""
    try:
        from backpub_pdf.format import PdfFormat
    except ImportError:  # no pdf format installed: the CLI runs as it is
        PdfFormat = None
    if PdfFormat is not None:
        original = PdfFormat.render

        def render(self, job, *args, **kwargs):
            started, cpu = time.perf_counter(), time.process_time()
            data = original(self, job, *args, **kwargs)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            described = {"kind": job.args.get("kind"), "intermediate": job.intermediate, "inputs": list(job.inputs)}
            line = json.dumps({"output": job.output, "seconds": seconds, "cpu": cpu, **described})
            with open(log, "a") as handle:  # O_APPEND: one short line per write, whole, from any worker
                handle.write(line + "\n")
            return data

        PdfFormat.render = render
    from backpub.cli import cli

    cli.main(arguments, prog_name="backpub")


# -- floor -------------------------------------------------------------------------------------------------


class Captured(Exception):
    """Stops the pdf format's job at WeasyPrint's layout, once the layout's arguments are known."""


def floor(content: Path, as_of: date, shard: int, shards: int) -> dict[str, Any]:
    """WeasyPrint's own seconds to lay out and write each layout of this shard (every PDF job without inputs)."""
    import weasyprint
    import weasyprint.document

    from backpub import Session

    session = Session(content, as_of=as_of)
    publication = session.publication
    pdf = session.formats(["pdf"])["pdf"]
    # What WeasyPrint lays out: plain editions, and (stamped, the default) the shared layouts and the clinics'
    # brandings; a stamped edition and a pack are made from those (their inputs) without a layout of their own.
    jobs = [job for job in pdf.jobs(publication) if is_edition(job.output) and not job.inputs][shard::shards]
    calls: dict[str, Any] = {"capture": False}
    original_init, original_render = weasyprint.HTML.__init__, weasyprint.HTML.render
    original_write = weasyprint.document.Document.write_pdf

    def init(self, *args, **kwargs):
        calls["html"] = (args, kwargs)
        original_init(self, *args, **kwargs)

    def render(self, *args, **kwargs):
        calls["render"] = (args, kwargs)
        if calls["capture"]:
            raise Captured
        return original_render(self, *args, **kwargs)

    def write_pdf(self, *args, **kwargs):
        calls["write"] = (args, kwargs)
        return original_write(self, *args, **kwargs)

    weasyprint.HTML.__init__, weasyprint.HTML.render = init, render
    weasyprint.document.Document.write_pdf = write_pdf
    pdf.prepare(publication)
    if jobs:
        pdf.render(jobs[0], publication)  # warms fonts and stylesheets up, as a worker's first job does
    # The programme and backpub's modules, loaded only to capture each edition's arguments, are put out of the
    # garbage collector's sight: the collections WeasyPrint sets off walk only its own objects, as they would in
    # a process holding nothing else (a floor that walked backpub's heap would flatter backpub).
    gc.collect()
    gc.freeze()
    calls["capture"] = True
    seconds = []
    for job in jobs:
        with contextlib.suppress(Captured):  # stopped at the layout, once its arguments are known
            pdf.render(job, publication)
        (html_args, html_kwargs), (render_args, render_kwargs) = calls["html"], calls["render"]
        write_args, write_kwargs = calls["write"]
        gc.collect()  # a collection owed to the capture must not land in the timed layout
        started = time.perf_counter()
        laid_out = original_render(weasyprint.HTML(*html_args, **html_kwargs), *render_args, **render_kwargs)
        original_write(laid_out, *write_args, **write_kwargs)
        seconds.append(time.perf_counter() - started)
    return {"outputs": [job.output for job in jobs], "seconds": seconds}


# -- book-markdown -----------------------------------------------------------------------------------------

_ENTITY_LINK = re.compile(r"\[([^\]]*)\]\(@([A-Za-z0-9_-]+)\)")


def pandoc_links(text: str, anchors: set[str]) -> str:
    """`[text](@id)` as a link to the entity's heading when the book has one, else the link's text alone."""

    def replace(match: re.Match[str]) -> str:
        words, target = match[1], match[2]
        return f"[{words}](#{target})" if target in anchors else words

    return _ENTITY_LINK.sub(replace, text)


def book_markdown(content: Path, as_of: date, folder: Path) -> dict[str, str]:
    """The book's text for Pandoc: the programme's title, its disclaimer, urgent-help notice and introduction,
    then every body chapter of the e-book in the book's order: the chapter's title and summary line, and each
    entity's title (as a heading anchored at its id) followed by its Markdown body (a concept's analogy too).
    Entity links point at those headings. The book's cards (steps, doses, examples...) are not in it, so Pandoc
    gets less text than backpub lays out. The cover is the e-book's cover image."""
    from backpub import Concept, Episode, Session
    from backpub_epub.plan import make_plan

    session = Session(content, as_of=as_of)
    publication = session.publication
    epub = session.formats(["epub"])["epub"]
    plan = make_plan(publication, as_of, epub.messages(publication))
    programme = publication.programme
    anchors = set(plan.home)
    parts = [f"# {programme.title}", programme.disclaimer_for(), programme.country().urgent_help]
    if programme.introduction:
        parts += [programme.introduction]
    for chapter in plan.body:
        episode = chapter.entities[0] if isinstance(chapter.entities[0], Episode) else None
        # An episode's chapter is its article: the chapter's heading is the episode's anchor.
        parts.append(f"# {chapter.title} {{#{episode.id}}}" if episode else f"# {chapter.title}")
        if chapter.intro:
            parts.append(chapter.intro)
        for entity in chapter.entities:
            if entity is not episode:
                parts.append(f"## {entity.title} {{#{entity.id}}}")
            parts.append(entity.body)
            if isinstance(entity, Concept) and entity.analogy:
                parts += [f"### {entity.analogy.title}", entity.analogy.body]
    markdown = folder / "book.md"
    markdown.write_text("\n\n".join(pandoc_links(part, anchors) for part in parts if part) + "\n")
    cover = epub.options.cover or programme.artwork
    return {
        "markdown": str(markdown),
        "cover": str(publication.asset(cover)),
        "title": programme.title,
        "language": programme.language,
    }


# -- cluster -----------------------------------------------------------------------------------------------


def serve_cluster(workers: int) -> None:
    """A LocalCluster on loopback until standard input ends."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        print(json.dumps({"address": cluster.scheduler_address}), flush=True)
        sys.stdin.read()  # until the benchmark closes the pipe (or dies)


def main(argv: list[str]) -> None:
    probe, *rest = argv
    if probe == "timed-build":
        log, separator, *arguments = rest
        assert separator == "--", "timed-build LOG -- BACKPUB ARGUMENTS"
        timed_build(Path(log), arguments)
    elif probe == "floor":
        content, as_of, shard, shards = rest
        print(json.dumps(floor(Path(content), date.fromisoformat(as_of), int(shard), int(shards))))
    elif probe == "cluster":
        (workers,) = rest
        serve_cluster(int(workers))
    elif probe == "book-markdown":
        content, as_of, folder = rest
        print(json.dumps(book_markdown(Path(content), date.fromisoformat(as_of), Path(folder))))
    else:
        raise SystemExit(f"unknown probe {probe!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
