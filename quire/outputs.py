"""Machine-read outputs: RSS, Atom, per-tag feeds, index.json, the search index files, sitemap, robots.txt."""

import html
import re
from datetime import datetime
from urllib.parse import urljoin

from flask import Flask, Response, abort, render_template, stream_with_context, url_for

from .front_matter import XML_FORBIDDEN
from .search import safe_json, search_index
from .views import absolute, current_site, engine, format_date, url_of

XML = "application/xml"
URL_ATTR = re.compile(r'\b(href|src)="(?![a-zA-Z][a-zA-Z0-9+.-]*:|#|//)([^"]*)"')


def absolutize(html: str, base: str) -> str:
    """Resolve the relative href and src attributes of post HTML against the post's absolute URL."""
    return URL_ATTR.sub(lambda m: f'{m.group(1)}="{urljoin(base, m.group(2))}"', html)


def feed_items(posts) -> list[dict]:
    """Describe the newest posts for a feed, with absolute links and content."""
    settings = engine().settings
    items = []
    for post in posts[:settings["feed_items"]]:
        link = absolute(url_of(post))
        content = absolutize(post.html, link) if settings["full_text_feed"] else None
        # Plain strings on purpose: the XML template escapes them, so readers get HTML as text.
        items.append({"post": post, "link": link, "content": content,
                      "description": "<p>" + html.escape(post.summary, quote=False) + "</p>"})
    return items


def rfc822(value: datetime) -> str:
    """Format a date for RSS: RFC 822 with a four-digit year (strftime writes year 1 as `1`)."""
    return f"{value:%a, %d %b} {value.year:04d} {value:%H:%M:%S %z}"


def xml_response(body: str) -> Response:
    """Answer XML without the characters XML 1.0 forbids (from a post's body, say), so it stays well-formed."""
    return Response(XML_FORBIDDEN.sub("", body), mimetype=XML)


def _feed(template: str, posts, title: str, self_url: str, page_url: str) -> Response:
    newest = max((p.updated or p.date for p in posts), default=None)
    body = render_template(template, items=feed_items(posts), title=title, self_url=absolute(self_url),
                           page_url=absolute(page_url), updated=newest or datetime(1970, 1, 1).astimezone())
    return xml_response(body)


def rss():
    """Serve the RSS 2.0 feed of the newest posts."""
    site = current_site()
    return _feed("rss.xml", site.listed, engine().settings["title"], url_for("rss"), url_for("index"))


def atom():
    """Serve the Atom feed of the newest posts."""
    site = current_site()
    return _feed("atom.xml", site.listed, engine().settings["title"], url_for("atom"), url_for("index"))


def tag_feed(slug: str):
    """Serve the RSS feed of one tag."""
    group = current_site().tags.get(slug)
    if group is None:
        abort(404)
    title = f"{group.tag.name} | {engine().settings['title']}"
    return _feed("rss.xml", group.posts, title, url_for("tag_feed", slug=slug), url_for("tag", slug=slug))


def index_json_parts(site):
    """Yield the PaperMod-shaped full-text index in pieces, one post at a time (it is large: keep it lazy)."""
    yield b"["
    for number, post in enumerate(site.listed):
        entry = {"title": post.title, "content": " ".join(post.terms.chunks),
                 "permalink": absolute(url_of(post)), "summary": post.summary}
        yield (b"," if number else b"") + safe_json(entry).encode()
    yield b"]"


def index_json():
    """Serve the PaperMod-shaped full-text index (title, content, permalink, summary) for existing tools."""
    return Response(stream_with_context(index_json_parts(current_site())), mimetype="application/json")


def search_index_json():
    """Serve the first file the browser search fetches: documents and vocabulary."""
    index = search_index(current_site())
    urls = [url_of(p) for p in index.posts]
    dates = [format_date(p.date) if p.kind == "post" else "" for p in index.posts]
    return Response(index.client_index(urls, dates), mimetype="application/json")


def search_shard(name: str):
    """Serve one posting shard of the search index."""
    shard = search_index(current_site()).shards().get(name)
    if shard is None:
        abort(404)
    return Response(shard, mimetype="application/json")


def search_text(doc: int, chunk: int):
    """Serve one text chunk of a post, for search snippets."""
    posts = search_index(current_site()).posts
    if doc >= len(posts) or chunk >= len(posts[doc].terms.chunks):
        abort(404)
    return Response(posts[doc].terms.chunks[chunk], mimetype="text/plain")


def sitemap():
    """List every public page with its last modification date."""
    site = current_site()
    body = render_template("sitemap.xml", posts=[*site.listed, *(p for p in site.pages_by_slug.values()
                                                                   if not p.listed)])
    return xml_response(body)


def robots():
    """Allow crawlers and point them at the sitemap."""
    return Response(f"User-agent: *\nAllow: /\n\nSitemap: {absolute(url_for('sitemap'))}\n", mimetype="text/plain")


def init_app(app: Flask) -> None:
    """Register the feed, index and crawler routes."""
    for rule, endpoint, view in [
        ("/index.xml", "rss", rss),
        ("/atom.xml", "atom", atom),
        ("/tags/<slug>/index.xml", "tag_feed", tag_feed),
        ("/index.json", "index_json", index_json),
        ("/search/index.json", "search_index", search_index_json),
        ("/search/shards/<name>.json", "search_shard", search_shard),
        ("/search/text/<int:doc>-<int:chunk>.txt", "search_text", search_text),
        ("/sitemap.xml", "sitemap", sitemap),
        ("/robots.txt", "robots", robots),
    ]:
        app.add_url_rule(rule, endpoint, view)
    app.jinja_env.filters["rfc822"] = rfc822
