"""Routes to templates: home, posts and their files, pages, tags, archives, search, errors, aliases."""

import posixpath
from pathlib import Path

from flask import Flask, Response, abort, render_template, request, send_from_directory, url_for
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.security import safe_join

from . import urls
from .citation import make_citation, split_at_references
from .content import Post, tag_slug
from .context import absolute, current_site, engine, format_date, rebase, template_globals, url_of
from .markdown import highlight_code, toc_html
from .paths import resolves_inside
from .responsive import variant_file
from .search import search_posts
from .site import paginate
from .social import social_image


def post_view(slug: str):
    """Show one post with its neighbours and related posts."""
    site = current_site()
    post = site.posts_by_slug.get(slug)
    if post is None:
        return content_error(f"posts/{slug}")
    older, newer = site.neighbours(post)
    citation = make_citation(post, engine().settings, absolute(url_of(post)))
    return render_template("post.html", post=post, older=older, newer=newer, related=site.related(post),
                           citation=citation)


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
    bundle = engine().site_dir / post.bundle
    if not (bundle / filename).exists():
        variant = variant_file(engine().cache, bundle, filename)  # a srcset variant, made on first request
        if variant is not None:
            return Response(variant[0], mimetype=variant[1])
    return _send_inside(bundle, filename, engine().site_dir)


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
    site = current_site()
    group = site.tags.get(slug)
    if group is None:
        # Any spelling of a tag (`/tags/ATTENTION/`, `/tags/Auto ML/`) leads to its one page.
        canonical = tag_slug(slug)
        if canonical in site.tags and "number" not in request.view_args:
            return redirect_page(url_for("tag", slug=canonical))
        abort(404)
    if "number" in request.view_args and number == 1:
        return redirect_page(url_for("tag", slug=slug))
    page = paginate(group.posts, number, engine().settings["posts_per_page"])
    if page is None:
        abort(404)
    return render_template("tag.html", group=group, page=page)


def series_index():
    """List every series with its post count."""
    return render_template("series_index.html", groups=current_site().series.values())


def series(slug: str):
    """List the posts of one series in reading order (oldest first)."""
    group = current_site().series.get(slug)
    if group is None:
        abort(404)
    return render_template("series.html", group=group)


def posts(number: int = 1):
    """List every post (no pages), newest first, one page at a time."""
    if "number" in request.view_args and number == 1:
        return redirect_page(url_for("posts"))
    page = paginate(current_site().posts, number, engine().settings["posts_per_page"])
    if page is None:
        abort(404)
    return render_template("posts.html", page=page)


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
    for folder, root in ((eng.site_dir / "static", eng.site_dir), (eng.project_root / "static", eng.project_root)):
        if (folder / filename).is_file():
            return _send_inside(folder, filename, root)
    abort(404)


def _send_inside(folder, filename: str, root):
    """Send a file of a folder, unless it is a symlink that leads outside root (404, as if it were not there)."""
    path = safe_join(str(folder), filename)
    if path is None or not resolves_inside(Path(path), root):
        abort(404)
    try:
        return send_from_directory(folder, filename)
    except PermissionError:
        abort(403)


def serve_alias_before_redirect():
    """Serve an alias whose path a route would redirect (`/about.html` to `/about.html/`): aliases come first."""
    if isinstance(request.routing_exception, RequestRedirect) and request.method in ("GET", "HEAD"):
        post = current_site().aliases.get(request.path)
        if post is not None:
            return redirect_page(url_of(post))
    return None


def refresh_settings():
    """Pick up an edited site.toml; while it is broken, every page shows its error."""
    eng = engine()
    eng.refresh()
    if eng.settings_error is not None and request.endpoint not in ("static", "stylesheet"):
        return render_template("error.html", error=eng.settings_error), 500
    return None


def bibtex_html(entry: str) -> Markup:
    """Highlight a BibTeX entry (no trailing newline: the copy button copies exactly the entry)."""
    return Markup((highlight_code(entry, "bibtex") or escape(entry)).rstrip())


def init_app(app: Flask) -> None:
    """Register the routes, error handlers and template helpers."""
    urls.register(app, {"index": index, "posts": posts, "post": post_view, "post_file": post_file, "tags": tags,
                        "tag": tag, "series_index": series_index, "series": series,
                        "archives": archives, "search": search, "not_found": not_found_page,
                        "stylesheet": stylesheet, "static": static, "page": page_view, "page_file": page_file})
    app.before_request(refresh_settings)
    app.before_request(serve_alias_before_redirect)
    app.register_error_handler(NotFound, handle_not_found)
    app.register_error_handler(HTTPException, handle_http_error)
    app.context_processor(template_globals)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.globals["social_image"] = social_image
    app.jinja_env.filters["toc"] = lambda headings, depth: Markup(toc_html(headings, depth))
    app.jinja_env.filters["rebase"] = rebase
    app.jinja_env.filters["split_at_references"] = split_at_references
    app.jinja_env.filters["bibtex_html"] = bibtex_html
