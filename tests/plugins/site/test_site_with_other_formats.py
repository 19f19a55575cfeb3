"""Built together with the pdf and epub formats, the site links to the handouts and the book where they are served."""

from __future__ import annotations

from pathlib import Path

from site_testkit import MINIMAL, build_project, crawl_problems, parse_page, resolve, site_file_for_url

from backpub_site.plan import MOUNTS


def test_home_links_the_handout_pdfs_and_the_book_and_every_link_resolves(tmp_path: Path) -> None:
    built = build_project(MINIMAL, tmp_path / "all", formats=("site", "pdf", "epub"))
    publication = built.publication
    assert crawl_problems(built, mounted=built.outputs) == []
    home = parse_page(built.site, "index.html")
    targets = {resolve("index.html", ref.value) for ref in home.references if ref.tag == "a"}
    for handout in publication.handouts:
        # the URL the PDFs' readers and the newsletter use is where the deployment serves the pdf output
        served = site_file_for_url(publication.programme.site_url, publication.url_for(handout))
        assert served in targets
        prefix = next(prefix for prefix in MOUNTS if served.startswith(prefix))
        assert (built.outputs / MOUNTS[prefix] / served[len(prefix) :]).read_bytes().startswith(b"%PDF")
    books = [target for target in targets if target.startswith("book/")]
    assert len(books) == 1 and (built.outputs / "epub" / books[0].removeprefix("book/")).is_file()


def test_without_the_pdf_format_the_site_does_not_link_to_handouts(minimal_site) -> None:
    home = (minimal_site.site / "index.html").read_text()
    assert ".pdf" not in home and ".epub" not in home
