"""Helpers for the browser tests: loopback servers, the local MathJax copy, and a watch on console and network."""

import functools
import http.server
import mimetypes
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler, make_server

PROJECT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
NPM = PROJECT / ".cache" / "npm" / "node_modules"
MATHJAX_DIR = NPM / "mathjax" / "es5"
AXE_JS = NPM / "axe-core" / "axe.min.js"
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/"
MERMAID_DIR = NPM / "mermaid" / "dist"
MERMAID_CDN = "https://cdn.jsdelivr.net/npm/mermaid@11/dist/"
LOOPBACK = ("127.0.0.1", "localhost")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class _ServerThread:
    """A server running on a free loopback port in a daemon thread, with its URL."""

    def __init__(self, server, port: int):
        self.server = server
        self.url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def _close_once_sent(app):
    """Wrap a WSGI app so that each response is closed as soon as its body has been sent.

    Werkzeug's server (3.1) closes a response only after draining the request socket, and that drain raises
    ConnectionResetError when the browser resets the connection (it left the page before, say, the favicon was
    read): the file behind a send_from_directory response was then left to the garbage collector, whose
    "unclosed file" ResourceWarning failed whichever test was running.
    """

    def body_then_close(body):
        try:
            yield from body
        finally:  # also runs when an unfinished body is collected
            if hasattr(body, "close"):
                body.close()

    def closing_app(environ, start_response):
        return body_then_close(app(environ, start_response))

    return closing_app


class LiveServer(_ServerThread):
    """Run a Flask app on a free loopback port in a thread."""

    def __init__(self, app):
        server = make_server("127.0.0.1", 0, _close_once_sent(app), threaded=True, request_handler=_QuietHandler)
        super().__init__(server, server.server_port)


class _StaticHandler(http.server.SimpleHTTPRequestHandler):
    """Serve a frozen site as a static host does: a missing file gets 404.html with status 404."""

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, *args):
        pass


class _StaticHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A browser that drops a connection mid-response (a page closed early) is not an error here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class StaticServer(_ServerThread):
    """Serve a folder on a free loopback port in a thread."""

    def __init__(self, folder: Path):
        server = _StaticHTTPServer(("127.0.0.1", 0), functools.partial(_StaticHandler, directory=str(folder)))
        super().__init__(server, server.server_address[1])


def is_external(url: str) -> bool:
    """Tell whether a request would leave the machine."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOOPBACK


@functools.cache
def _local_file(folder: Path, rel: str) -> tuple[int, bytes, str]:
    path = (folder / rel).resolve()
    if not path.is_relative_to(folder.resolve()) or not path.is_file():
        return 404, b"not in the local npm copy", "text/plain"
    kind = "text/javascript" if path.suffix == ".mjs" else mimetypes.guess_type(path.name)[0]
    return 200, path.read_bytes(), kind or "application/octet-stream"


def _serve_local(route, cdn: str, folder: Path) -> None:
    status, body, kind = _local_file(folder, route.request.url[len(cdn):].split("?")[0].split("#")[0])
    route.fulfill(status=status, body=body, headers={"Content-Type": kind, "Access-Control-Allow-Origin": "*"})


def route_outside(context, mathjax: str = "local") -> None:
    """Keep a browser context on loopback: the MathJax CDN is served from the local copy ("local") or
    aborted ("block"), the Mermaid CDN from its local copy; every other outside request is aborted (and so shows
    up as a failed request)."""

    def handle(route):
        if route.request.url.startswith(MATHJAX_CDN) and mathjax == "local":
            _serve_local(route, MATHJAX_CDN, MATHJAX_DIR)
        elif route.request.url.startswith(MERMAID_CDN):
            _serve_local(route, MERMAID_CDN, MERMAID_DIR)
        else:
            route.abort("blockedbyclient")

    context.route(is_external, handle)


class Watch:
    """Collect a page's console errors, uncaught exceptions, failed requests and HTTP errors."""

    def __init__(self, page):
        self.console: list[str] = []
        self.failed: list[str] = []
        self.responses: list = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.console.append(f"uncaught: {exc}"))
        page.on("requestfailed", lambda req: self.failed.append(f"{req.url} ({req.failure})"))
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type in ("error", "warning") and "Failed to load resource" not in message.text:
            self.console.append(f"{message.type}: {message.text}")
        elif message.type == "error":
            # Chromium's own "Failed to load resource" line; the request itself is recorded below.
            self.console.append(f"error: {message.text} [{message.location.get('url', '')}]")

    def _response(self, response) -> None:
        self.responses.append(response)
        if response.status >= 400:
            self.failed.append(f"{response.url} (HTTP {response.status})")

    def clear(self) -> None:
        self.console.clear()
        self.failed.clear()
        self.responses.clear()
