"""The engine one app holds: settings, the content store, the current Site and the stylesheet."""

import hashlib
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .cache import RenderCache, engine_fingerprint
from .content import POST_SETTINGS
from .markdown import pygments_css, render_inline_markdown, warm_highlighter
from .settings import DEFAULTS, SettingsError, load_settings
from .site import Site
from .store import ContentStore


class Engine:
    """Hold what the views need, derived once per change of the content or of site.toml."""

    def __init__(self, site_dir: Path, overrides: dict[str, Any], project_root: Path, cache_dir: Path | None):
        self.site_dir = site_dir
        self.overrides = overrides
        self.project_root = project_root
        self.cache = RenderCache(cache_dir, engine_fingerprint())
        self.store: ContentStore | None = None
        self.settings: dict[str, Any] = {}
        self.settings_error: SettingsError | None = None
        self._settings_stamp: tuple | None = None
        self._site: Site | None = None
        self._lock = threading.Lock()
        self._css: tuple[float, str, str] | None = None
        self.refresh()
        self.warm_at_first_request = True

    def warm_once(self) -> None:
        """Import the lexers of common languages at the first request a server answers, so the first edited post
        renders as fast as the rest (a freeze, which renders each page once, turns this off)."""
        # In the request, not in a thread of its own: a live thread would stop the content store from forking.
        if self.warm_at_first_request:
            self.warm_at_first_request = False
            warm_highlighter()

    def _stamp(self) -> tuple:
        try:
            st = os.stat(self.site_dir / "site.toml")
        except OSError:
            return ()
        return st.st_mtime_ns, st.st_size

    def refresh(self) -> None:
        """Read site.toml again when it changed on disk, so the dev server needs no restart."""
        stamp = self._stamp()
        if stamp == self._settings_stamp:
            return
        with self._lock:
            if stamp == self._settings_stamp:
                return
            try:
                settings = load_settings(self.site_dir, self.overrides)
                self.settings_error = None
            except SettingsError as exc:
                # Keep serving with the last good settings (or the defaults) and show the error on every page.
                self.settings_error = exc
                settings = self.settings or dict(DEFAULTS)
            self._apply(settings)
            self._settings_stamp = stamp

    def _apply(self, settings: dict[str, Any]) -> None:
        old = self.settings
        self.settings = settings
        self.tz = ZoneInfo(settings["timezone"])
        if self.store is None or any(old.get(k) != settings[k] for k in POST_SETTINGS):
            self.store = ContentStore(self.site_dir, settings, self.cache)
        smart = settings["smart_punctuation"]
        self.home_info_html = render_inline_markdown(settings["home_info_text"], smart)
        self.footer_html = render_inline_markdown(settings["footer_text"], smart)
        self.urls: dict[tuple[str, str, str], str] = {}
        self._site = None

    def site(self) -> Site:
        """Return the Site for the content as it is now on disk."""
        snapshot = self.store.snapshot()
        now = datetime.now(self.tz)
        with self._lock:
            site = self._site
            stale = site is None or site.snapshot is not snapshot or (
                site.valid_until is not None and now >= site.valid_until)
            if stale:
                revised = Site.revised(site, snapshot, now) if site is not None else None
                site = self._site = revised or Site(snapshot, self.settings, now, self.settings["drafts"])
            return site

    def stylesheet(self) -> tuple[str, str]:
        """Return the site stylesheet (theme CSS plus Pygments CSS) and a short hash of it."""
        path = self.project_root / "static" / "quire.css"
        mtime = path.stat().st_mtime
        if self._css is None or self._css[0] != mtime:
            css = path.read_text(encoding="utf-8") + "\n/* Code highlighting (Pygments) */\n" + pygments_css()
            self._css = (mtime, css, hashlib.sha256(css.encode()).hexdigest()[:10])
        return self._css[1], self._css[2]
