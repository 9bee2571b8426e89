"""Score every page type of the frozen example site with Lighthouse (performance, accessibility, best practices, SEO).

    python bench/lighthouse.py

It freezes the example site with MathJax self-hosted (the npm copy under .cache/npm, as .ci/run installs it),
serves the output on loopback with gzip as static hosts do, and runs npm's `lighthouse` (installed into
~/.cache/quire-bench/lighthouse on first use) against Debian's Chromium.
"""

import argparse
import functools
import gzip
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
MATHJAX = PROJECT / ".cache" / "npm" / "node_modules" / "mathjax" / "es5"
PAGES = {"home": "/", "post": "/posts/2024-03-02-score-matching/",
         "post (bandits)": "/posts/2023-04-05-bandits-and-regret/",
         "post (all features)": "/posts/2024-05-19-policy-gradients/", "page": "/faq/", "tags": "/tags/",
         "tag": "/tags/math-heavy/", "archives": "/archives/", "search": "/search/", "404": "/404.html"}
TEXT = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", "/")


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Serve text files gzipped, as GitHub Pages and most static hosts do."""

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        if "gzip" in self.headers.get("Accept-Encoding", "") and self.path.split("?")[0].endswith(TEXT) \
                and os.path.isfile(path):
            with open(path, "rb") as f:
                body = gzip.compress(f.read())
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=600")
            self.end_headers()
            return io.BytesIO(body)
        return super().send_head()

    def log_message(self, *args):
        pass


def freeze_example(out: Path) -> None:
    """Freeze a copy of the example site whose MathJax is served from the site itself."""
    site = Path(tempfile.mkdtemp(prefix="quire-lh-site-"))
    for folder in ("posts", "pages"):
        shutil.copytree(PROJECT / folder, site / folder)
    settings = (PROJECT / "site.toml").read_text()
    (site / "site.toml").write_text(settings + '\nmathjax_url = "/mathjax/es5/startup.js"\n')
    env = dict(os.environ, QUIRE_SITE=str(site), QUIRE_CACHE_DIR="off")
    subprocess.run([sys.executable, "-m", "flask", "--app", str(PROJECT / "app.py"), "freeze", "--dest", str(out)],
                   check=True, env=env, capture_output=True)
    shutil.copytree(MATHJAX, out / "mathjax" / "es5")
    shutil.rmtree(site)


def lighthouse_bin(cache: Path) -> Path:
    """Return npm's lighthouse, installing it into the cache folder the first time."""
    binary = cache / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(cache), "lighthouse"],
                       check=True)
    return binary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "quire-bench" / "lighthouse")
    args = parser.parse_args()
    if not MATHJAX.is_dir():
        sys.exit(f"no MathJax at {MATHJAX}: npm install --prefix .cache/npm mathjax@3")
    binary = lighthouse_bin(args.cache)
    out = Path(tempfile.mkdtemp(prefix="quire-lh-out-")) / "site"
    freeze_example(out)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ, CHROME_PATH="/usr/bin/chromium")
    flags = "--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update"
    print(f"{'page':<16} {'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5}  TBT      CLS")
    try:
        for name, path in PAGES.items():
            report = out.parent / f"{name}.json"
            subprocess.run([str(binary), f"http://127.0.0.1:{server.server_address[1]}{path}",
                            f"--chrome-flags={flags}", "--quiet", "--output=json", f"--output-path={report}",
                            "--only-categories=performance,accessibility,best-practices,seo"],
                           check=True, env=env, capture_output=True, timeout=300)
            data = json.loads(report.read_text())
            scores = [round(c["score"] * 100) for c in data["categories"].values()]
            tbt = data["audits"]["total-blocking-time"]["displayValue"]
            cls = data["audits"]["cumulative-layout-shift"]["displayValue"]
            print(f"{name:<16} " + " ".join(f"{s:>5}" for s in scores) + f"  {tbt:<8} {cls}")
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(out.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
