"""Routes to templates: home, posts and their files, pages, tags, archives, search, errors, aliases."""

import posixpath
import re
from datetime import datetime
from urllib.parse import quote, urljoin

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import RequestRedirect

from .content import Post
from .engine import Engine
from .markdown import toc_html
from .search import search_posts
from .site import Site, paginate

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
    """Make an absolute URL on the published site from a URL path (made by url_for, or request.path)."""
    root = request.script_root if request else ""
    if root and path.startswith(root + "/"):
        path = path[len(root):]
    # request.path is decoded: quote what cannot stand in a URL as url_for does, keeping its escapes.
    return urljoin(engine().settings["base_url"], quote(path.lstrip("/"), safe="/%:@!$&'()*+,;=~"))


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


def post_view(slug: str):
    """Show one post with its neighbours and related posts."""
    site = current_site()
    post = site.posts_by_slug.get(slug)
    if post is None:
        return content_error(f"posts/{slug}")
    older, newer = site.neighbours(post)
    return render_template("post.html", post=post, older=older, newer=newer, related=site.related(post))


def post_file(slug: str, filename: str):
    """Serve a file that sits beside a bundle post's index.md."""
    return _bundle_file(current_site().posts_by_slug.get(slug), filename)


def page_file(slug: str, filename: str):
    """Serve a file that sits beside a bundle page's index.md."""
    return _bundle_file(current_site().pages_by_slug.get(slug), filename)


def _bundle_file(post: Post | None, filename: str):
    # Normalised as send_from_directory will: `./index.md`, `index.md/` and `x/../index.md` name the source too.
    if post is None or post.bundle is None or posixpath.basename(posixpath.normpath(filename)) == "index.md":
        abort(404)
    return send_from_directory(engine().site_dir / post.bundle, filename)


def page_view(slug: str):
    """Show a standalone page (pages/*.md)."""
    page = current_site().pages_by_slug.get(slug)
    if page is None:
        return content_error(f"pages/{slug}")
    return render_template("page.html", post=page)


def content_error(stem: str):
    """Answer a URL whose content file is broken with an error page, else 404."""
    for error in current_site().errors:
        if error.path in (f"{stem}.md", f"{stem}.markdown", f"{stem}/index.md"):
            return render_template("error.html", error=error), 500
    abort(404)


def index(number: int = 1):
    """List posts, newest first, one page at a time."""
    if "number" in request.view_args and number == 1:
        return redirect_page(url_for("index"))
    page = current_site().page(number)
    if page is None:
        abort(404)
    return render_template("index.html", page=page)


def tags():
    """List every tag with its post count."""
    return render_template("tags.html", groups=current_site().tags.values())


def tag(slug: str, number: int = 1):
    """List the posts with one tag, a page at a time."""
    group = current_site().tags.get(slug)
    if group is None:
        abort(404)
    if "number" in request.view_args and number == 1:
        return redirect_page(url_for("tag", slug=slug))
    page = paginate(group.posts, number, engine().settings["posts_per_page"])
    if page is None:
        abort(404)
    return render_template("tag.html", group=group, page=page)


def archives():
    """List every post by year and month."""
    return render_template("archives.html", years=current_site().archives)


def search():
    """Show the search page; with ?q= also answer on the server, for readers without JavaScript."""
    query = request.args.get("q", "")[:200]
    results, total = search_posts(current_site(), query) if query.strip() else (None, 0)
    return render_template("search.html", query=query, results=results, total=total)


def not_found_page():
    """Render the 404 page as a file for static hosts."""
    return render_template("404.html")


def redirect_page(target: str, status: int = 200):
    """Render a redirect that also works as a static file (meta refresh, canonical link, a visible link)."""
    return render_template("alias.html", target=target), status


def alias_before_slash_redirect():
    """Serve an alias such as /old.html, which Werkzeug would redirect to /old.html/ (the pages' rule)."""
    if isinstance(request.routing_exception, RequestRedirect) and request.method in ("GET", "HEAD"):
        post = current_site().aliases.get(request.path)
        if post is not None:
            return redirect_page(url_of(post))
    return None


def handle_not_found(error: NotFound):
    """Serve an alias's redirect page, else the 404 page."""
    if request.method in ("GET", "HEAD") and len(request.path) < 2000:
        post = current_site().aliases.get(request.path)
        if post is not None:
            return redirect_page(url_of(post))
    return render_template("404.html"), 404


def handle_http_error(error: HTTPException):
    """Answer other HTTP errors with a short page in the site's look."""
    return render_template("http_error.html", error=error), error.code


def stylesheet():
    """Serve the theme stylesheet with the Pygments styles appended."""
    css, _ = engine().stylesheet()
    return Response(css, mimetype="text/css")


def static(filename: str):
    """Serve a static file: the site's own static/ first, then the engine's."""
    eng = engine()
    for folder in (eng.site_dir / "static", eng.project_root / "static"):
        if (folder / filename).is_file():
            return send_from_directory(folder, filename)
    abort(404)


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
        "format_date": format_date,
        "now": datetime.now(eng.tz),
    }


def init_app(app: Flask) -> None:
    """Register the routes, error handlers and template helpers."""
    rules = [
        ("/", "index", index, {}),
        ("/page/<int:number>/", "index", index, {}),
        ("/posts/<slug>/", "post", post_view, {}),
        ("/posts/<slug>/<path:filename>", "post_file", post_file, {}),
        ("/tags/", "tags", tags, {}),
        ("/tags/<slug>/", "tag", tag, {}),
        ("/tags/<slug>/page/<int:number>/", "tag", tag, {}),
        ("/archives/", "archives", archives, {}),
        ("/search/", "search", search, {}),
        ("/404.html", "not_found", not_found_page, {}),
        ("/assets/quire.css", "stylesheet", stylesheet, {}),
        ("/static/<path:filename>", "static", static, {}),
        ("/<slug>/", "page", page_view, {}),
        ("/<slug>/<path:filename>", "page_file", page_file, {}),
    ]
    for rule, endpoint, view, options in rules:
        app.add_url_rule(rule, endpoint, view, **options)
    app.before_request(alias_before_slash_redirect)
    app.register_error_handler(NotFound, handle_not_found)
    app.register_error_handler(HTTPException, handle_http_error)
    app.context_processor(template_globals)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["toc"] = lambda headings, depth: Markup(toc_html(headings, depth))
    app.jinja_env.filters["rebase"] = rebase
