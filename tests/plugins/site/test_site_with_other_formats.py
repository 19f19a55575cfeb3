"""Built together with the pdf and epub formats, the site links to the handouts and the book where they are served."""

from __future__ import annotations

import urllib.request
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
