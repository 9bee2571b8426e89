"""The `flask` commands: new, freeze, check, import."""

import contextlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .check import as_json, check_site, grouped_lines
from .freeze import FreezeError, freeze
from .new import NewPostError, plan, write


def _progress_printer():
    """Return a progress callback drawing one line (files written, files a second) on a terminal, or None."""
    if not sys.stderr.isatty():
        return None
    started = time.perf_counter()

    def show(done: int) -> None:
        rate = done / max(time.perf_counter() - started, 1e-6)
        sys.stderr.write(f"\r  {done:>7} files written  {rate:7.0f} files/s")
        sys.stderr.flush()

    return show


def _base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Accept only a full address: anything else would write every link relative to its own page."""
    if value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise click.BadParameter("give the full address the site is published at, such as "
                                     "https://example.org/blog/")
    return value


@click.command("freeze")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: build/ in the site folder).")
@click.option("--base-url", default=None, callback=_base_url,
              help="URL the site is published at, e.g. https://example.org/blog/.")
@click.option("--drafts", is_flag=True, help="Include drafts and future-dated posts.")
@click.option("--jobs", type=int, default=None, help="Processes to use (default: one per core; 1 also follows "
                                                     "every url_for as a safety net).")
@click.option("--serve", is_flag=True, help="Serve the output on http://127.0.0.1:8000/ after freezing.")
@click.option("--port", default=8000, show_default=True, help="Port for --serve.")
@click.option("--ignore-errors", is_flag=True, help="Publish even when `flask check` finds errors (they are "
                                                    "printed; broken files are left out).")
@with_appcontext
def freeze_command(dest, base_url, drafts, jobs, serve, port, ignore_errors):
    """Write the whole site as static files (atomically: a failed freeze keeps the old output)."""
    engine = current_app.extensions["quire"]
    if engine.settings_error is not None:
        click.echo(str(engine.settings_error), err=True)
        sys.exit(1)
    settings = {"drafts": True} if drafts else {}
    if base_url:
        settings["base_url"] = base_url
    app = current_app.extensions["quire.factory"](engine.site_dir, settings=settings, config={"DEBUG": False})
    dest = dest or engine.site_dir / "build"
    progress = _progress_printer()
    try:
        result = freeze(app, dest, progress, jobs, ignore_errors, report=lambda line: click.echo(line, err=True))
    except FreezeError as exc:
        if progress:
            click.echo("", err=True)
        click.echo(str(exc), err=True)
        click.echo(f"freeze failed: {dest} was left as it was", err=True)
        sys.exit(1)
    if progress:
        click.echo("", err=True)
    carried = f" ({result.rendered} rendered, the others unchanged)" if result.rendered < result.pages else ""
    click.echo(f"Froze {result.pages} pages{carried}, {result.files} files, {result.bytes / 1e6:.1f} MB "
               f"in {result.seconds:.1f} s into {result.destination}")
    if serve:
        _serve(result.destination, port, app.extensions["quire"].settings["base_url"])
    else:
        _exit_at_once()


def _exit_at_once() -> None:
    """End the `flask` process now that its work is written, skipping the interpreter's teardown.

    Tearing down a large site's objects one by one takes a tenth of a second and more after a freeze of
    1,000 posts: a tenth of a re-freeze. Only a process of its own does this: one that runs the command
    with redirected streams (the test runner, a script) or other threads returns as usual.
    """
    if sys.stdout is not sys.__stdout__ or sys.stderr is not sys.__stderr__ or threading.active_count() > 1:
        return
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _serve(folder: Path, port: int, base_url: str) -> None:
    """Serve a frozen folder on loopback, under the base URL's path."""
    import functools
    import http.server

    prefix = urlsplit(base_url).path.rstrip("/")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def send_head(self):
            # Only the base URL's path is the site, as where it is published: a link that misses it fails here too.
            path = urlsplit(self.path).path
            if prefix and path != prefix and not path.startswith(prefix + "/"):
                self.send_error(404, f"Outside {prefix}/, where this site lives")
                return None
            return super().send_head()

        def translate_path(self, path):
            return super().translate_path(path[len(prefix):] if prefix else path)

    handler = functools.partial(Handler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        click.echo(f"Serving {folder} at http://127.0.0.1:{port}{prefix}/ (Ctrl+C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


@click.command("new")
@click.argument("title")
@click.option("--tags", default="", help="Comma-separated tags, e.g. --tags rl,llm.")
@click.option("--bundle", is_flag=True, help="Write posts/SLUG/index.md: a folder for the post and its images.")
@click.option("--page", is_flag=True, help="Write a standalone page, pages/SLUG.md.")
@click.option("--draft", is_flag=True, help="Mark it `draft: true` (shown only with QUIRE_DRAFTS=1).")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date as YYYY-MM-DD (default: today in the site's time zone; a page gets none).")
@click.option("--slug", default=None, help="URL name to use instead of the title's (needed when the title has "
                                           "no ASCII letters or digits).")
@with_appcontext
def new_command(title, tags, bundle, page, draft, day, slug):
    """Start a post (or page) file with its front matter filled in; never overwrites."""
    engine = current_app.extensions["quire"]
    engine.refresh()
    if engine.settings_error is not None:
        raise click.ClickException(str(engine.settings_error))
    today = day.date() if day else datetime.now(engine.tz).date()
    tag_list = [t.strip() for t in tags.split(",") if t.strip()]
    try:
        new = plan(engine.site_dir, engine.store.snapshot().posts, title, today, tags=tag_list, bundle=bundle,
                   page=page, draft=draft, slug=slug, dated=not page or day is not None)
        write(new)
    except NewPostError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {new.path.relative_to(engine.site_dir).as_posix()}")
    published = engine.settings["base_url"] + new.url_path.lstrip("/")
    click.echo(f"It will appear at {new.url_path} under `flask run`, and at {published} once published.")
    if draft:
        click.echo("It is a draft: `QUIRE_DRAFTS=1 flask run` shows it; remove `draft: true` to publish it.")
    elif today > datetime.now(engine.tz).date():
        click.echo(f"It is dated {today}: it appears on that day (or now with QUIRE_DRAFTS=1).")


@click.command("check")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@with_appcontext
def check_command(fmt):
    """Lint the site: exit 1 on errors, 0 when there are only warnings."""
    findings = check_site(current_app)
    if fmt == "json":
        click.echo(json.dumps(as_json(findings), indent=2))
    else:
        for line in grouped_lines(findings):
            click.echo(line)
    if any(f.level == "error" for f in findings):
        sys.exit(1)


@click.group("import")
def import_group() -> None:
    """Import posts and pages from Jekyll or Hugo."""


def _run(importer: Callable[..., list], src: Path, force: bool, dry_run: bool, site_url: str | None) -> None:
    """Convert, write (or only show), then print the problems and the counts."""
    # The importers load here, for the import commands alone: every other command starts without them.
    from .importers.common import Report, write_items

    report = Report()
    items = importer(src, report, site_url)
    write_items(items, current_app.extensions["quire"].site_dir, force, dry_run, report, click.echo)
    sources = {item.source for item in items}
    for where, message in report.problems:
        if where not in sources:
            click.echo(f"{where}: warning: {message}")
    click.echo(("Dry run, nothing written: " if dry_run else "Imported: ") + report.summary())


def _site_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise click.BadParameter("give the old site's full address, such as https://example.github.io")
    return value.rstrip("/")


SRC = click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
FORCE = click.option("--force", is_flag=True, help="Replace posts and pages that already exist.")
DRY_RUN = click.option("--dry-run", is_flag=True, help="Write nothing; show what would be written.")
SITE_URL = click.option("--site-url", metavar="URL", callback=_site_url,
                        help="Where the old site is still published (Jekyll: its `url`, the baseurl is added; Hugo: "
                             "its baseURL). Images the source lacks and links to posts outside the import then "
                             "point there.")


@import_group.command("jekyll")
@SRC
@FORCE
@DRY_RUN
@SITE_URL
@with_appcontext
def jekyll_command(src: Path, force: bool, dry_run: bool, site_url: str | None) -> None:
    """Import a Jekyll site (_posts/, pages with front matter, _config.yml)."""
    from .importers import import_jekyll

    _run(import_jekyll, src, force, dry_run, site_url)


@import_group.command("hugo")
@SRC
@FORCE
@DRY_RUN
@SITE_URL
@with_appcontext
def hugo_command(src: Path, force: bool, dry_run: bool, site_url: str | None) -> None:
    """Import a Hugo site (content/ with posts, bundles and pages)."""
    from .importers import import_hugo

    _run(import_hugo, src, force, dry_run, site_url)


def init_app(app: Flask, factory) -> None:
    """Register Quire's commands on the app; factory makes another app (the freeze's own settings)."""
    app.extensions["quire.factory"] = factory
    app.cli.add_command(new_command)
    app.cli.add_command(freeze_command)
    app.cli.add_command(import_group)
    app.cli.add_command(check_command)
