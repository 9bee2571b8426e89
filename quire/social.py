"""The image of a page's social card (og:image, twitter:image): a cover, else the first figure, else og_image."""

import html
import re
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from flask import request

from .content import Post
from .context import absolute, engine, url_of
from .images import image_size
from .paths import resolves_inside

FIRST_FIGURE_IMAGE = re.compile(r"<figure\b[^>]*>.*?(<img\b[^>]*>)", re.DOTALL)
ATTRIBUTE = re.compile(r'\b(src|alt|width|height)="([^"]*)"')


@dataclass(frozen=True)
class CardImage:
    url: str
    width: int | None = None
    height: int | None = None
    alt: str = ""


def social_image(post: Post | None) -> CardImage | None:
    """Return the image a page shares with: its cover, else its first figure, else the site's og_image; or None."""
    if post is not None and post.cover:
        return _image(post.cover, post, post.cover_alt)
    if post is not None and post.figures:
        found = FIRST_FIGURE_IMAGE.search(post.html)
        if found:
            attrs = {k: html.unescape(v) for k, v in ATTRIBUTE.findall(found.group(1))}
            if "src" in attrs:
                image = _image(attrs["src"], post, attrs.get("alt", ""))
                if image and attrs.get("width", "").isdigit() and attrs.get("height", "").isdigit():
                    image = CardImage(image.url, int(attrs["width"]), int(attrs["height"]), image.alt)
                if image:
                    return image
    site_image = engine().settings["og_image"]
    return _image(site_image, None, "") if site_image else None


def _image(ref: str, post: Post | None, alt: str) -> CardImage | None:
    """Make an absolute http(s) URL of an image reference (a URL, a site path, a bundle file), sized if local."""
    ref = ref.strip()
    parts = urlsplit(ref)
    if parts.scheme or ref.startswith("//"):
        return CardImage(ref, alt=alt) if parts.scheme in ("http", "https") and parts.netloc else None
    if ref.startswith("/"):
        size = _site_file_size(unquote(parts.path))
        return CardImage(absolute(request.script_root + ref), *(size or (None, None)), alt)
    if post is None:
        return None
    size = None
    if post.bundle:
        bundle = engine().site_dir / post.bundle
        path = bundle / unquote(parts.path)
        size = image_size(path) if resolves_inside(path, bundle) and path.is_file() else None
    return CardImage(urljoin(absolute(url_of(post)), ref), *(size or (None, None)), alt)


def _site_file_size(path: str) -> tuple[int, int] | None:
    """Read the size of a static file named by its URL path (/static/x.png), the site's own before the engine's."""
    if not path.startswith("/static/"):
        return None
    eng = engine()
    for folder in (eng.site_dir / "static", eng.project_root / "static"):
        file = folder / path[len("/static/"):]
        if resolves_inside(file, folder) and file.is_file():
            return image_size(file)
    return None
