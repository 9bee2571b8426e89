"""Measure the frozen site's first search in headless Chromium: bytes fetched and time to the first result.

    python bench/search.py --posts 50 1000 3000

For each size it generates the corpus (../shared/bench/gen_corpus.py), freezes it with Quire, serves the output
on loopback, types a query into /search/ and records every search file the page fetched until the first result
showed, beside the size of the PaperMod-shaped full-text /index.json of the same site (what Lil'Log's search
fetches before its first result).
"""

import argparse
import functools
import http.server
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
GENERATOR = PROJECT.parent / "shared" / "bench" / "gen_corpus.py"
QUERIES = ("gradient", "gradeint", "gradiant", "transformer attention")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def build(posts: int, cache: Path) -> Path:
    """Generate and freeze the corpus of `posts` posts; return the output folder."""
    site = cache / f"search-{posts}"
    if not (site / "posts").is_dir():
        subprocess.run([sys.executable, str(GENERATOR), str(site), "--posts", str(posts), "--flavor", "plain"],
                       check=True, capture_output=True)
        (site / "site.toml").write_text('title = "Bench"\ntimezone = "UTC"\n')
    out = cache / f"search-{posts}-out"
    env = dict(os.environ, QUIRE_SITE=str(site))
    subprocess.run([sys.executable, "-m", "flask", "--app", str(PROJECT / "app.py"), "freeze", "--dest", str(out),
                    "--ignore-errors"], check=True, env=env, capture_output=True)
    return out


def serve(folder: Path) -> http.server.ThreadingHTTPServer:
    """Serve a folder on a free loopback port, quietly."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def first_search(browser, base: str, query: str) -> tuple[int, int, float]:
    """Open the search page fresh, type the query; return (search bytes, files, ms to first result)."""
    context = browser.new_context()
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(base + "/search/")
    page.wait_for_load_state("networkidle")
    started = time.perf_counter()
    page.fill("#search-input", query)
    page.wait_for_selector(".search-result", timeout=60_000)
    elapsed = (time.perf_counter() - started) * 1000
    page.wait_for_load_state("networkidle")
    # Bodies are read after the fact: the sync API cannot be called from inside an event handler.
    fetched = [len(r.body()) for r in responses
               if "/search/" in r.url and not r.url.endswith(("/search/", ".js"))]
    context.close()
    return sum(fetched), len(fetched), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, nargs="+", default=[50, 1000, 3000])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "quire-bench")
    parser.add_argument("--runs", type=int, default=3, help="searches per query (median time reported)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for posts in args.posts:
            out = build(posts, args.cache)
            index_json = (out / "index.json").stat().st_size
            server = serve(out)
            base = f"http://127.0.0.1:{server.server_address[1]}"
            try:
                for query in QUERIES:
                    results = [first_search(browser, base, query) for _ in range(args.runs)]
                    size, files, _ = results[0]
                    ms = statistics.median(r[2] for r in results)
                    rows.append((posts, query, size, files, ms, index_json))
            finally:
                server.shutdown()
                server.server_close()
        browser.close()
    print(f"{'posts':>6} {'query':<22} {'search KB':>10} {'files':>6} {'first result ms':>16} "
          f"{'index.json KB':>14} {'ratio':>7}")
    for posts, query, size, files, ms, index_json in rows:
        print(f"{posts:>6} {query:<22} {size / 1024:>10.1f} {files:>6} {ms:>16.0f} {index_json / 1024:>14.1f} "
              f"{size / index_json:>7.3f}")
    print("ratio = bytes the first search fetched / bytes of the PaperMod-style full-text index.json "
          "(target: at most 0.25)")


if __name__ == "__main__":
    main()
