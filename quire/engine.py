"""The engine one app holds: settings, the content store, the current Site and the stylesheet."""

import hashlib
import threading
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .cache import RenderCache, engine_fingerprint
from .markdown import pygments_css, render_inline_markdown, warm_highlighter
from .site import Site
from .store import ContentStore


class Engine:
    """Hold what the views need, derived once per change of the content."""

    def __init__(self, site_dir: Path, settings: dict[str, Any], project_root: Path, cache_dir: Path | None):
        self.site_dir = site_dir
        self.settings = settings
        self.tz = ZoneInfo(settings["timezone"])
        self.cache = RenderCache(cache_dir, engine_fingerprint())
        self.store = ContentStore(site_dir, settings, self.cache)
        self.project_root = project_root
        smart = settings["smart_punctuation"]
        self.home_info_html = render_inline_markdown(settings["home_info_text"], smart)
        self.footer_html = render_inline_markdown(settings["footer_text"], smart)
        self._site: Site | None = None
        self._lock = threading.Lock()
        self._css: tuple[float, str, str] | None = None
        self.urls: dict[tuple[str, str, str], str] = {}
        # Now, not in a thread: a live thread would stop the content store from forking its render workers.
        warm_highlighter()

    def site(self) -> Site:
        """Return the Site for the content as it is now on disk."""
        snapshot = self.store.snapshot()
        now = datetime.now(self.tz)
        with self._lock:
            site = self._site
            stale = site is None or site.snapshot is not snapshot or (
                site.valid_until is not None and now >= site.valid_until)
            if stale:
                site = self._site = Site(snapshot, self.settings, now, self.settings["drafts"])
            return site

    def stylesheet(self) -> tuple[str, str]:
        """Return the site stylesheet (theme CSS plus Pygments CSS) and a short hash of it."""
        path = self.project_root / "static" / "quire.css"
        mtime = path.stat().st_mtime
        if self._css is None or self._css[0] != mtime:
            css = path.read_text(encoding="utf-8") + "\n/* Code highlighting (Pygments) */\n" + pygments_css()
            self._css = (mtime, css, hashlib.sha256(css.encode()).hexdigest()[:10])
        return self._css[1], self._css[2]
