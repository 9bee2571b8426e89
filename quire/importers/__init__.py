"""`flask import jekyll|hugo SRC`: bring posts and pages from another blog engine into the site."""

from collections.abc import Callable
from pathlib import Path

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


def _run(importer: Callable[[Path, Report], list[Converted]], src: Path, force: bool, dry_run: bool) -> None:
    """Convert, write (or only show), then print the problems and the counts."""
    report = Report()
    items = importer(src, report)
    write_items(items, current_app.extensions["quire"].site_dir, force, dry_run, report, click.echo)
    sources = {item.source for item in items}
    for where, message in report.problems:
        if where not in sources:
            click.echo(f"{where}: warning: {message}")
    click.echo(("Dry run, nothing written: " if dry_run else "Imported: ") + report.summary())


SRC = click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
FORCE = click.option("--force", is_flag=True, help="Replace posts and pages that already exist.")
DRY_RUN = click.option("--dry-run", is_flag=True, help="Write nothing; show what would be written.")


@import_group.command("jekyll")
@SRC
@FORCE
@DRY_RUN
@with_appcontext
def jekyll_command(src: Path, force: bool, dry_run: bool) -> None:
    """Import a Jekyll site (_posts/, pages with front matter, _config.yml)."""
    _run(import_jekyll, src, force, dry_run)


@import_group.command("hugo")
@SRC
@FORCE
@DRY_RUN
@with_appcontext
def hugo_command(src: Path, force: bool, dry_run: bool) -> None:
    """Import a Hugo site (content/ with posts, bundles and pages)."""
    _run(import_hugo, src, force, dry_run)
