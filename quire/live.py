"""Live reload for `flask run --debug`: one watcher thread per process, a server-sent-events stream per tab."""

import json
import os
import select
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from flask import Flask, Response, current_app, request, url_for
from markupsafe import Markup

from . import urls
from .content import MARKDOWN_SUFFIXES
from .store import is_leftover
from .watch import EVERYTHING, watcher

HEARTBEAT_SECONDS = 15  # a proxy or server without the dev server's socket notices a closed tab at a write
CHECK_SECONDS = 1.0  # how often a stream looks whether its tab hung up
STALE_SECONDS = 5 * CHECK_SECONDS
LINGER_SECONDS = 300.0  # the watcher outlives the last stream this long: a tab shown again then knows what changed
QUIET_SECONDS = 0.03  # an editor's save is several writes and renames: wait until they settle
SETTLE_SECONDS = 0.3  # ... but reload after this even if they go on
CONTENT = ("posts", "pages")


def affects(changed: set[str], source: str | None) -> bool:
    """Tell whether changed site paths (`posts/x.md`, `templates/base.html`) can change a page.

    A post or page (source: its file, such as `posts/b/index.md`) depends on its own file or bundle; every
    other page (source None: lists, tags, errors) on any content; every page on templates, static files and
    settings.
    """
    for path in changed:
        top = path.split("/", 1)[0]
        if top not in CONTENT:
            return True
        if source is None or path == source:
            return True
        if source.endswith("/index.md") and path.startswith(source[:-len("index.md")]):
            return True
    return False


def _relevant(path: str, site_dir: Path) -> bool:
    """Leave out editor leftovers, and files beside posts that are no content (vim's `4913` test file)."""
    parts = path.split("/")
    if any(is_leftover(p) for p in parts[1:]):
        return False
    if parts[0] in CONTENT and len(parts) == 2 and not parts[1].endswith(MARKDOWN_SUFFIXES):
        return (site_dir / path).is_dir()  # a bundle's folder; a removed one also reports its index.md
    return True


def _hung_up(sock) -> bool:
    """Tell whether the browser closed the connection (readable, with nothing to read)."""
    if sock is None:
        return False
    try:
        return bool(select.select([sock], [], [], 0)[0]) and sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


class Hub:
    """One watcher for the whole process, started by the first open stream and stopped a while after the last."""

    def __init__(self, site_dir: Path, project_root: Path, polling: bool = False, linger: float = LINGER_SECONDS):
        self.site_dir, self.project_root, self.polling, self.linger = site_dir, project_root, polling, linger
        self.boot = uuid.uuid4().hex  # a tab that reconnects to another process (after a restart) reloads
        self._streams: dict[object, float] = {}  # open stream -> when it last waited
        self.generation = 0
        self._history: list[tuple[int, frozenset[str]]] = []
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._last_stream = time.monotonic()
        self._watched = False

    def _roots(self) -> tuple[list[Path], list[Path]]:
        trees = [self.site_dir / name for name in (*CONTENT, "templates", "static")]
        engine = [self.project_root / name for name in ("templates", "static")]
        return trees + [t for t in engine if t not in trees], [self.site_dir / "site.toml"]

    def _name(self, path: str) -> str:
        """Name a changed file relative to the site folder; the engine's own files get an `engine/` prefix."""
        for root, prefix in ((self.site_dir, ""), (self.project_root, "engine/")):
            rel = os.path.relpath(path, root)
            if not rel.startswith(".."):
                return prefix + rel.replace(os.sep, "/")
        return EVERYTHING

    def _prune(self) -> None:
        # A stream that stopped waiting was left by a server that never closed it (the tab went away while the
        # server wrote): it no longer counts.
        stale = time.monotonic() - STALE_SECONDS
        for token in [t for t, seen in self._streams.items() if seen < stale]:
            del self._streams[token]

    @property
    def streams(self) -> int:
        """How many streams are open."""
        with self._changed:
            self._prune()
            return len(self._streams)

    def open(self, limit: int) -> tuple[object, int] | None:
        """Count a new stream in; return its token and the generation it starts from, or None at the limit."""
        with self._changed:
            self._prune()
            if len(self._streams) >= limit:
                return None
            token = object()
            self._streams[token] = time.monotonic()
            if self._thread is None:
                if self._watched:
                    # Nobody watched for a while: a tab coming back from then cannot know what it missed.
                    self._record(frozenset({EVERYTHING}))
                self._watched = True
                trees, files = self._roots()
                watch = watcher(trees, files, self.polling)
                self._thread = threading.Thread(target=self._run, args=(watch,), name="quire-live-reload",
                                                daemon=True)
                self._thread.start()
            return token, self.generation

    def close(self, token: object) -> None:
        """Count a stream out; the watcher stops when none is left."""
        with self._changed:
            self._streams.pop(token, None)
            self._last_stream = time.monotonic()

    def _run(self, watch) -> None:
        try:
            while True:
                changed, waited = watch.changes(0.5), 0.0
                while changed and waited < SETTLE_SECONDS:
                    more = watch.changes(QUIET_SECONDS)
                    if not more:
                        break
                    changed |= more
                    waited += QUIET_SECONDS
                names = frozenset(n for n in map(self._name, changed) if n == EVERYTHING or _relevant(n, self.site_dir))
                with self._changed:
                    if names:
                        self._record(names)
                    self._prune()
                    if self._streams:
                        self._last_stream = time.monotonic()
                    elif time.monotonic() - self._last_stream >= self.linger:
                        self._thread = None
                        return
        finally:
            watch.close()

    def _record(self, names: frozenset[str]) -> None:
        self.generation += 1
        self._history = [*self._history[-63:], (self.generation, names)]
        self._changed.notify_all()

    def wait(self, token: object, since: int, timeout: float) -> tuple[int, set[str]]:
        """Wait for changes after a generation; return the newest generation and what changed since."""
        with self._changed:
            self._changed.wait_for(lambda: self.generation > since, timeout)
            if token in self._streams:
                self._streams[token] = time.monotonic()
            if self._history and self._history[0][0] > since + 1:
                return self.generation, {EVERYTHING}  # older than the history kept: assume everything
            changed = set().union(*(names for gen, names in self._history if gen > since))
            return self.generation, changed


def stream_view():
    """Stream `reload` to a page when a file it depends on changes.

    ?source=posts/x.md names a post's file (none for lists); ?boot=...&since=N resume a stream that a hidden tab
    closed.
    """
    hub: Hub = current_app.extensions["quire.live"]
    source = request.args.get("source", "")[:1000] or None
    opened = hub.open(current_app.extensions["quire"].settings["live_reload_streams"])
    if opened is None:
        # EventSource gives up on an error status: the tab simply works without live reload.
        return Response("Too many live-reload streams are open; close some tabs.\n", 503, mimetype="text/plain")

    token, current = opened
    # A tab that was hidden (and so closed its stream) comes back with the generation it had seen: the changes
    # since then decide whether it reloads at once.
    resume = request.args.get("since", type=int)
    same_process = request.args.get("boot") == hub.boot
    since = resume if same_process and resume is not None and 0 <= resume <= current else current
    released = threading.Event()

    def release() -> None:
        if not released.is_set():
            released.set()
            hub.close(token)

    sock = request.environ.get("werkzeug.socket")  # the dev server's; other servers notice at a heartbeat

    def events() -> Iterator[str]:
        generation, quiet = since, 0.0
        try:
            yield f"retry: 1000\nevent: hello\ndata: {hub.boot} {current}\n\n"
            while True:
                generation, changed = hub.wait(token, generation, CHECK_SECONDS)
                if changed and (EVERYTHING in changed or affects(changed, source)):
                    yield "event: reload\ndata: \n\n"
                    return
                quiet = 0.0 if changed else quiet + CHECK_SECONDS
                if _hung_up(sock):
                    return
                if changed or quiet >= HEARTBEAT_SECONDS:
                    quiet = 0.0
                    yield ": still here\n\n"
        finally:  # also when a tab that went away makes a write fail and the suspended stream is collected
            release()

    response = Response(events(), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    # And when the response is closed before the stream ever started: the count of open streams stays true.
    response.call_on_close(release)
    return response


# A browser opens at most six connections to one host: only a tab in view keeps a stream open, so that tabs left
# in the background never starve the others. The reader's place is kept as the first block in the window and its
# offset, not as scrollY: math typeset after the reload changes the heights above it, so the place is set again
# on every resize until the page has kept its size for 3 s (however slowly the math comes) or the reader scrolls.
SCRIPT = """<script data-quire-live-reload>(function () {
  var key = "quire-live-place:" + location.pathname, boot = null, seen = null, es = null;
  // The text's own blocks: not the contents lists (the side one stays in view wherever the reader is) or notes.
  var blocks = function () {
    return Array.prototype.filter.call(
      document.querySelectorAll("main :is(p,h1,h2,h3,h4,h5,h6,li,pre,figure,table,blockquote,.math)"),
      function (el) { return !el.closest("nav, aside"); });
  };
  // A block is known by its tag and the start of its text (scripts that add blocks, such as the side contents,
  // may not have run yet when the place is set again) and by how many such blocks come before it.
  function mark(el) { return el.tagName + ":" + el.textContent.trim().slice(0, 80); }
  function reload() {
    var all = blocks(), i, r, seen = 0;
    // The first block in view that is shown at all (a closed contents list's items have no box).
    for (i = 0; i < all.length; i++) {
      r = all[i].getBoundingClientRect();
      if (all[i].getClientRects().length && r.top >= 0) break;
    }
    var found = all[i], m = found ? mark(found) : "";
    for (var j = 0; j < i; j++) if (mark(all[j]) === m) seen++;
    sessionStorage.setItem(key, JSON.stringify({mark: m, seen: seen, top: found ? r.top : 0, y: scrollY}));
    es.close();
    history.scrollRestoration = "manual";  // the browser's own restoring would undo the place set below
    location.reload();
  }
  var saved = sessionStorage.getItem(key);
  if (saved) {
    sessionStorage.removeItem(key);
    saved = JSON.parse(saved);
    addEventListener("load", function () {
      var ro, done = false, timer = null, el = null;
      function find() {
        var all = blocks(), n = saved.seen;
        for (var i = 0; i < all.length; i++) if (mark(all[i]) === saved.mark && n-- === 0) return all[i];
        return null;
      }
      function place() {
        // Kept once found: looking again on every resize while math is typeset would read every block's text.
        el = el || (saved.mark ? find() : null);
        var top = el ? scrollY + el.getBoundingClientRect().top - saved.top : saved.y;
        if (!done) scrollTo({top: top, behavior: "instant"});
        clearTimeout(timer);
        timer = setTimeout(stop, 3000);
      }
      function stop() { done = true; ro.disconnect(); }
      ro = new ResizeObserver(place);
      ro.observe(document.body);
      place();
      ["wheel", "touchstart", "keydown", "mousedown"].forEach(function (type) {
        addEventListener(type, stop, {once: true, passive: true});
      });
    });
  }
  function connect() {
    var url = STREAM;
    if (boot !== null) url += (url.indexOf("?") < 0 ? "?" : "&") + "boot=" + boot + "&since=" + seen;
    es = new EventSource(url);
    es.addEventListener("reload", reload);
    es.addEventListener("hello", function (event) {
      var hello = event.data.split(" ");
      if (boot !== null && boot !== hello[0]) reload();
      else if (seen === null) { boot = hello[0]; seen = hello[1]; }
    });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { if (es) { es.close(); es = null; } } else if (!es) connect();
  });
  if (!document.hidden) connect();
})();</script>"""


def live_reload_script(source: str | None) -> Markup:
    """Return the script a page carries under the debug server: reload on change, keeping the reader's place."""
    stream = url_for("live_reload", source=source) if source else url_for("live_reload")
    # JSON with `<` escaped is a safe JavaScript string inside <script> (HTML escapes are not decoded there).
    return Markup(SCRIPT.replace("STREAM", json.dumps(stream).replace("<", "\\u003c")))


def init_app(app: Flask, site_dir: Path, project_root: Path) -> None:
    """Serve the stream and put the script on every page: only under the debug server, so never frozen."""
    app.extensions["quire.live"] = Hub(site_dir, project_root)
    urls.register(app, {"live_reload": stream_view})
    app.jinja_env.globals["live_reload_script"] = live_reload_script
