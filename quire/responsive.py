"""Responsive bundle images: srcset variants (and WebP) for the images a post's Markdown shows, with Pillow."""

import html
import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote

from .images import (
    MIMETYPES,
    RESIZABLE,
    VARIANT_NAME,
    VARIANT_WIDTHS,
    image_size,
    make_variant,
    pillow_version,
    variants,
)
from .paths import resolves_inside

# An image as the Markdown renderer writes it, sized (so a bundle file that was read).
RENDERED_IMAGE = re.compile(r'<img src="(?P<src>[^":/?#][^":?#]*)"(?P<middle> alt="[^"]*"(?: title="[^"]*")?) '
                            r'width="(?P<width>\d+)" height="(?P<height>\d+)" loading="lazy" decoding="async">')
SRCSET = re.compile(r'\ssrcset="([^"]*)"')
COLUMN = VARIANT_WIDTHS[1]  # the content column's width in CSS pixels


def add_srcset(body: str, is_bundle_file: Callable[[str], bool]) -> str:
    """Give each sized bundle image of post HTML its srcset variants in a <picture> with a WebP source."""
    def replace(match: re.Match) -> str:
        src, width = match["src"], int(match["width"])
        name = unquote(html.unescape(src))
        found = variants(name, width)
        if not found or not is_bundle_file(name):
            return match.group(0)
        fmt = RESIZABLE[Path(name).suffix.lower()]
        own = [(n, w) for n, w, f in found if f == fmt and f != "webp"] + [(name, width)]
        webp = [(n, w) for n, w, f in found if f == "webp"] + ([(name, width)] if fmt == "webp" else [])
        sizes = f'(max-width: {COLUMN + 40}px) 100vw, {min(width, COLUMN)}px'
        img = (f'<img src="{src}"{match["middle"]} srcset="{_srcset(own)}" sizes="{sizes}" width="{width}" '
               f'height="{match["height"]}" loading="lazy" decoding="async">')
        if fmt == "webp":
            return img
        return f'<picture><source type="image/webp" srcset="{_srcset(webp)}" sizes="{sizes}">{img}</picture>'
    return RENDERED_IMAGE.sub(replace, body)


def _srcset(entries: list[tuple[str, int]]) -> str:
    return ", ".join(f"{html.escape(quote(name, safe='/'), quote=True)} {width}w" for name, width in entries)


def variant_names(body: str) -> list[str]:
    """List the variant files (bundle-relative names) that post HTML's srcset attributes name: what a freeze writes."""
    names = (unquote(html.unescape(entry.rsplit(" ", 1)[0])) for srcset in SRCSET.findall(body)
             for entry in srcset.split(", "))
    return list(dict.fromkeys(name for name in names if VARIANT_NAME.match(name.rsplit("/", 1)[-1])))


def variant_file(cache, bundle: Path, name: str) -> tuple[bytes, str] | None:
    """Make (or read from the render cache) a variant of a bundle image, by its name: (bytes, mimetype) or None.

    The live server and the freeze both call this, so a frozen variant is the bytes the live one is. Only the
    variants add_srcset names are made: any other width or format is None (a 404).
    """
    wanted = _variant_request(bundle, name)
    if wanted is None:
        return None
    data, width, fmt = wanted
    key = cache.key("variant", pillow_version(), fmt, str(width), data)
    made = cache.get(key)
    if not isinstance(made, bytes):
        made = make_variant(data, width, fmt)
        if made is None:
            return None
        cache.put(key, made)
    return made, MIMETYPES[fmt]


def keep_variant(cache, bundle: Path, name: str) -> None:
    """Mark a variant's cache entry as used (a freeze makes variants in worker processes, and prunes in its own)."""
    wanted = _variant_request(bundle, name)
    if wanted is not None:
        data, width, fmt = wanted
        cache.used.add(cache.key("variant", pillow_version(), fmt, str(width), data))


def _variant_request(bundle: Path, name: str) -> tuple[bytes, int, str] | None:
    """Return the source bytes, width and format a variant name asks for, if add_srcset would name it."""
    # One name per variant: `../p/x.png.480w.webp` or `./x.png...` may point into the bundle, but is no variant's.
    match = VARIANT_NAME.match(name) if posixpath.normpath(name) == name and ".." not in name.split("/") else None
    source = bundle / match["source"] if match else None
    if source is None or not resolves_inside(source, bundle) or not source.is_file():
        return None
    width, fmt = int(match["width"]), match["format"].lower()
    size = image_size(source)
    if size is None or (name, width, fmt) not in variants(match["source"], size[0]):
        return None
    return source.read_bytes(), width, fmt
