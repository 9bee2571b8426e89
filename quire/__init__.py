"""Quire: a Flask blog engine for long, math-heavy technical writing."""

import os
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

from .cache import TemplateCache
from .engine import Engine
from .incremental import engine_code

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENGINE_VERSION = "0.1.0"


def create_app(site_dir: str | os.PathLike | None = None, settings: dict[str, Any] | None = None,
               config: dict[str, Any] | None = None) -> Flask:
    """Create the Quire app over a site folder (default: QUIRE_SITE, else the project root)."""
    site = Path(site_dir or os.environ.get("QUIRE_SITE") or PROJECT_ROOT).resolve()
    overrides = dict(settings or {})
    if os.environ.get("QUIRE_DRAFTS") == "1":
        overrides["drafts"] = True
    app = Flask(__name__, root_path=str(PROJECT_ROOT), template_folder="templates", static_folder=None)
    # A site's own templates/ override the engine's by name (the example site's folder is the engine's).
    folders = dict.fromkeys([site / "templates", PROJECT_ROOT / "templates"])
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(folder)) for folder in folders])
    app.config.update(
        QUIRE_SITE=site,
        TEMPLATES_AUTO_RELOAD=True,
        FREEZER_IGNORE_MIMETYPE_WARNINGS=True,
        FREEZER_REMOVE_EXTRA_FILES=False,
        FREEZER_REDIRECT_POLICY="error",
    )
    app.config.update(config or {})
    cache = os.environ.get("QUIRE_CACHE_DIR", str(site / ".quire-cache"))
    cache_dir = Path(cache) if cache != "off" else None
    if cache_dir is not None:
        app.jinja_options = {**app.jinja_options, "bytecode_cache": TemplateCache(cache_dir, engine_code())}
    app.extensions["quire"] = engine = Engine(site, overrides, PROJECT_ROOT, cache_dir)
    app.before_request(engine.warm_once)

    from . import cli, live, outputs, views

    views.init_app(app)
    if app.debug:  # `flask run --debug`: pages reload themselves; a freeze never makes a debug app
        live.init_app(app, site, PROJECT_ROOT)
    outputs.init_app(app)
    cli.init_app(app, create_app)
    return app
