"""Helpers for one request: the engine and Site, URLs of posts, dates, and the values every template sees."""

import re
from datetime import datetime
from urllib.parse import quote

from flask import current_app, g, request, url_for
from markupsafe import Markup

from .content import Post
from .engine import Engine
from .site import Site

ROOT_LINK = re.compile(r'\b(href|src)="/(?!/)')


def engine() -> Engine:
    """Return this app's engine."""
    return current_app.extensions["quire"]


def current_site() -> Site:
    """Return the Site for this request, computed once per request."""
    if "site" not in g:
        g.site = engine().site()
    return g.site


def url_of(post: Post) -> str:
    """Return the URL path of a post or page (remembered: list pages ask for the same URLs often)."""
    key = (request.script_root, post.kind, post.slug)
    urls = engine().urls
    url = urls.get(key)
    if url is None:
        url = urls[key] = url_for("post" if post.kind == "post" else "page", slug=post.slug)
    return url


def absolute(path: str) -> str:
    """Make an absolute URL on the published site from a URL path made by url_for."""
    root = request.script_root if request else ""
    if root and path.startswith(root + "/"):
        path = path[len(root):]
    # Joined, not resolved: a request path such as /http:/evil.example/ must stay below base_url. request.path
    # is decoded: quote what cannot stand in a URL as url_for does, keeping its escapes.
    return engine().settings["base_url"] + quote(path.lstrip("/"), safe="/%:@!$&'()*+,;=~")


def url_shape(endpoint: str, **placeholders) -> str:
    """Build a URL with placeholders for a script to fill in; unlike url_for, a freeze does not follow it."""
    adapter = current_app.url_map.bind("localhost", script_name=request.script_root or "/")
    return adapter.build(endpoint, placeholders)


def format_date(value: datetime) -> str:
    """Format a date with the site's date format (with `%-d` working everywhere)."""
    fmt = engine().settings["date_format"].replace("%-d", str(value.day)).replace("%-m", str(value.month))
    return value.strftime(fmt)


def rebase(html: str) -> Markup:
    """Prefix root-relative links in post HTML with the script root, for sites hosted under a path."""
    root = request.script_root
    if root:
        html = ROOT_LINK.sub(lambda m: f'{m.group(1)}="{root}/', html)
    return Markup(html)


def template_globals() -> dict:
    """Values every template can use."""
    eng = engine()
    return {
        "site": current_site(),
        "settings": eng.settings,
        "home_info_html": Markup(eng.home_info_html),
        "footer_html": Markup(eng.footer_html),
        "url_of": url_of,
        "absolute": absolute,
        "url_shape": url_shape,
        "format_date": format_date,
        "now": datetime.now(eng.tz),
    }
