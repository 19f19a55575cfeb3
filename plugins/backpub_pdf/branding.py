"""A clinic's edition of a one-sheet handout made from two PDFs instead of a layout of its own (issue 29).

The handout is laid out once for every clinic that shares its paper, country and words (the *base*: the
branding band left empty, the accent colours as stand-ins), and each clinic's branding once for all its
editions (the *band*: its logo, name, address and contact where the base left room, and its name in the running
header of later pages). `brand` makes an edition in milliseconds:

- the band's pages are drawn over the base's, each as a Form XObject;
- the stand-in colours in the base's content become the clinic's accent, ink and tint;
- the band's tags are grafted into the base's tag tree in place of the empty band's, their marked content
  referred to in the form (an MCR with /Stm, and the form's /StructParents in the parent tree), and the band's
  links are added to the page, each tagged as before;
- the clinic becomes the author in the document information and the XMP metadata.

What the base carries stays as it was: /Lang, the title, the bookmarks and named destinations, the links and
the QR code's target, the tags of everything but the band.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import cast

import pikepdf

BAND_NAME = "/BackpubBand"
"""The band's pages' names among the pages' resources (followed by the page's number)."""

STAND_INS = {"accent": "#0b0c0d", "ink": "#0e0f10", "tint": "#111213"}
"""The colours a base is laid out with, one for each of the edition's colours; no accent makes any of them."""


def colour_operands(colour: str) -> bytes:
    """A '#rrggbb' colour's operands as WeasyPrint writes them (pydyf: six decimals, trailing zeros cut)."""
    return b" ".join(_number(int(colour[start : start + 2], 16) / 255) for start in (1, 3, 5))


def _number(value: float) -> bytes:
    return str(int(value)).encode() if value.is_integer() else f"{value:f}".rstrip("0").encode()


def recolouring(colours: Mapping[str, str], stand_ins: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    """(a stand-in's colour operator, the clinic's) for the fill and the stroke colour of each stand-in."""
    return [
        (colour_operands(stand_ins[name]) + operator, colour_operands(colours[name]) + operator)
        for name in stand_ins
        for operator in (b" rg", b" RG")
    ]


@dataclass
class Band:
    """A clinic's band, prepared once for all its editions (the PDF stays open: editions copy from it)."""

    pdf: pikepdf.Pdf
    bundle: pikepdf.Dictionary
    """/Forms: a Form XObject per page; /Row: the band row's elements (no parent, no page yet); /ByMCID: the
    elements of the first form's marked content, by MCID; /Annots and /AnnotParents: its links and their tags."""
    pages: int

    @classmethod
    def of(cls, data: bytes) -> Band:
        pdf = pikepdf.open(io.BytesIO(data))
        forms = [page.as_form_xobject() for page in pdf.pages]
        first = pdf.pages[0]
        tree = pdf.Root.StructTreeRoot
        parents = dict(pikepdf.NumberTree(tree.ParentTree).items())
        row = _row(tree.K)
        for element in row:
            del element.P  # (the band's own tree and pages stay behind: `brand` gives each a parent and a page)
        for element in _elements(row):
            _into_form(element, forms[0])
        annotations, holders = pikepdf.Array(), pikepdf.Array()
        for annotation in first.obj.get("/Annots", []):
            if "/StructParent" in annotation:
                holders.append(parents[int(annotation.StructParent)])
                if "/P" in annotation:
                    del annotation.P
                annotations.append(annotation)
        bundle = pikepdf.Dictionary(
            Forms=pikepdf.Array(forms),
            Row=pikepdf.Array(row),
            ByMCID=parents[int(first.obj.StructParents)],
            Annots=annotations,
            AnnotParents=holders,
        )
        return cls(pdf, pdf.make_indirect(bundle), len(forms))


def brand(
    base: bytes, band: Band, colours: Mapping[str, str], author: str, stand_ins: Mapping[str, str] = STAND_INS
) -> bytes:
    """The clinic's edition: the base with the band over it, the clinic's colours and the band's tags."""
    with pikepdf.open(io.BytesIO(base)) as pdf:
        pairs = recolouring(colours, stand_ins)
        bundle = pdf.copy_foreign(band.bundle)
        for number, page in enumerate(pdf.pages):
            for stream in _drawn(page):
                _replace(stream, pairs)
            form = cast("pikepdf.Stream", bundle.Forms[number]) if number < band.pages else None
            _recolour_and_overlay(page, pairs, form, pikepdf.Name(f"{BAND_NAME}{number}"))
        _graft(pdf, pdf.pages[0], cast("pikepdf.Dictionary", bundle))
        pdf.docinfo.Author = author
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as metadata:
            metadata["dc:creator"] = [author]
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()


def _recolour_and_overlay(
    page: pikepdf.Page, pairs: list[tuple[bytes, bytes]], form: pikepdf.Stream | None, name: pikepdf.Name
) -> None:
    """The page's content in the clinic's colours, with the band's page (a form of the page's size) drawn over
    it under a name of its own (pikepdf's `add_overlay` picks a random one, so the same edition would not be the
    same bytes twice), still as one content stream. WeasyPrint's pages may share their resources: each band page
    has its own name."""
    contents = page.obj.Contents
    if not isinstance(contents, pikepdf.Stream):
        raise ValueError("the shared layout's page has more than one content stream")
    data = _replaced(contents.read_bytes(), pairs)
    if form is not None:
        if [float(value) for value in form.BBox] != [float(value) for value in page.mediabox]:
            raise ValueError("the band's page is not the size of the shared layout's")
        resources = page.obj.Resources
        if "/XObject" not in resources:
            resources.XObject = pikepdf.Dictionary()
        if name in resources.XObject:
            raise ValueError(f"the shared layout already has a resource called {name}")
        resources.XObject[name] = form
        # (whatever the page's content leaves set is undone before the band is drawn)
        data = b"q\n" + data + f"\nQ\nq {name} Do Q\n".encode()
    contents.write(zlib.compress(data), filter=pikepdf.Name.FlateDecode)


# -- colours ---------------------------------------------------------------------------------------------


def _drawn(page: pikepdf.Page) -> Iterator[pikepdf.Stream]:
    """The other content streams that draw the page: its forms and patterns."""
    resources = page.obj.get("/Resources", pikepdf.Dictionary())
    for xobject in resources.get("/XObject", pikepdf.Dictionary()).values():
        if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == pikepdf.Name.Form:
            yield xobject
    for pattern in resources.get("/Pattern", pikepdf.Dictionary()).values():
        if isinstance(pattern, pikepdf.Stream):
            yield pattern


def _replace(stream: pikepdf.Stream, pairs: list[tuple[bytes, bytes]]) -> None:
    data = stream.read_bytes()
    changed = _replaced(data, pairs)
    if changed != data:
        stream.write(zlib.compress(changed), filter=pikepdf.Name.FlateDecode)


def _replaced(data: bytes, pairs: list[tuple[bytes, bytes]]) -> bytes:
    for old, new in pairs:
        data = data.replace(old, new)
    return data


# -- tags ------------------------------------------------------------------------------------------------


def _graft(pdf: pikepdf.Pdf, page: pikepdf.Page, bundle: pikepdf.Dictionary) -> None:
    """Put the band's elements in place of the base's empty band cells, on the first page, with their marked
    content (in the first form) and their links in the parent tree."""
    tree = pdf.Root.StructTreeRoot
    holder = _row_holder(tree.K)
    if holder is None:
        raise ValueError("the shared layout has no band to fill")
    cells, donors = _listed(holder.K), list(bundle.Row)
    if len(cells) != len(donors):
        raise ValueError(f"the shared layout's band has {len(cells)} cells, the clinic's {len(donors)}")
    for index, donor in enumerate(donors):
        if not _listed(donor.get("/K")):
            continue  # (an empty cell: no logo)
        if _listed(cells[index].get("/K")) or cells[index].S != donor.S:
            raise ValueError(f"the shared layout's band cell {index} is not an empty {donor.S}")
        donor.P = holder
        cells[index] = donor
    holder.K = pikepdf.Array(cells)
    for element in _elements(cells):
        element.Pg = page.obj
        for kid in _listed(element.get("/K")):
            if isinstance(kid, pikepdf.Dictionary) and "/Type" in kid:
                kid.Pg = page.obj
    parents = pikepdf.NumberTree(tree.ParentTree)
    key = int(tree.get("/ParentTreeNextKey", max((int(k) for k, _ in parents.items()), default=-1) + 1))
    bundle.Forms[0].StructParents = key
    parents[key] = bundle.ByMCID
    annotations = cast("pikepdf.Array | None", page.obj.get("/Annots"))
    if annotations is None:
        page.obj.Annots = annotations = pikepdf.Array()
    for link, link_parent in zip(bundle.Annots, bundle.AnnotParents, strict=True):
        key += 1
        link.StructParent = key
        link.P = page.obj
        parents[key] = link_parent
        annotations.append(link)
    tree.ParentTreeNextKey = key + 1


def _into_form(element: pikepdf.Dictionary, form: pikepdf.Object) -> None:
    """Point an element's marked content at the form it is drawn in (an MCR with /Stm) instead of a page."""
    if "/Pg" in element:
        del element.Pg
    kids = element.get("/K")
    if kids is None:
        return
    listed = []
    for kid in _listed(kids):
        if isinstance(kid, int):
            kid = pikepdf.Dictionary(Type=pikepdf.Name.MCR, MCID=kid, Stm=form)
        elif isinstance(kid, pikepdf.Dictionary) and "/Pg" in kid:
            del kid.Pg
        listed.append(kid)
    element.K = pikepdf.Array(listed) if isinstance(kids, pikepdf.Array) else listed[0]


def _row(root: pikepdf.Object) -> list[pikepdf.Object]:
    """The band row's cells in a band's tag tree (see `_row_holder`)."""
    holder = _row_holder(root)
    if holder is None:
        raise ValueError("the band has no masthead")
    return _listed(holder.K)


def _row_holder(root: pikepdf.Object) -> pikepdf.Dictionary | None:
    """The element holding the masthead's cells: the parent of the first Div, depth first (the masthead is the
    first thing in a handout, and its details the first Div)."""
    stack: list[tuple[pikepdf.Object, pikepdf.Dictionary | None]] = [(root, None)]
    while stack:
        node, parent = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend((kid, parent) for kid in reversed(list(node)))
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
            if str(node.S) == "/Div" and parent is not None:
                return parent
            if "/K" in node:
                stack.append((node.K, node))
    return None


def _elements(elements: Iterable[pikepdf.Object]) -> Iterator[pikepdf.Dictionary]:
    for element in elements:
        if isinstance(element, pikepdf.Dictionary) and "/S" in element:
            yield element
            yield from _elements(_listed(element.get("/K")))


def _listed(value: pikepdf.Object | None) -> list[pikepdf.Object]:
    if value is None:
        return []
    return list(value) if isinstance(value, pikepdf.Array) else [value]
