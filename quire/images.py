"""Pixel sizes of image files (imagesize; SVG read here), and resized variants for srcset when Pillow is installed."""

import io
import math
import re
from pathlib import Path

import imagesize

try:  # the optional extra `images`: without it, images are served as they are
    import PIL
except ImportError:  # pragma: no cover - depends on the installation
    PIL = None

MAX_PIXELS = 1_000_000
# Widths of the srcset variants: a phone, a column at 1x, and the column at 1.5x and 2x (760 px wide).
VARIANT_WIDTHS = (480, 760, 1140, 1520)
# What Pillow makes variants of (by suffix), and the format of each suffix's own variants.
RESIZABLE = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}
MIMETYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
# A variant's file name: the source's name, its width and its format (`fig.png.480w.webp`).
VARIANT_NAME = re.compile(r"^(?P<source>.+\.(?:png|jpe?g|webp))\.(?P<width>[1-9]\d{0,4})w\.(?P<format>png|jpeg|webp)$",
                          re.IGNORECASE)


def image_size(path: Path) -> tuple[int, int] | None:
    """Read the pixel size of an image file (PNG, GIF, JPEG, WebP, AVIF, TIFF, SVG, ...), or None."""
    if path.suffix.lower() == ".svg":
        try:
            with path.open("rb") as f:
                head = f.read(64 * 1024)
        except OSError:
            return None
        return _svg_size(head.decode("utf-8", "replace"))
    try:
        width, height = imagesize.get(path)
    except (OSError, ValueError, IndexError, TypeError):  # unreadable or malformed: the image stays unsized
        return None
    return _pixels(width, height)


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


def pillow_version() -> str:
    """Return Pillow's version, or '' without it (it decides whether posts have srcset: part of the cache key)."""
    return PIL.__version__ if PIL is not None else ""


def variants(name: str, width: int) -> list[tuple[str, int, str]]:
    """List the variants (file name, width, format) of a bundle image `width` pixels wide; none without Pillow.

    Each narrower width of VARIANT_WIDTHS in the source's format and in WebP, and the full width in WebP.
    """
    fmt = RESIZABLE.get(Path(name).suffix.lower())
    if PIL is None or fmt is None:
        return []
    widths = [w for w in VARIANT_WIDTHS if w < width]
    found = [(f"{name}.{w}w.{f}", w, f) for w in widths for f in dict.fromkeys((fmt, "webp"))]
    if fmt != "webp":
        found.append((f"{name}.{width}w.webp", width, "webp"))
    return found


def make_variant(data: bytes, width: int, fmt: str) -> bytes | None:
    """Resize image bytes to a width (keeping the aspect ratio) in a format; None if Pillow cannot read it."""
    if PIL is None:
        return None
    from PIL import Image  # here, not at start-up: most runs make no variant, and importing it takes 10 ms

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if width > image.width:
                return None
            height = max(1, round(image.height * width / image.width))
            resized = image.resize((width, height), Image.Resampling.LANCZOS) if width != image.width else image
            if fmt == "jpeg" and resized.mode not in ("RGB", "L"):
                resized = resized.convert("RGB")
            out = io.BytesIO()
            options = {"png": {"optimize": True}, "jpeg": {"quality": 82, "optimize": True},
                       "webp": {"quality": 80, "method": 4}}[fmt]
            resized.save(out, format=fmt.upper(), **options)
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
