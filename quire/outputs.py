"""Machine-read outputs: RSS, Atom, per-tag feeds, index.json, the search index files, sitemap, robots.txt."""

import html
import re
from datetime import datetime
from urllib.parse import urljoin

from flask import Flask, Response, abort, render_template, stream_with_context, url_for

from . import urls
from .context import absolute, current_site, engine, format_date, url_of
from .front_matter import XML_FORBIDDEN
from .search import index_json_parts, safe_json, search_index

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


def posts_feed():
    """Serve the RSS feed of the newest posts, without pages."""
    site = current_site()
    return _feed("rss.xml", site.posts, engine().settings["title"], url_for("posts_feed"), url_for("posts"))


def tag_feed(slug: str):
    """Serve the RSS feed of one tag."""
    group = current_site().tags.get(slug)
    if group is None:
        abort(404)
    title = f"{group.tag.name} | {engine().settings['title']}"
    return _feed("rss.xml", group.posts, title, url_for("tag_feed", slug=slug), url_for("tag", slug=slug))


def series_feed(slug: str):
    """Serve the RSS feed of one series, newest first."""
    group = current_site().series.get(slug)
    if group is None:
        abort(404)
    title = f"{group.tag.name} | {engine().settings['title']}"
    return _feed("rss.xml", group.posts[::-1], title, url_for("series_feed", slug=slug),
                 url_for("series", slug=slug))


def json_feed():
    """Serve the JSON Feed 1.1 of the newest posts (served as application/json, as static hosts serve it)."""
    site = current_site()
    body = safe_json(json_feed_document(site.listed))  # <, > and & escaped: the same values, never markup
    return Response(body, mimetype="application/json")


def json_feed_document(posts) -> dict:
    """Describe the newest posts as a JSON Feed 1.1 document (https://www.jsonfeed.org/version/1.1/)."""
    settings = engine().settings
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": settings["title"],
            "home_page_url": absolute(url_for("index")), "feed_url": absolute(url_for("json_feed")),
            "language": settings["language"]}
    if settings["description"]:
        feed["description"] = settings["description"]
    if settings["author"]:
        feed["authors"] = [{"name": settings["author"]}]
    feed["items"] = []
    for item in feed_items(posts):
        post = item["post"]
        entry = {"id": item["link"], "url": item["link"], "title": post.title}
        entry.update({"content_html": item["content"]} if item["content"] is not None
                     else {"content_text": post.summary})
        entry["summary"] = post.summary
        entry["date_published"] = post.date.isoformat()
        if post.updated:
            entry["date_modified"] = post.updated.isoformat()
        if post.author:
            entry["authors"] = [{"name": post.author}]
        if post.tags:
            entry["tags"] = [tag.name for tag in post.tags]
        feed["items"].append(entry)
    return feed


def index_json():
    """Serve the PaperMod-shaped full-text index (title, content, permalink, summary) for existing tools."""
    parts = index_json_parts(current_site(), lambda post: absolute(url_of(post)))
    return Response(stream_with_context(parts), mimetype="application/json")


def search_index_json():
    """Serve the first file the browser search fetches: the names of the shards and typo buckets."""
    return Response(search_index(current_site()).client_index(), mimetype="application/json")


def search_shard(name: str):
    """Serve one posting shard of the search index."""
    shard = search_index(current_site()).shards().get(name)
    if shard is None:
        abort(404)
    return Response(shard, mimetype="application/json")


def search_vocab(name: str):
    """Serve one typo bucket of the search vocabulary."""
    bucket = search_index(current_site()).buckets().get(name)
    if bucket is None:
        abort(404)
    return Response(bucket, mimetype="application/json")


def _number(text: str) -> int | None:
    """Read a URL part written as a plain decimal number (no sign, no leading zero), else None."""
    return int(text) if text.isascii() and text.isdigit() and str(int(text)) == text else None


def search_doc(doc: str):
    """Serve what a shown search result needs of one post: title, URL, date and summary."""
    index = search_index(current_site())
    number = _number(doc)
    if number is None or number >= len(index.posts):
        abort(404)
    return Response(search_doc_json(index, number), mimetype="application/json")


def search_doc_json(index, number: int) -> str:
    """Return a search result's file for post `number` of the index (in a request context)."""
    post = index.posts[number]
    return index.client_doc(number, url_of(post), format_date(post.date) if post.kind == "post" else "")


def search_text(doc: str, chunk: str):
    """Serve one text chunk of a post, for search snippets."""
    # Plain strings in the rule, so the page can hand search.js the URL shape with placeholders in it.
    posts = search_index(current_site()).posts
    number, part = _number(doc), _number(chunk)
    if number is None or part is None or number >= len(posts) or part >= len(posts[number].terms.chunks):
        abort(404)
    return Response(posts[number].terms.chunks[part], mimetype="text/plain")


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
    urls.register(app, {"rss": rss, "atom": atom, "posts_feed": posts_feed, "tag_feed": tag_feed,
                        "series_feed": series_feed, "json_feed": json_feed, "index_json": index_json,
                        "search_index": search_index_json, "search_shard": search_shard,
                        "search_vocab": search_vocab, "search_doc": search_doc,
                        "search_text": search_text, "sitemap": sitemap, "robots": robots})
    app.jinja_env.filters["rfc822"] = rfc822
