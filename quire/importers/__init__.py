"""`flask import jekyll|hugo SRC`: bring posts and pages from another blog engine into the site."""

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext

from .common import Converted, Report, write_items
from .hugo import import_hugo
from .jekyll import import_jekyll

__all__ = ["import_group", "import_hugo", "import_jekyll"]


@click.group("import")
def import_group() -> None:
    """Import posts and pages from Jekyll or Hugo."""


def _run(importer: Callable[..., list[Converted]], src: Path, force: bool, dry_run: bool,
         site_url: str | None) -> None:
    """Convert, write (or only show), then print the problems and the counts."""
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
    _run(import_jekyll, src, force, dry_run, site_url)


@import_group.command("hugo")
@SRC
@FORCE
@DRY_RUN
@SITE_URL
@with_appcontext
def hugo_command(src: Path, force: bool, dry_run: bool, site_url: str | None) -> None:
    """Import a Hugo site (content/ with posts, bundles and pages)."""
    _run(import_hugo, src, force, dry_run, site_url)
