"""Small square copies of images (artwork, thumbnails) made the same way by every format that needs one."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO


def square_copy(source: Path | BinaryIO, px: int, *, keep_format: bool = True) -> tuple[bytes, str]:
    """A px-by-px RGB copy of a square image and its kind, 'png' or 'jpeg': a JPEG stays a JPEG (a photograph as
    PNG weighs many times more) unless `keep_format` is False. No metadata, so the bytes are reproducible."""
    from PIL import Image

    with Image.open(source) as image:
        kind = "png" if image.format == "PNG" or not keep_format else "jpeg"
        small = image.convert("RGB").resize((px, px), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if kind == "png":
        small.save(buffer, format="PNG", optimize=True)
    else:
        small.save(buffer, format="JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue(), kind
