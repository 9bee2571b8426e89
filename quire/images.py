"""Pixel sizes of PNG, GIF, JPEG and SVG files, read from their first bytes (for <img width height>)."""

import math
import re
import struct
from pathlib import Path

MAX_PIXELS = 1_000_000


def image_size(path: Path) -> tuple[int, int] | None:
    """Read the pixel size of a PNG, GIF, JPEG or SVG file, or None."""
    try:
        with path.open("rb") as f:
            head = f.read(64 * 1024)
    except OSError:
        return None
    if head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) >= 24:
        return struct.unpack(">II", head[16:24])
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", head[6:10])
    if head[:2] == b"\xff\xd8":
        return _jpeg_size(head)
    if path.suffix.lower() == ".svg":
        return _svg_size(head.decode("utf-8", "replace"))
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None


def _svg_size(text: str) -> tuple[int, int] | None:
    tag = re.search(r"<svg\b[^>]*>", text, re.DOTALL)
    if not tag:
        return None
    attrs = dict(re.findall(r'\b(width|height|viewBox)\s*=\s*["\']([^"\']*)["\']', tag.group(0)))
    try:
        if "width" in attrs and "height" in attrs:
            return _pixels(float(attrs["width"].rstrip("px")), float(attrs["height"].rstrip("px")))
        if "viewBox" in attrs:
            _, _, w, h = (float(v) for v in attrs["viewBox"].replace(",", " ").split())
            return _pixels(w, h)
    except ValueError:
        return None
    return None


def _pixels(width: float, height: float) -> tuple[int, int] | None:
    """Round a size to pixels; None for sizes no image has (negative, infinite, NaN, absurdly large)."""
    if all(math.isfinite(v) and 0 < v <= MAX_PIXELS for v in (width, height)):
        return round(width), round(height)
    return None
