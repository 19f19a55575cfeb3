"""Running heads (the page's header and footer) as pagination artifacts, and a pack's footers in place of its
handouts' own.

WeasyPrint marks the text of the page-margin boxes as marked content whose structure elements it leaves out of
the tag tree: a screen reader's tree never reaches them, yet they are not artifacts either. PDF/UA wants
repeated page furniture marked as pagination artifacts (ISO 32000-1, 14.8.2.2), so every PDF the format writes
has those marks turned into `/Artifact <</Type /Pagination /Subtype /Header|/Footer>>` and their dangling
elements dropped from the parent tree. A pack then finds its handouts' footers by that mark, takes them out,
and draws its own (numbered as the pack) over each page, marked the same way.
"""

from __future__ import annotations

import io
import re
import zlib

import pikepdf

_MARKED = re.compile(rb"/(?P<tag>\w+)\n<</MCID (?P<mcid>\d+)>>\nBDC\n")
"""A marked-content sequence as WeasyPrint (pydyf) writes it."""
_TEXT_POSITION = re.compile(rb"\n1 0 0 -1 (?P<x>-?[\d.]+) (?P<y>-?[\d.]+) Tm\n")
"""Where the next text starts, in WeasyPrint's page coordinates (CSS pixels from the top left)."""
_FOOTER_BLOCK = re.compile(rb"/Artifact\n<</Type /Pagination /Subtype /Footer>>\nBDC\n.*?\nEMC\n", re.DOTALL)
PX_PER_PT = 4 / 3
FOOTER_NAME = "/BpPackFooter"
"""How a pack names the footer it draws on a handout's page (followed by the pack page's number)."""


def artifact_mark(kind: str) -> bytes:
    """The opening of a pagination artifact ('Header' or 'Footer')."""
    return b"/Artifact\n<</Type /Pagination /Subtype /" + kind.encode() + b">>\nBDC\n"


def running_heads_as_artifacts(data: bytes) -> bytes:
    """A PDF with its page-margin text marked as pagination artifacts instead of as untreed structure."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root.get("/StructTreeRoot")
        if root is None:
            return data
        in_tree = _tree_members(root.K)
        parents = pikepdf.NumberTree(root.ParentTree)
        for page in pdf.pages:
            if "/StructParents" not in page.obj:
                continue
            marks = parents[int(page.obj.StructParents)]
            outside = {mcid for mcid, element in enumerate(marks) if _key(element) not in in_tree}
            if outside:
                _mark_as_artifacts(page, outside)
                parents[int(page.obj.StructParents)] = pikepdf.Array(
                    [None if mcid in outside else element for mcid, element in enumerate(marks)]
                )
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()


def _tree_members(node: pikepdf.Object, found: set | None = None) -> set:
    """The structure elements reachable from the tag tree's root."""
    found = set() if found is None else found
    if isinstance(node, pikepdf.Array):
        for kid in node:
            _tree_members(kid, found)
    elif isinstance(node, pikepdf.Dictionary) and node.get("/Type", pikepdf.Name.StructElem) == "/StructElem":
        if _key(node) in found:
            return found
        found.add(_key(node))
        if "/K" in node:
            _tree_members(node.K, found)
    return found


def _key(element: pikepdf.Object) -> object:
    return element.objgen if isinstance(element, pikepdf.Object) and element.is_indirect else id(element)


def _mark_as_artifacts(page: pikepdf.Page, mcids: set[int]) -> None:
    """Rewrite the page's marked-content sequences `mcids` as header or footer artifacts (by where their text is)."""
    middle = float(page.mediabox[3]) * PX_PER_PT / 2
    content = page.obj.Contents
    raw = content.read_bytes()

    def mark(match: re.Match[bytes]) -> bytes:
        if int(match["mcid"]) not in mcids:
            return match[0]
        position = _TEXT_POSITION.search(raw, match.end())
        header = position is not None and float(position["y"]) < middle
        return artifact_mark("Header" if header else "Footer")

    content.write(zlib.compress(_MARKED.sub(mark, raw)), filter=pikepdf.Name.FlateDecode)


def replace_footer(pdf: pikepdf.Pdf, page: pikepdf.Page, footer: pikepdf.Object, number: int) -> None:
    """Take a copied handout page's footer out and draw `footer` (a form XObject: the pack's footer of page
    `number`) in its place, marked as the footer artifact it is."""
    content = page.obj.Contents
    content.write(zlib.compress(_FOOTER_BLOCK.sub(b"", content.read_bytes())), filter=pikepdf.Name.FlateDecode)
    resources = page.obj.Resources
    if "/XObject" not in resources:
        resources.XObject = pikepdf.Dictionary()
    # (A page's resources may be shared with its neighbours: each pack page's footer has a name of its own.)
    name = f"{FOOTER_NAME}{number}"
    resources.XObject[name] = footer
    # The page's own drawing leaves its coordinates turned (WeasyPrint draws from the top down): it is wrapped in
    # its own graphics state, so the footer is drawn in the page's default coordinates, as its page was.
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    drawn = b"Q\n" + artifact_mark("Footer") + b"q\n" + name.encode() + b" Do\nQ\nEMC\n"
    page.contents_add(pdf.make_stream(drawn), prepend=False)
