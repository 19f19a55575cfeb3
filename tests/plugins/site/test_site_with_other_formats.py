"""Built together with the pdf and epub formats, the site links to the handouts and the book where they are served."""

from __future__ import annotations

import urllib.request
from datetime import date
from pathlib import Path

from site_testkit import MINIMAL, build_project, crawl_problems, parse_page, resolve, site_file_for_url

from backpub import Session
from backpub.commands.preview import Preview


def test_home_links_the_handout_pdfs_and_the_book_and_every_link_resolves(tmp_path: Path) -> None:
    built = build_project(MINIMAL, tmp_path / "all", formats=("site", "pdf", "epub"))
    publication = built.publication
    assert crawl_problems(built) == []
    home = parse_page(built.site, "index.html")
    targets = {resolve("index.html", ref.value) for ref in home.references if ref.tag == "a"}
    linked = []
    for handout in publication.handouts:
        # the URL the PDFs' readers and the newsletter use is a file of the website itself
        served = site_file_for_url(publication.programme.site_url, publication.url_for(handout))
        assert served in targets
        assert (built.site / served).read_bytes().startswith(b"%PDF")
        assert (built.site / served).samefile(built.outputs / "pdf" / f"{handout.id}.pdf")  # placed, not re-rendered
        linked.append(served)
    books = [target for target in targets if target.startswith("book/")]
    assert len(books) == 1 and (built.site / books[0]).read_bytes().startswith(b"PK")
    linked += books
    _served_by_the_preview(built, linked)
    # A build of the site alone keeps listing what the website holds, and counts nothing as removed.
    again = build_project(MINIMAL, tmp_path / "all", formats=("site",))
    assert parse_page(again.site, "index.html").references == home.references
    assert crawl_problems(again) == []
    assert (again.report.formats["site"].written, again.report.formats["site"].removed) == (0, 0)


def test_the_report_counts_what_a_build_removes_and_nothing_it_keeps(tmp_path: Path) -> None:
    built = build_project(MINIMAL, tmp_path, formats=("site", "pdf", "feed"))
    before = {path for path in built.site.rglob("*") if path.is_file()}
    # The day before the episode's release: its page goes, the handouts and the feed stay on the website.
    earlier = build_project(MINIMAL, tmp_path, formats=("site",), as_of=date(2026, 11, 21))
    after = {path for path in earlier.site.rglob("*") if path.is_file()}
    gone = before - after
    assert any("episodes/episode-one" in path.as_posix() for path in gone)
    assert not any(path.suffix == ".pdf" or path.name == "podcast.xml" for path in gone)
    assert (earlier.site / "podcast.xml").is_file()
    assert earlier.report.formats["site"].removed == len(gone)


def _served_by_the_preview(built, linked: list[str]) -> None:
    """What the site links to is what `backpub preview` serves, at the same paths."""
    session = Session(built.project / "content", as_of=built.as_of)
    preview = Preview(session, port=0, formats=("site", "pdf", "epub"), jobs=1, log=lambda _: None)
    preview.start()
    try:
        for path in linked:
            with urllib.request.urlopen(preview.url + path, timeout=60) as response:
                assert response.status == 200
                assert response.read() == (built.site / path).read_bytes()
    finally:
        preview.stop()


def test_without_the_pdf_format_the_site_does_not_link_to_handouts(minimal_site) -> None:
    home = (minimal_site.site / "index.html").read_text()
    assert ".pdf" not in home and ".epub" not in home
