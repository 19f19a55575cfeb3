"""A clinic's pack assembled from its handouts' PDFs as the build made them, behind a cover and contents.

Nothing is laid out twice: the handouts' pages are copied with pikepdf, with what makes them accessible (their
tags joined into the pack's one tag tree, their bookmarks, named destinations and links), so the pack costs its
cover and contents and the copy.
"""

from __future__ import annotations

import io
import warnings
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pikepdf

from backpub_pdf.runningheads import replace_footer

PACK_LINK = "backpub-pack:"
"""How the contents link to a handout's anchor: WeasyPrint drops a link to an anchor outside the document it lays
out (the handouts are other documents), so the front writes `backpub-pack:<anchor>` and `assemble` points each
such link at the anchor's page in the pack."""


@dataclass(frozen=True)
class Part:
    """One handout's PDF in a pack: its anchors are renamed `<prefix><anchor>` so no two handouts' clash."""

    data: bytes
    prefix: str

    def pages_and_anchors(self) -> tuple[int, dict[str, int]]:
        """The handout's page count, and the page (0-based) of each of its anchors, renamed for the pack."""
        with pikepdf.open(io.BytesIO(self.data)) as pdf:
            pages: dict[Any, int] = {page.objgen: number for number, page in enumerate(pdf.pages)}
            anchors = {
                f"{self.prefix}{name}": pages[_destination(value)[0].objgen] for name, value in _dests(pdf).items()
            }
            return len(pdf.pages), anchors


def assemble(front: bytes, parts: list[Part], footers: bytes) -> bytes:
    """The pack: the front's pages (its metadata, language and title are the pack's), then every part's, each
    starting on a new sheet (see `_end_sheet`), with the pack's own footers (one page of `footers` per handout
    page, in order) in place of the handouts'."""
    with ExitStack() as sources, pikepdf.open(io.BytesIO(front)) as pdf:
        footer_pages = sources.enter_context(pikepdf.open(io.BytesIO(footers))).pages
        forms = iter([pdf.copy_foreign(page.as_form_xobject()) for page in footer_pages])
        tree = pdf.Root.StructTreeRoot
        document = _document_element(tree)
        kids = _as_list(document.get("/K"))
        parents = dict(pikepdf.NumberTree(tree.ParentTree).items())
        dests = dict(_dests(pdf).items())
        bookmarks: list[pikepdf.OutlineItem] = []
        front_pages = len(pdf.pages)
        for part in parts:
            _end_sheet(pdf)
            # Each source stays open until the pack is saved: pikepdf copies page streams while saving.
            source = sources.enter_context(pikepdf.open(io.BytesIO(part.data)))
            start = len(pdf.pages)
            kids.append(_append(pdf, source, part.prefix, document, parents, dests, bookmarks))
            for number, page in enumerate(pdf.pages[start:], start=start + 1):
                replace_footer(pdf, page, next(forms), number)
        _end_sheet(pdf)
        document.K = pikepdf.Array(kids)
        tree.ParentTree = _number_tree(pdf, parents)
        if "/ParentTreeNextKey" in tree:
            tree.ParentTreeNextKey = max(parents, default=-1) + 1
        _point_pack_links(pdf.pages[:front_pages], dests)
        _set_dests(pdf, dests)
        with pdf.open_outline() as outline:
            outline.root.extend(bookmarks)
        out = io.BytesIO()
        # A fixed /ID from the content: the same handouts make the same pack, byte for byte.
        pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()


def _append(
    pdf: pikepdf.Pdf,
    source: pikepdf.Pdf,
    prefix: str,
    document: pikepdf.Object,
    parents: dict[int, pikepdf.Object],
    dests: dict[str, pikepdf.Object],
    bookmarks: list[pikepdf.OutlineItem],
) -> pikepdf.Object:
    """Copy one handout's pages into the pack, with its tags (returned, a Part of the pack's Document element),
    its entries in the parent tree, its named destinations and its bookmarks."""

    def copy(value: pikepdf.Object) -> pikepdf.Object:
        # One copy per source object: pages, tags and destinations copied apart still refer to each other.
        return pdf.copy_foreign(value if value.is_indirect else source.make_indirect(value))

    offset = max(parents, default=-1) + 1
    start = len(pdf.pages)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # named destinations are carried over below
        pdf.pages.extend(source.pages)
    moved: set[tuple[int, int]] = set()  # (the part's pages may share their resources: each form moves once)
    for page in pdf.pages[start:]:
        _renumber(page, offset, prefix, moved)
    source_tree = source.Root.StructTreeRoot
    for key, value in pikepdf.NumberTree(source_tree.ParentTree).items():
        parents[int(key) + offset] = copy(value)
    element = copy(_document_element(source_tree))
    element.S = pikepdf.Name.Part  # a handout is a part of the pack's one document
    element.P = document
    for name, value in _dests(source).items():
        dests[f"{prefix}{name}"] = copy(_destination(value))
    with source.open_outline() as outline:
        bookmarks.extend(_copied_bookmark(item, copy) for item in outline.root)
    return element


def on_a_new_sheet(pages: int) -> int:
    """The pages a part takes in a pack printed on both sides: an odd count is followed by a blank page, so the
    next handout starts on a sheet of its own (a clinic hands out each handout as its own sheet)."""
    return pages + pages % 2


def _end_sheet(pdf: pikepdf.Pdf) -> None:
    """Add a blank page (the size of the last) as `on_a_new_sheet` counts it. A blank page has no content, so
    nothing of it is tagged."""
    if on_a_new_sheet(len(pdf.pages)) > len(pdf.pages):
        box = pdf.pages[-1].mediabox
        pdf.add_blank_page(page_size=(float(box[2]) - float(box[0]), float(box[3]) - float(box[1])))


def _renumber(page: pikepdf.Page, offset: int, prefix: str, moved: set[tuple[int, int]]) -> None:
    """Move a copied page's keys in the parent tree by `offset` and rename the anchors its links go to (`moved`:
    the forms whose key was moved already)."""
    page.obj.StructParents = int(page.obj.StructParents) + offset
    for xobject in page.obj.Resources.get("/XObject", pikepdf.Dictionary()).values():
        if "/StructParents" in xobject and xobject.objgen not in moved:
            # a stamped edition's band (branding.py): its marked content is tagged
            xobject.StructParents = int(xobject.StructParents) + offset
            moved.add(xobject.objgen)
    for annotation in page.obj.get("/Annots", []):
        if "/StructParent" in annotation:
            annotation.StructParent = int(annotation.StructParent) + offset
        if isinstance(annotation.get("/Dest"), pikepdf.String):
            annotation.Dest = pikepdf.String(f"{prefix}{annotation.Dest}")


def _point_pack_links(pages: list[pikepdf.Page], dests: dict[str, pikepdf.Object]) -> None:
    """Turn the front's `backpub-pack:` links into links to the named anchors the parts brought."""
    for page in pages:
        for annotation in page.obj.get("/Annots", []):
            action = annotation.get("/A")
            target = str(action.get("/URI", "")) if action is not None else ""
            if not target.startswith(PACK_LINK):
                continue
            name = target.removeprefix(PACK_LINK)
            if name not in dests:
                raise ValueError(f"the pack's contents link to {name!r}, which no handout in the pack has")
            del annotation.A
            annotation.Dest = pikepdf.String(name)
            annotation.Contents = pikepdf.String(name)


def _copied_bookmark(item: pikepdf.OutlineItem, copy) -> pikepdf.OutlineItem:
    destination = item.destination
    if isinstance(destination, pikepdf.Array):
        destination = copy(destination)
    bookmark = pikepdf.OutlineItem(item.title, destination)
    bookmark.is_closed = item.is_closed
    bookmark.children.extend(_copied_bookmark(child, copy) for child in item.children)
    return bookmark


def _document_element(tree: pikepdf.Object) -> pikepdf.Object:
    """The structure tree's one root element (WeasyPrint writes a single Document element)."""
    roots = _as_list(tree.K)
    if len(roots) != 1:
        raise ValueError(f"a handout's tag tree has {len(roots)} root elements, not one")
    return roots[0]


def _dests(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    return {str(name): value for name, value in pikepdf.NameTree(names.Dests).items()}


def _destination(value: pikepdf.Object) -> pikepdf.Object:
    """A named destination's target ([page, /XYZ, x, y, zoom]), written either bare or as {/D: target}."""
    return value.D if isinstance(value, pikepdf.Dictionary) else value


def _set_dests(pdf: pikepdf.Pdf, dests: dict[str, pikepdf.Object]) -> None:
    tree = pikepdf.NameTree.new(pdf)
    for name in sorted(dests):
        tree[name] = dests[name]
    if "/Names" not in pdf.Root:
        pdf.Root.Names = pikepdf.Dictionary()
    pdf.Root.Names.Dests = tree.obj


def _number_tree(pdf: pikepdf.Pdf, entries: dict[int, pikepdf.Object]) -> pikepdf.Object:
    nums = pikepdf.Array()
    for key in sorted(entries):
        nums.append(key)
        nums.append(entries[key])
    return pdf.make_indirect(pikepdf.Dictionary(Nums=nums))


def _as_list(value: pikepdf.Object | None) -> list[pikepdf.Object]:
    if value is None:
        return []
    return list(value) if isinstance(value, pikepdf.Array) else [value]
