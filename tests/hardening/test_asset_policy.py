"""One asset policy for every format, applied by `validate` (issue 16, item 3).

A scripted SVG once reached the website from `call_to_action` or a protocol image; a 30000x30000 PNG crashed the
site's check with DecompressionBombError naming no file. Whatever field names the asset, `validate` refuses it
at that field's line.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from backpub_testkit import edit

SCRIPTED = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="5" height="5"/></svg>'
UNSAFE_SVGS = {
    "script": SCRIPTED,
    "handler": b'<svg xmlns="http://www.w3.org/2000/svg"><rect onclick="alert(1)" width="5" height="5"/></svg>',
    "entity": b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
    "external": b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    b'<image xlink:href="https://tracker.example/x.png" width="5" height="5"/></svg>',
    "foreign": b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>hi</p></foreignObject></svg>',
    "css": b'<svg xmlns="http://www.w3.org/2000/svg"><style>rect{fill:url(https://x.example/a)}</style></svg>',
}


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions (a decompression bomb's header) without its pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def refer(content: Path, where: str, asset: str) -> tuple[str, str]:
    """Make one field refer to an asset; the file and the line it is named on."""
    if where == "protocol image":
        edit(
            content / "protocols" / "ice.md",
            "reviewer: A. Reviewer\n",
            f"reviewer: A. Reviewer\nimage:\n  src: {asset}\n  alt: A chart\n",
        )
        return "protocols/ice.md", "image.src"
    if where == "call_to_action":
        programme = content / "programme.yaml"
        programme.write_text(
            programme.read_text() + f"call_to_action: |\n  Start today.\n  Look: ![a chart]({asset})\n"
        )
        return "programme.yaml", "image"
    edit(content / "clinics" / "test-clinic.md", "paper: Letter\n", f"paper: Letter\nlogo: {asset}\n")
    return "clinics/test-clinic.md", "logo"


def line_of(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), 1) if needle in text)


@pytest.mark.parametrize("where", ["protocol image", "call_to_action", "clinic logo"])
def test_a_scripted_svg_is_refused_by_validate_whichever_field_names_it(project: Path, run_cli, where: str) -> None:
    content = project / "content"
    (content / "assets" / "chart.svg").write_bytes(SCRIPTED)
    shown, field = refer(content, where, "assets/chart.svg")
    result = run_cli("validate", "--content", "content", cwd=project)
    assert result.exit_code == 1, result.output
    line = line_of(content / shown, "assets/chart.svg")
    assert f"{shown}:{line}:" in result.output
    assert "'assets/chart.svg' is an SVG holding a <script> element" in result.output
    assert field in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("kind", sorted(UNSAFE_SVGS))
def test_every_unsafe_svg_is_refused(project: Path, run_cli, kind: str) -> None:
    content = project / "content"
    (content / "assets" / "chart.svg").write_bytes(UNSAFE_SVGS[kind])
    refer(content, "protocol image", "assets/chart.svg")
    result = run_cli("validate", "--content", "content", cwd=project)
    assert result.exit_code == 1, result.output
    assert "protocols/ice.md:" in result.output and "'assets/chart.svg' is" in result.output


def test_a_safe_svg_passes(project: Path, run_cli) -> None:
    content = project / "content"
    safe = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 5 5"><defs><linearGradient id="g"/></defs>'
    (content / "assets" / "chart.svg").write_bytes(safe + b'<rect fill="url(#g)" width="5" height="5"/></svg>')
    refer(content, "clinic logo", "assets/chart.svg")
    result = run_cli("validate", "--content", "content", cwd=project)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (png_header(30000, 30000), "images are limited to"),
        (b"not a png at all", "is not a readable image"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 40, "is not a readable image"),
    ],
    ids=["bomb", "garbage", "broken-jpeg-as-png"],
)
def test_raster_images_must_be_real_images_of_sane_size(project: Path, run_cli, data: bytes, says: str) -> None:
    content = project / "content"
    (content / "assets" / "photo.png").write_bytes(data)
    refer(content, "protocol image", "assets/photo.png")
    result = run_cli("validate", "--content", "content", cwd=project)
    assert result.exit_code == 1, result.output
    line = line_of(content / "protocols" / "ice.md", "assets/photo.png")
    assert f"protocols/ice.md:{line}:" in result.output and says in result.output
    assert "DecompressionBomb" not in result.output and "Traceback" not in result.output
