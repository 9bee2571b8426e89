"""Every URL of a Quire site in one table: its rule, endpoint and how a freeze writes it."""

import re
from dataclasses import dataclass

# How the freeze treats a route:
PAGE = "page"            # no arguments: frozen as it is
LIST = "list"            # /page/N/ of a paginated list: one per page after the first (and a redirect for 1)
EACH_POST = "each post"  # one per post
EACH_PAGE = "each page"  # one per standalone page
EACH_TAG = "each tag"    # one per tag (and per spelling of a tag in content, as redirect pages)
EACH_SERIES = "each series"  # one per series
DIRECT = "direct"        # written by the freeze directly, as the live route serves it (files, search data)
NEVER = "never"          # dev-only (`flask run --debug`): never frozen


@dataclass(frozen=True)
class Route:
    rule: str
    endpoint: str
    freeze: str


ROUTES = (
    Route("/", "index", PAGE),
    Route("/page/<int:number>/", "index", LIST),
    Route("/posts/", "posts", PAGE),
    Route("/posts/page/<int:number>/", "posts", LIST),
    Route("/posts/index.xml", "posts_feed", PAGE),
    Route("/posts/<slug>/", "post", EACH_POST),
    Route("/posts/<slug>/<path:filename>", "post_file", DIRECT),
    Route("/tags/", "tags", PAGE),
    Route("/tags/<slug>/", "tag", EACH_TAG),
    Route("/tags/<slug>/page/<int:number>/", "tag", LIST),
    Route("/tags/<slug>/index.xml", "tag_feed", EACH_TAG),
    Route("/series/", "series_index", PAGE),
    Route("/series/<slug>/", "series", EACH_SERIES),
    Route("/series/<slug>/index.xml", "series_feed", EACH_SERIES),
    Route("/archives/", "archives", PAGE),
    Route("/search/", "search", PAGE),
    Route("/search/index.json", "search_index", PAGE),
    Route("/search/shards/<name>.json", "search_shard", DIRECT),
    Route("/search/vocab/<name>.json", "search_vocab", DIRECT),
    Route("/search/docs/<doc>.json", "search_doc", DIRECT),
    Route("/search/text/<doc>-<chunk>.txt", "search_text", DIRECT),
    Route("/index.xml", "rss", PAGE),
    Route("/atom.xml", "atom", PAGE),
    Route("/feed.json", "json_feed", PAGE),
    Route("/index.json", "index_json", DIRECT),
    Route("/sitemap.xml", "sitemap", PAGE),
    Route("/robots.txt", "robots", PAGE),
    Route("/404.html", "not_found", PAGE),
    Route("/assets/quire.css", "stylesheet", PAGE),
    Route("/static/<path:filename>", "static", DIRECT),
    Route("/_quire/live", "live_reload", NEVER),
    Route("/<slug>/", "page", EACH_PAGE),
    Route("/<slug>/<path:filename>", "page_file", DIRECT),
)

# The site-wide pages (PAGE routes) that show what posts' bodies decide. A re-freeze after edits that changed
# bodies alone renders those that show text (full-text feeds, the search index) when any body changed, and
# those that show what lists show of a post (its summary and reading time) when that changed; the others show
# front matter alone, and carry over.
SHOWS_TEXT = frozenset({"posts_feed", "rss", "atom", "json_feed", "search_index"})
SHOWS_LISTED = frozenset({"archives"})

# First path segments that Quire's own routes take: no standalone page may be named like one.
RESERVED = frozenset(r.rule.split("/")[1] for r in ROUTES if r.rule.split("/")[1][:1] not in ("", "<"))
# The URL paths of Quire's own files at the site's root (what an importer must not write over).
OWN_FILES = frozenset(r.rule for r in ROUTES if r.freeze in (PAGE, DIRECT) and "<" not in r.rule
                      and not r.rule.endswith("/"))


ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>")


def build(endpoint: str, **values) -> str:
    """Fill in a route's rule, for code that runs without an app (the importers): build("post", slug="x")."""
    for route in ROUTES:
        if route.endpoint == endpoint and set(ARGUMENT.findall(route.rule)) == set(values):
            return ARGUMENT.sub(lambda m: str(values[m.group(1)]), route.rule)
    raise KeyError(f"no route {endpoint} with {sorted(values)}")


def register(app, views: dict) -> None:
    """Add the table's rules whose endpoints have a view in `views` (endpoint -> function)."""
    for route in ROUTES:
        if route.endpoint in views:
            app.add_url_rule(route.rule, route.endpoint, views[route.endpoint])


def routes(freeze: str) -> list[Route]:
    """Return the routes a freeze treats one way."""
    return [r for r in ROUTES if r.freeze == freeze]
