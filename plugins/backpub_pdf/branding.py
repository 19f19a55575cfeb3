"""Clinic editions and packs made from shared layouts instead of layouts of their own (`formats.pdf.branding:
stamped`, the default; issue 29).

A handout is laid out once for every edition that shares its paper, country and words (a *shared layout*: the
branding band's cells left empty, no clinic in the running heads, stand-ins for the edition's colours), and each
clinic's branding once for all its editions (its *branding*: page 1 its band, page 2 its name as the running head
of later pages, page 3 its pack's cover; the unbranded editions' branding is the programme's band alone). A pack
is made from a shared pack in the same way (packing.py assembles one per paper, country and list of handouts).
`stamp` makes an edition or a pack in milliseconds:

- the edition's colours: `shared_layout` turned the stand-in colours into the three entries of one Indexed
  colour space, so an edition changes those entries and never touches the drawing;
- each band, running head and cover is its branding's page as a Form XObject, drawn over the shared page;
- the band's (and the cover's) tags take the place of the shared layout's empty band cells (and empty cover),
  their marked content referred to in the form (an MCR with /Stm; the form's /StructParents in the parent tree),
  their links added to the page, each tagged as before;
- the clinic is the author (and, for a pack, in the title) in the document information and the XMP metadata.

What the shared layout carries stays as it was: /Lang, the title, the bookmarks and named destinations, the other
links and the QR code's target, the tags of everything but the band and the cover.
"""

from __future__ import annotations

import io
import itertools
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import cast

import pikepdf

PALETTE = pikepdf.Name("/BackpubColours")
"""The Indexed colour space of an edition's colours, in the resources of every shared page and form."""
COLOURS = ("accent", "ink", "tint")
"""The edition's colours, in the order of the palette's entries."""
STAND_INS = {"accent": "#0b0c0d", "ink": "#0e0f10", "tint": "#111213"}
"""The colours a shared layout is laid out with, one for each of the edition's colours (the palette's entries)."""
BAND = "/BackpubBand"
"""A band's name among its page's resources (followed by the page's number: a pack has one per handout)."""
HEAD = pikepdf.Name("/BackpubHead")
COVER = pikepdf.Name("/BackpubCover")

_COLOUR_SPACE = {b"rg": b"cs", b"RG": b"CS"}
_COLOUR = {b"rg": b"sc", b"RG": b"SC"}


def colour_operands(colour: str) -> bytes:
    """A '#rrggbb' colour's operands as WeasyPrint writes them (pydyf: six decimals, trailing zeros cut)."""
    return b" ".join(_number(int(colour[start : start + 2], 16) / 255) for start in (1, 3, 5))


def _number(value: float) -> bytes:
    return str(int(value)).encode() if value.is_integer() else f"{value:f}".rstrip("0").encode()


def palette_entries(colours: Mapping[str, str]) -> bytes:
    """The palette's lookup string: each colour's three bytes, in `COLOURS` order."""
    return b"".join(bytes.fromhex(colours[name].removeprefix("#")) for name in COLOURS)


def _save(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    # A fixed /ID from the content: the same inputs make the same file, byte for byte, in whichever worker.
    pdf.save(
        out,
        deterministic_id=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        fix_metadata_version=False,  # (the metadata is written as it should be: see `_xmp`)
    )
    return out.getvalue()


# -- shared layouts --------------------------------------------------------------------------------------


def shared_layout(data: bytes, stand_ins: Mapping[str, str] = STAND_INS) -> bytes:
    """A shared layout's PDF (as WeasyPrint wrote it, with `stand_ins` for the colours) made ready to stamp: every
    stand-in colour drawn as its entry of the palette, one Indexed colour space in every page's resources (and in
    the forms' and patterns' that draw one), and each page's drawing in a graphics state of its own, so whatever is
    drawn after it starts from the page's default."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        palette = pdf.make_indirect(
            pikepdf.Array([pikepdf.Name.Indexed, pikepdf.Name.DeviceRGB, len(COLOURS) - 1,
                           pikepdf.String(palette_entries(stand_ins))])
        )  # fmt: skip
        pattern = re.compile(
            rb"(?<![\w.])("
            + b"|".join(re.escape(colour_operands(stand_ins[name])) for name in COLOURS)
            + rb") (rg|RG)\b"
        )
        index = {colour_operands(stand_ins[name]): number for number, name in enumerate(COLOURS)}

        def indexed(match: re.Match[bytes]) -> bytes:
            operator = match[2]
            return b"%s %s %d %s" % (PALETTE, _COLOUR_SPACE[operator], index[match[1]], _COLOUR[operator])

        seen: set[tuple[int, int]] = set()
        for page in pdf.pages:
            contents = page.obj.Contents
            streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
            drawn = b"\n".join(stream.read_bytes() for stream in streams)
            page.obj.Contents = pdf.make_stream(zlib.compress(b"q\n" + pattern.sub(indexed, drawn) + b"\nQ\n"))
            page.obj.Contents.Filter = pikepdf.Name.FlateDecode
            resources = page.obj.Resources
            _colour_spaces(resources)[PALETTE] = palette
            for stream in _drawn_in(resources, seen):
                data = stream.read_bytes()
                changed = pattern.sub(indexed, data)
                if changed != data:
                    stream.write(zlib.compress(changed), filter=pikepdf.Name.FlateDecode)
                    if "/Resources" not in stream:
                        stream.Resources = pikepdf.Dictionary()
                    _colour_spaces(stream.Resources)[PALETTE] = palette
        return _save(pdf)


def _colour_spaces(resources: pikepdf.Object) -> pikepdf.Dictionary:
    if "/ColorSpace" not in resources:
        resources.ColorSpace = pikepdf.Dictionary()
    return cast("pikepdf.Dictionary", resources.ColorSpace)


def _drawn_in(resources: pikepdf.Object, seen: set[tuple[int, int]]) -> Iterator[pikepdf.Stream]:
    """The forms and patterns a page's resources draw with, and those they draw with, each once."""
    for group in ("/XObject", "/Pattern"):
        for stream in resources.get(group, pikepdf.Dictionary()).values():
            if not isinstance(stream, pikepdf.Stream) or stream.objgen in seen:
                continue
            if group == "/XObject" and stream.get("/Subtype") != pikepdf.Name.Form:
                continue
            seen.add(stream.objgen)
            yield stream
            if "/Resources" in stream:
                yield from _drawn_in(stream.Resources, seen)


def palettes(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    """Every palette of a shared layout (a shared pack has one per handout), each once."""
    found: dict[tuple[int, int], pikepdf.Object] = {}
    for page in pdf.pages:
        spaces = page.obj.get("/Resources", pikepdf.Dictionary()).get("/ColorSpace", pikepdf.Dictionary())
        palette = spaces.get(PALETTE)
        if palette is not None:
            found.setdefault(palette.objgen, palette)
    return list(found.values())


# -- brandings -------------------------------------------------------------------------------------------


@dataclass
class Branding:
    """A clinic's (or the programme's) branding, prepared once for every edition and pack made with it. The PDF
    stays open: editions copy from it.

    `bundle` holds what `stamp` copies into an edition: /Band (an overlay, see `_overlay`) and /Head (page 2 as a
    form, when there is one)."""

    pdf: pikepdf.Pdf
    bundle: pikepdf.Dictionary
    pack_bundle: pikepdf.Dictionary
    """The same and, for a clinic, what its pack needs besides: /Cover and /CoverBookmarks."""

    @classmethod
    def of(cls, data: bytes) -> Branding:
        pdf = pikepdf.open(io.BytesIO(data))
        tree = pdf.Root.StructTreeRoot
        parents = dict(pikepdf.NumberTree(tree.ParentTree).items())
        pages = list(pdf.pages)
        bundle = pikepdf.Dictionary(Band=_overlay(pdf, pages[0], _row(tree.K), parents))
        if len(pages) > 1:
            bundle.Head = pages[1].as_form_xobject()
        pack = _shallow(bundle)
        if len(pages) > 2:
            pack.Cover = _overlay(pdf, pages[2], [_cover(tree.K)], parents)
            pack.CoverBookmarks = _bookmarks_on(pdf, pages[2])
        return cls(pdf, pdf.make_indirect(bundle), pdf.make_indirect(pack))


def _bookmarks_on(pdf: pikepdf.Pdf, page: pikepdf.Page) -> pikepdf.Array:
    """The top-level bookmarks to a page (the cover's title), each as [title, left, top] on that page."""
    found = pikepdf.Array()
    item = pdf.Root.get("/Outlines", pikepdf.Dictionary()).get("/First")
    while item is not None:
        target = item.get("/Dest")
        if isinstance(target, pikepdf.Array) and target[0].objgen == page.objgen and target[1] == "/XYZ":
            found.append(pikepdf.Array([item.Title, target[2], target[3]]))
        item = item.get("/Next")
    return found


def _overlay(
    pdf: pikepdf.Pdf, page: pikepdf.Page, elements: list[pikepdf.Object], parents: dict[int, pikepdf.Object]
) -> pikepdf.Dictionary:
    """A branding page as an overlay: /Form (the page as a form), /Elements (its elements, without a parent or a
    page: `_graft` gives them theirs; their marked content is the form's), /ByMCID (the elements of the form's
    marked content, by MCID), /Annots and /AnnotParents (its links and their elements)."""
    form = page.as_form_xobject()
    for element in elements:
        del element.P
    for element in _elements(elements):
        _into_form(element, form)
    annotations, holders = pikepdf.Array(), pikepdf.Array()
    for annotation in page.obj.get("/Annots", []):
        if "/StructParent" in annotation:
            holders.append(parents[int(annotation.StructParent)])
            if "/P" in annotation:
                del annotation.P
            annotations.append(annotation)
    by_mcid = parents[int(page.obj.StructParents)] if "/StructParents" in page.obj else pikepdf.Array()
    return pikepdf.Dictionary(
        Form=form, Elements=pikepdf.Array(elements), ByMCID=by_mcid, Annots=annotations, AnnotParents=holders
    )


def _into_form(element: pikepdf.Dictionary, form: pikepdf.Object) -> None:
    """Point an element's marked content at the form it is drawn in (an MCR with /Stm) instead of a page, and drop
    the branding's page from it (and from its links' references)."""
    if "/Pg" in element:
        del element.Pg
    kids = element.get("/K")
    if kids is None:
        return
    listed = []
    for kid in _listed(kids):
        if isinstance(kid, int):
            kid = pikepdf.Dictionary(Type=pikepdf.Name.MCR, MCID=kid, Stm=form)
        elif isinstance(kid, pikepdf.Dictionary) and "/S" not in kid and "/Pg" in kid:
            del kid.Pg  # (an MCR or an OBJR)
        listed.append(kid)
    element.K = pikepdf.Array(listed) if isinstance(kids, pikepdf.Array) else listed[0]


# -- stamping ----------------------------------------------------------------------------------------------


class Stamper:
    """A shared layout (or shared pack) kept open, for every edition (or pack) stamped on it in this process: each
    stamp's changes are undone once its file is written, so the next starts from the shared layout as it was, parsed
    once (a pack's shared layout holds tens of thousands of objects)."""

    REOPEN_AFTER = 64
    """Stamps after which the shared layout is read again: what each stamp copied in stays behind, unreferenced."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.stamps = 0
        self._open()

    def _open(self) -> None:
        pdf = self.pdf = pikepdf.open(io.BytesIO(self.data))
        self.pages = list(pdf.pages)
        by_objgen = {page.obj.objgen: page for page in self.pages}
        self.tree = pdf.Root.StructTreeRoot
        document = _only(self.tree.K)
        self.rows = [(by_objgen[_first_page(holder).objgen], holder) for holder in _band_rows(document)]
        self.parts = sum(1 for kid in _listed(document.K) if str(kid.get("/S", "")) == "/Part")
        self.cover: tuple[pikepdf.Page, pikepdf.Dictionary] | None = None
        if self.parts:
            placeholder = _cover(document)
            self.cover = (by_objgen[placeholder.Pg.objgen], placeholder)
        drawn_over = {page.obj.objgen for page, _ in self.rows} | ({self.cover[0].obj.objgen} if self.cover else set())
        # (a blank back of a sheet has no tags, and gets no running head)
        self.heads = [page for page in self.pages if page.obj.objgen not in drawn_over and "/StructParents" in page.obj]
        self.parents = _parents(self.tree)
        self.palettes = palettes(pdf)
        self.metadata = pdf.Root.Metadata.read_bytes()

    def stamp(self, branding: Branding, colours: Mapping[str, str], author: str, title: str | None = None) -> bytes:
        """The edition (or, with `title`, the clinic's pack): the colours, the band on each handout's first page, the
        running head on every later page, the cover on a pack's first, their tags and links, and the clinic in the
        metadata."""
        if self.stamps >= self.REOPEN_AFTER:
            self._open()
            self.stamps = 0
        self.stamps += 1
        pdf = self.pdf
        changes = _Changes()
        try:
            bundle = pdf.copy_foreign(branding.pack_bundle if title is not None else branding.bundle)
            entries = pikepdf.String(palette_entries(colours))
            for palette in self.palettes:
                changes.set(palette, 3, entries)
            graft = _Grafting(pdf, self.parents, changes)
            if title is not None and self.cover is not None and "/Cover" in bundle:
                page, placeholder = self.cover
                graft.overlay(page, COVER, bundle.Cover, placeholder, whole=True)
                _bookmark_cover(pdf, page, bundle.CoverBookmarks, self.parts, changes)
            for number, (page, holder) in enumerate(self.rows):
                overlay = bundle.Band if number == 0 else graft.copy(bundle.Band)  # (a pack: each band's own tags)
                graft.overlay(page, pikepdf.Name(f"{BAND}{number}"), overlay, holder, whole=False)
            if "/Head" in bundle:
                drawn = pdf.make_stream(b"q " + bytes(HEAD) + b" Do Q\n")
                for page in self.heads:
                    _draw(page, HEAD, bundle.Head, drawn, changes)
            graft.finish()
            changes.set(pdf.docinfo, "/Author", pikepdf.String(author))
            if title is not None:
                changes.set(pdf.docinfo, "/Title", pikepdf.String(title))
            metadata = pdf.make_stream(_xmp(self.metadata, author, title))
            metadata.Type, metadata.Subtype = pikepdf.Name.Metadata, pikepdf.Name.XML
            changes.set(pdf.Root, "/Metadata", metadata)
            return _save(pdf)
        finally:
            changes.undo()


def stamp(base: bytes, branding: Branding, colours: Mapping[str, str], author: str, title: str | None = None) -> bytes:
    """An edition (or, with `title`, a pack) stamped on its shared layout once (see `Stamper`)."""
    return Stamper(base).stamp(branding, colours, author, title)


class _Changes:
    """The changes a stamp makes to a shared layout's objects, undone in reverse order."""

    _ABSENT = object()
    _EXTENDED = object()

    def __init__(self) -> None:
        self.done: list[tuple[pikepdf.Object, str | int, object]] = []

    def set(self, holder: pikepdf.Object, key: str | int, value: object) -> None:
        before = holder[key] if isinstance(key, int) or key in holder else self._ABSENT
        self.done.append((holder, key, before))
        holder[key] = value

    def remove(self, holder: pikepdf.Object, key: str) -> None:
        if key in holder:
            self.done.append((holder, key, holder[key]))
            del holder[key]

    def extend(self, array: pikepdf.Object, items: list[object]) -> None:
        """Add items at the end of an array (undone by cutting them off again)."""
        self.done.append((array, len(array), self._EXTENDED))
        array.extend(pikepdf.Array(items))

    def undo(self) -> None:
        for holder, key, before in reversed(self.done):
            if before is self._EXTENDED:
                assert isinstance(key, int)
                while len(holder) > key:
                    del holder[len(holder) - 1]
            elif before is self._ABSENT:
                del holder[key]
            else:
                holder[key] = before
        self.done.clear()


def _parents(tree: pikepdf.Object) -> dict[int, pikepdf.Object]:
    """A tag tree's parent tree, by key."""
    parents = tree.ParentTree
    if "/Kids" in parents:
        return {int(key): value for key, value in pikepdf.NumberTree(parents).items()}
    # (flat, as WeasyPrint and packing.py write it: read at once, far faster than through NumberTree)
    nums = list(parents.get("/Nums", []))
    return {int(key): value for key, value in zip(nums[::2], nums[1::2], strict=True)}


def _xmp(packet: bytes, author: str, title: str | None) -> bytes:
    """The XMP metadata with the edition's author (and title) in place of the shared layout's."""
    from lxml import etree

    namespaces = {"dc": "http://purl.org/dc/elements/1.1/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
    root = etree.fromstring(packet)
    fields = [("dc:creator", author)] + ([("dc:title", title)] if title is not None else [])
    for field, value in fields:
        items = root.findall(f".//{field}//rdf:li", namespaces)
        if len(items) != 1:
            raise ValueError(f"the shared layout's XMP metadata has {len(items)} {field} entries, not one")
        items[0].text = value
    return etree.tostring(root.getroottree(), encoding="utf-8")


def _bookmark_cover(
    pdf: pikepdf.Pdf, page: pikepdf.Page, bookmarks: pikepdf.Object, parts: int, changes: _Changes
) -> None:
    """Put the cover's bookmarks (its title) first in a pack's outline, the front's own (the contents', which come
    after the cover's title in a layout of its own) under the last of them, and the handouts' (one each) after."""
    outlines = pdf.Root.get("/Outlines")
    if outlines is None or not len(bookmarks):
        return
    items = []
    item = outlines.get("/First")
    while item is not None:
        items.append(item)
        item = item.get("/Next")
    front, rest = items[: len(items) - parts], items[len(items) - parts :]
    covers = [
        pdf.make_indirect(
            pikepdf.Dictionary(
                Title=title, Parent=outlines, Dest=pikepdf.Array([page.obj, pikepdf.Name.XYZ, left, top, 0])
            )
        )
        for title, left, top in bookmarks
    ]
    if front:
        under = covers[-1]
        under.First, under.Last = front[0], front[-1]
        under.Count = sum(_visible(kid) for kid in front)
        for kid in front:
            changes.set(kid, "/Parent", under)
        changes.remove(front[0], "/Prev")
        changes.remove(front[-1], "/Next")
    chain = [*covers, *rest]
    for before, after in itertools.pairwise(chain):
        changes.set(before, "/Next", after)
        changes.set(after, "/Prev", before)
    changes.set(outlines, "/First", chain[0])
    changes.set(outlines, "/Last", chain[-1])
    changes.set(outlines, "/Count", sum(_visible(kid) for kid in chain))


def _visible(item: pikepdf.Object) -> int:
    """How many bookmarks an outline item shows: itself, and its open descendants."""
    count = int(item.get("/Count", 0))
    if count <= 0:
        return 1
    shown, kid = 1, item.get("/First")
    while kid is not None:
        shown += _visible(kid)
        kid = kid.get("/Next")
    return shown


def _draw(
    page: pikepdf.Page, name: pikepdf.Name, form: pikepdf.Object, drawn: pikepdf.Stream, changes: _Changes
) -> None:
    """Draw a form over a page (whose own drawing restores its graphics state: `shared_layout`)."""
    resources = page.obj.Resources
    if "/XObject" not in resources:
        changes.set(resources, "/XObject", pikepdf.Dictionary())
    xobjects = resources.XObject
    if name in xobjects and xobjects[name].objgen != form.objgen:
        raise ValueError(f"the shared layout already has a resource called {name}")
    if name not in xobjects:
        changes.set(xobjects, str(name), form)
    contents = page.obj.Contents
    listed = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    changes.set(page.obj, "/Contents", pikepdf.Array([*listed, drawn]))


class _Grafting:
    """Overlays drawn on a shared layout's pages, their tags grafted into its tag tree and its parent tree."""

    def __init__(self, pdf: pikepdf.Pdf, parents: dict[int, pikepdf.Object], changes: _Changes) -> None:
        self.pdf = pdf
        self.tree = pdf.Root.StructTreeRoot
        self.parents = dict(parents)
        self.next_key = self.first_new_key = max(self.parents, default=-1) + 1
        self.changes = changes

    def key(self, value: pikepdf.Object) -> int:
        key, self.next_key = self.next_key, self.next_key + 1
        self.parents[key] = value
        return key

    def overlay(
        self, page: pikepdf.Page, name: pikepdf.Name, overlay: pikepdf.Object, holder: pikepdf.Dictionary,
        whole: bool,
    ) -> None:  # fmt: skip
        """Draw `overlay` on `page` as `name`; its elements take the place of `holder` itself (`whole`: a pack's
        empty cover) or of `holder`'s empty cells (a band's row), one for one."""
        form = overlay.Form
        _draw(page, name, form, self.pdf.make_stream(b"q " + bytes(name) + b" Do Q\n"), self.changes)
        form.StructParents = self.key(overlay.ByMCID)
        donors = list(overlay.Elements)
        if whole:
            parent = holder.P
            kids = _listed(parent.K)
            position = next(n for n, kid in enumerate(kids) if kid.objgen == holder.objgen)
            kids[position : position + 1] = donors
            self.changes.set(parent, "/K", pikepdf.Array(kids))
            for donor in donors:
                donor.P = parent
        else:
            cells = _listed(holder.K)
            if len(cells) != len(donors):
                raise ValueError(f"the shared layout's band has {len(cells)} cells, the branding's {len(donors)}")
            for index, donor in enumerate(donors):
                if not _listed(donor.get("/K")):
                    continue  # (an empty cell: no logo)
                if _listed(cells[index].get("/K")) or cells[index].S != donor.S:
                    raise ValueError(f"the shared layout's band cell {index} is not an empty {donor.S}")
                donor.P = holder
                cells[index] = donor
            self.changes.set(holder, "/K", pikepdf.Array(cells))
        for element in _elements(donors):
            element.Pg = page.obj
            for kid in _listed(element.get("/K")):
                if isinstance(kid, pikepdf.Dictionary) and "/S" not in kid:
                    kid.Pg = page.obj  # (an MCR in the form drawn on this page, or a link's reference)
        links = list(page.obj.get("/Annots", []))
        for link, link_parent in zip(overlay.Annots, overlay.AnnotParents, strict=True):
            link.StructParent = self.key(link_parent)
            link.P = page.obj
            links.append(link)
        if len(overlay.Annots):
            self.changes.set(page.obj, "/Annots", pikepdf.Array(links))
            self.changes.set(page.obj, "/Tabs", pikepdf.Name.S)  # (PDF/UA: a page with links is read in tag order)

    def copy(self, overlay: pikepdf.Object) -> pikepdf.Dictionary:
        """Another overlay like `overlay` (which is in this document): its own form, elements and links."""
        pdf = self.pdf
        form = overlay.Form
        twin = pdf.make_stream(form.read_raw_bytes())
        for key, value in form.items():
            if key not in ("/Length", "/StructParents"):
                twin[key] = value
        links = {link.objgen: pdf.make_indirect(_shallow(link)) for link in overlay.Annots}
        copies: dict[tuple[int, int], pikepdf.Dictionary] = {}

        def element(original: pikepdf.Object) -> pikepdf.Dictionary:
            if original.objgen not in copies:
                new = copies[original.objgen] = pdf.make_indirect(_shallow(original))
                kids: list[pikepdf.Object] = []
                for kid in _listed(original.get("/K")):
                    if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                        child = element(kid)
                        child.P = new
                        kids.append(child)
                    elif isinstance(kid, pikepdf.Dictionary) and "/Stm" in kid:
                        kids.append(pikepdf.Dictionary(Type=pikepdf.Name.MCR, MCID=kid.MCID, Stm=twin))
                    elif isinstance(kid, pikepdf.Dictionary) and "/Obj" in kid:
                        kids.append(pikepdf.Dictionary(Type=pikepdf.Name.OBJR, Obj=links[kid.Obj.objgen]))
                    else:
                        kids.append(kid)
                if "/K" in original:
                    new.K = pikepdf.Array(kids) if isinstance(original.K, pikepdf.Array) else kids[0]
            return copies[original.objgen]

        elements = [element(top) for top in overlay.Elements]
        return pikepdf.Dictionary(
            Form=twin,
            Elements=pikepdf.Array(elements),
            ByMCID=pikepdf.Array([None if e is None else element(e) for e in overlay.ByMCID]),
            Annots=pikepdf.Array(list(links.values())),
            AnnotParents=pikepdf.Array([element(holder) for holder in overlay.AnnotParents]),
        )

    def finish(self) -> None:
        """Write the parent tree back: its new keys (all after the shared layout's) at the end of a flat tree, or
        as one flat tree, its keys in order."""
        tree = self.tree.ParentTree
        added = [key for key in self.parents if key >= self.first_new_key]
        if "/Kids" not in tree and "/Nums" in tree:
            self.changes.extend(tree.Nums, [item for key in added for item in (key, self.parents[key])])
        else:
            nums = pikepdf.Array()
            for key in sorted(self.parents):
                nums.append(key)
                nums.append(self.parents[key])
            self.changes.set(self.tree, "/ParentTree", self.pdf.make_indirect(pikepdf.Dictionary(Nums=nums)))
        self.changes.set(self.tree, "/ParentTreeNextKey", self.next_key)


def _shallow(dictionary: pikepdf.Object) -> pikepdf.Dictionary:
    return pikepdf.Dictionary({key: value for key, value in dictionary.items()})


# -- finding things in tag trees ----------------------------------------------------------------------------


def _band_rows(document: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    """The band rows to fill: one per handout of a pack (each a Part of its Document), else the edition's."""
    parts = [kid for kid in _listed(document.K) if str(kid.get("/S", "")) == "/Part"]
    holders = [_row_holder(part) for part in parts] if parts else [_row_holder(document.K)]
    if not holders or any(holder is None for holder in holders):
        raise ValueError("the shared layout has no band to fill")
    return cast("list[pikepdf.Dictionary]", holders)


def _first_page(holder: pikepdf.Dictionary) -> pikepdf.Object:
    """The page a band row is on (its own, else its first cell's)."""
    if "/Pg" in holder:
        return holder.Pg
    return next(cell.Pg for cell in _listed(holder.K) if "/Pg" in cell)


def _row(root: pikepdf.Object) -> list[pikepdf.Object]:
    """The band row's cells in a branding's tag tree (see `_row_holder`)."""
    holder = _row_holder(root)
    if holder is None:
        raise ValueError("the branding has no band")
    return _listed(holder.K)


def _row_holder(root: pikepdf.Object) -> pikepdf.Dictionary | None:
    """The element holding the band's cells: the parent of the first Div, depth first (the band is the first thing
    in a handout, and its cells the first Divs)."""
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


def _cover(root: pikepdf.Object) -> pikepdf.Dictionary:
    """A pack's cover: the Document's first section (a branding's cover, or a shared pack's empty one)."""
    document = _only(root) if isinstance(root, pikepdf.Array) else root
    for kid in _listed(document.K):
        if str(kid.get("/S", "")) == "/Sect":
            return cast("pikepdf.Dictionary", kid)
    raise ValueError("no cover in the tag tree")


def _only(value: pikepdf.Object) -> pikepdf.Dictionary:
    listed = _listed(value)
    if len(listed) != 1:
        raise ValueError(f"a tag tree with {len(listed)} root elements, not one")
    return cast("pikepdf.Dictionary", listed[0])


def _elements(elements: Iterable[pikepdf.Object]) -> Iterator[pikepdf.Dictionary]:
    for element in elements:
        if isinstance(element, pikepdf.Dictionary) and "/S" in element:
            yield element
            yield from _elements(_listed(element.get("/K")))


def _listed(value: pikepdf.Object | None) -> list[pikepdf.Object]:
    if value is None:
        return []
    return list(value) if isinstance(value, pikepdf.Array) else [value]
