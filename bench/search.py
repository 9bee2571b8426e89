"""Quire's search beside Pagefind's on the same frozen site, in headless Chromium, in one run.

    python bench/search.py --posts 1000 3000 [--runs 3] [--json search.json]

For each size it makes the realistic corpus (bench/realistic_corpus.py: gen_corpus.py's posts with a vocabulary
that grows as Lil'Log's does), freezes it with Quire (timed) and indexes the frozen posts with Pagefind (the
`pagefind[bin]` package in a venv of its own under the cache folder, timed). It serves the output on loopback
with gzip, as GitHub Pages does, and then, alternating Quire and Pagefind in each round, opens the search page
in a fresh browser context, focuses the box (both load their first files on focus), types a first query, waits
for the first result and for the network to settle, then types a second query. For each query it reports the
bytes of search files that arrived before the first result (compressed body bytes, as sent) and the time from
the keystroke to the first result on screen (median of --runs).

Last it imports the Lil'Log posts (../shared/corpus) into a site, freezes it, indexes it with Pagefind and
reports hit@3 of both engines on tests/lillog_queries.json (Pagefind through its JavaScript API in Chromium).
"""

import argparse
import functools
import gzip
import http.server
import json
import mimetypes
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
LILLOG = PROJECT.parent / "shared" / "corpus" / "jekyll-lillog"
QUERIES = ("gradient", "replay buffer")
LILLOG_QUERIES = json.loads((PROJECT / "tests" / "lillog_queries.json").read_text(encoding="utf-8"))
PAGEFIND_VERSION = "1.5.2"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# What GitHub Pages compresses; Pagefind's own index files are gzipped already and served as they are.
COMPRESSED_TYPES = ("text/", "application/json", "application/javascript", "image/svg+xml")

# A minimal page for Pagefind's JavaScript API with the ids Quire's page has, so one probe times both. It loads
# Pagefind on focus (as Quire loads its first file), and shows the first five results (as Pagefind's UI does),
# each as soon as its data has arrived.
PAGEFIND_PAGE = """<!doctype html><meta charset="utf-8"><title>Pagefind</title>
<input id="search-input" type="search" autocomplete="off"><p id="search-status"></p><ul id="search-results"></ul>
<script>
let pagefind = null, generation = 0, timer = null;
const input = document.getElementById("search-input"), list = document.getElementById("search-results");
function load() {
  if (!pagefind) pagefind = import("/pagefind/pagefind.js").then(async (m) => { await m.init(); return m; });
  return pagefind;
}
async function firstData(query, n) {
  const found = await (await load()).search(query);
  return Promise.all(found.results.slice(0, n).map((r) => r.data()));
}
window.pagefindTop = async (query) => (await firstData(query, 3)).map((d) => d.url);
async function run() {
  const query = input.value, mine = ++generation;
  const found = await (await load()).search(query);
  if (mine !== generation) return;
  list.textContent = "";
  document.getElementById("search-status").textContent = found.results.length + " results";
  for (const result of found.results.slice(0, 5)) {
    const li = list.appendChild(document.createElement("li"));
    result.data().then((data) => {
      if (mine !== generation) return;
      li.className = "search-result";
      li.innerHTML = `<a href="${data.url}"><span class="result-title"></span><span>${data.excerpt}</span></a>`;
      li.querySelector(".result-title").textContent = data.meta.title;
    });
  }
}
input.addEventListener("focus", load, {once: true});
input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 60); });
</script>
"""
PROBE = """
window.__probe = {typed: null, result: null};
document.addEventListener("input", () => { window.__probe.typed ??= performance.now(); }, true);
new MutationObserver(() => {
  if (window.__probe.typed !== null && document.querySelector("#search-results .search-result"))
    window.__probe.result ??= performance.now();
}).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ["class"]});
"""
SEARCH_FILES = {"quire": ("/search/", "/static/search.js"), "pagefind": ("/pagefind/",)}
# Quire's snippet text is asked for only once the results are on screen: never part of the first result.
AFTER_RESULTS = "/search/text/"


def is_search_file(engine: str, path: str) -> bool:
    """Tell whether a request was the search's own (not the search page itself)."""
    return path.startswith(SEARCH_FILES[engine]) and path != "/search/"


def run_quiet(command: list[str], **kwargs) -> float:
    """Run a command at low priority, fail loudly with its output; return its wall time in seconds."""
    started = time.perf_counter()
    done = subprocess.run(["nice", *command], capture_output=True, text=True, **kwargs)
    if done.returncode:
        sys.exit(f"{' '.join(command)}: error: exit {done.returncode}\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def pagefind_binary(cache: Path) -> Path:
    """Install pagefind[bin] into a venv of the benchmark's own (once); return the binary."""
    venv = cache / "pagefind-venv"
    binary = next(venv.glob("lib/python*/site-packages/pagefind_bin/pagefind"), None)
    if binary is None:
        run_quiet([sys.executable, "-m", "venv", str(venv)])
        run_quiet([str(venv / "bin" / "pip"), "install", "-q", f"pagefind[bin]=={PAGEFIND_VERSION}"])
        binary = next(venv.glob("lib/python*/site-packages/pagefind_bin/pagefind"))
    return binary


def freeze(site: Path, out: Path, cache_dir: Path) -> float:
    """Freeze a site with Quire from a cold render cache; return the wall seconds."""
    subprocess.run(["rm", "-rf", str(out), str(cache_dir)], check=True)
    env = dict(os.environ, QUIRE_SITE=str(site), QUIRE_CACHE_DIR=str(cache_dir), PYTHONPATH=str(PROJECT))
    return run_quiet([sys.executable, "-m", "flask", "--app", str(PROJECT / "app.py"), "freeze", "--dest", str(out),
                      "--ignore-errors"], env=env)


def pagefind(binary: Path, out: Path) -> float:
    """Index the frozen posts (their article only) with Pagefind; return the wall seconds."""
    subprocess.run(["rm", "-rf", str(out / "pagefind")], check=True)
    seconds = run_quiet([str(binary), "--site", str(out), "--glob", "posts/*/index.html",
                         "--root-selector", "article.post", "--quiet"])
    (out / "pagefind-bench").mkdir(exist_ok=True)
    (out / "pagefind-bench" / "index.html").write_text(PAGEFIND_PAGE, encoding="utf-8")
    return seconds


def folder_bytes(folder: Path, compressed: bool = False) -> int:
    """Sum the sizes of a folder's files, or of what a gzip server would send for each."""
    return sum(len(body(p)) if compressed else p.stat().st_size for p in folder.rglob("*") if p.is_file())


def body(path: Path) -> bytes:
    """Return the bytes a gzip-serving host sends for a file."""
    data = path.read_bytes()
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return gzip.compress(data, 6, mtime=0) if kind.startswith(COMPRESSED_TYPES) else data


def serve(folder: Path) -> http.server.ThreadingHTTPServer:
    """Serve a folder on a free loopback port, gzip-encoding text as GitHub Pages does, quietly."""
    encoded: dict[tuple[Path, bool], bytes] = {}

    class Gzipped(http.server.SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # connections kept open, as a real host keeps them

        def send_head(self):
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                path = path / "index.html"
            if not path.is_file():
                return super().send_head()
            kind = self.guess_type(str(path))
            zipped = kind.startswith(COMPRESSED_TYPES) and "gzip" in self.headers.get("Accept-Encoding", "")
            if (path, zipped) not in encoded:  # compressed once, as a host's cache would keep it
                encoded[path, zipped] = body(path) if zipped else path.read_bytes()
            data = encoded[path, zipped]
            self.send_response(200)
            self.send_header("Content-Type", kind)
            if zipped:
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return _Bytes(data, lambda: server.sent.append((time.time() * 1000, self.path, len(data))))

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Gzipped, directory=str(folder)))
    # (wall-clock ms when a body was sent, path, bytes): counted here, since Pagefind fetches from a web worker,
    # whose requests the page's Resource Timing does not list.
    server.sent = []
    server.handle_error = lambda request, address: None  # a browser context closed mid-request: no matter
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _Bytes:
    """A file-like body for SimpleHTTPRequestHandler.copyfile; calls `done` once it has been sent."""

    def __init__(self, data: bytes, done):
        self.data, self.done = data, done

    def read(self, size: int = -1) -> bytes:
        data, self.data = (self.data, b"") if size < 0 else (self.data[:size], self.data[size:])
        return data

    def close(self) -> None:
        self.done()


def two_queries(browser, server, url: str, engine: str) -> list[tuple[int, float, int, list]]:
    """Open the search page fresh, focus the box, type two queries in turn. For each: bytes before the first
    result, ms to the first result, bytes until the shown results are complete, and the files."""
    server.sent.clear()
    context = browser.new_context()
    context.add_init_script(PROBE)
    page = context.new_page()
    page.goto(url)
    page.focus("#search-input")
    page.wait_for_load_state("networkidle")
    measured, since = [], 0.0
    for query in QUERIES:
        page.evaluate("window.__probe.typed = null; window.__probe.result = null")
        page.fill("#search-input", query)
        page.wait_for_function("window.__probe.result !== null", timeout=120_000)
        probe = page.evaluate("window.__probe")
        until = page.evaluate("performance.timeOrigin") + probe["result"]
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)  # snippets and data of the shown results settle before the next query
        files = [(at <= until and not path.startswith(AFTER_RESULTS), path, size)
                 for at, path, size in list(server.sent) if since < at and is_search_file(engine, path)]
        measured.append((sum(size for first, _, size in files if first), probe["result"] - probe["typed"],
                         sum(size for _, _, size in files), files))
        since = time.time() * 1000
    context.close()
    return measured


def lillog_hits(browser, cache: Path, binary: Path) -> dict:
    """Import Lil'Log into a site, freeze it, index it with Pagefind; hit@3 of both on the query set."""
    site, out = cache / "search-lillog", cache / "search-lillog-out"
    subprocess.run(["rm", "-rf", str(site)], check=True)
    site.mkdir(parents=True)
    (site / "site.toml").write_text('title = "Lil\'Log"\ntimezone = "UTC"\n', encoding="utf-8")
    env = dict(os.environ, QUIRE_SITE=str(site), PYTHONPATH=str(PROJECT))
    run_quiet([sys.executable, "-m", "flask", "--app", str(PROJECT / "app.py"), "import", "jekyll", str(LILLOG)],
              env=env)
    freeze(site, out, cache / "search-lillog-cache")
    pagefind(binary, out)
    sys.path.insert(0, str(PROJECT))
    from quire import create_app
    from quire.search import search_index
    app = create_app(site)
    with app.test_request_context():
        index = search_index(app.extensions["quire"].site())
    slugs = [post.slug for post in index.posts]
    quire = [want in [slugs[doc] for doc, _, _ in index.rank(query)[:3]] for query, want in LILLOG_QUERIES]
    server = serve(out)
    try:
        page = browser.new_context().new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/pagefind-bench/")
        found = [page.evaluate("(q) => window.pagefindTop(q)", query) for query, _ in LILLOG_QUERIES]
    finally:
        server.shutdown()
        server.server_close()
    theirs = [f"/posts/{want}/" in urls for (_, want), urls in zip(LILLOG_QUERIES, found, strict=True)]
    return {"queries": len(LILLOG_QUERIES), "quire": sum(quire), "pagefind": sum(theirs),
            "quire_missed": [q for (q, _), hit in zip(LILLOG_QUERIES, quire, strict=True) if not hit],
            "pagefind_missed": [q for (q, _), hit in zip(LILLOG_QUERIES, theirs, strict=True) if not hit]}


def measure_size(posts: int, args, binary: Path, browser) -> dict:
    """Build one size with both engines and measure both searches, alternating."""
    cache = args.cache
    site = cache / f"search-real-{posts}"
    if not (site / ".complete").exists():
        subprocess.run(["rm", "-rf", str(site)], check=True)
        run_quiet([sys.executable, str(PROJECT / "bench" / "realistic_corpus.py"), str(site), "--posts", str(posts)])
        (site / ".complete").write_text("")
    out = cache / f"search-real-{posts}-out"
    row = {"posts": posts, "quire_freeze_s": freeze(site, out, cache / f"search-real-{posts}-cache")}
    row["pagefind_build_s"] = pagefind(binary, out)
    row["quire_terms"] = sum(len(json.loads(shard.read_text(encoding="utf-8")))
                             for shard in (out / "search" / "shards").glob("*.json"))
    row["quire_files"] = sum(1 for f in (out / "search").rglob("*") if f.is_file())
    for engine, folder in (("quire", out / "search"), ("pagefind", out / "pagefind")):
        row[f"{engine}_index_bytes"] = folder_bytes(folder)
        row[f"{engine}_index_gzip_bytes"] = folder_bytes(folder, compressed=True)
    server = serve(out)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    runs = {"quire": [], "pagefind": []}
    try:
        for _ in range(args.runs):
            for engine, path in (("quire", "/search/"), ("pagefind", "/pagefind-bench/")):
                runs[engine].append(two_queries(browser, server, base + path, engine))
    finally:
        server.shutdown()
        server.server_close()
    for engine, measured in runs.items():
        for q in range(len(QUERIES)):
            key = f"{engine}_q{q + 1}"
            row[key + "_bytes"] = measured[0][q][0]
            row[key + "_ms"] = statistics.median(m[q][1] for m in measured)
            row[key + "_settled_bytes"] = measured[0][q][2]
            row[key + "_files"] = measured[0][q][3]
    return row


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, Pagefind {PAGEFIND_VERSION}"


def report(rows: list[dict], hits: dict | None) -> None:
    kib = lambda n: f"{n / 1024:.1f}"  # noqa: E731 - a local formatter
    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}")
    print(f"queries: 1st {QUERIES[0]!r}, 2nd {QUERIES[1]!r}; KiB = gzip-encoded body bytes before the first result")
    print(f"{'posts':>6} {'engine':<9} {'terms':>7} {'build s':>8} {'index MiB':>10} {'gz MiB':>7} "
          f"{'1st KiB':>8} {'1st ms':>7} {'(all)':>7} {'2nd KiB':>8} {'2nd ms':>7} {'(all)':>7}")
    for row in rows:
        for engine in ("quire", "pagefind"):
            build = row["quire_freeze_s" if engine == "quire" else "pagefind_build_s"]
            terms = row["quire_terms"] if engine == "quire" else ""
            print(f"{row['posts']:>6} {engine:<9} {terms!s:>7} {build:>8.1f} "
                  f"{row[engine + '_index_bytes'] / 2**20:>10.1f} {row[engine + '_index_gzip_bytes'] / 2**20:>7.1f} "
                  f"{kib(row[engine + '_q1_bytes']):>8} {row[engine + '_q1_ms']:>7.0f} "
                  f"{kib(row[engine + '_q1_settled_bytes']):>7} "
                  f"{kib(row[engine + '_q2_bytes']):>8} {row[engine + '_q2_ms']:>7.0f} "
                  f"{kib(row[engine + '_q2_settled_bytes']):>7}")
        ratio = row["quire_q1_bytes"] / row["pagefind_q1_bytes"]
        faster = row["quire_q1_ms"] <= row["pagefind_q1_ms"]
        print(f"{row['posts']:>6} first query: Quire/Pagefind bytes {ratio:.2f} (target <= 0.5: "
              f"{'met' if ratio <= 0.5 else 'NOT met'}), time {row['quire_q1_ms']:.0f} vs "
              f"{row['pagefind_q1_ms']:.0f} ms (target no more: {'met' if faster else 'NOT met'})")
    print("(all): every search byte of that query until the shown results are complete (Quire: 20 results with "
          "their snippet text; Pagefind: the 5 its UI shows, with their fragments)")
    print("build s: Quire's whole cold freeze (every page, search files included); Pagefind's indexing of the "
          "frozen posts")
    if hits:
        print(f"hit@3 on {hits['queries']} Lil'Log queries: Quire {hits['quire']}, Pagefind {hits['pagefind']}")
        print(f"  Quire missed: {hits['quire_missed']}\n  Pagefind missed: {hits['pagefind_missed']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "quire-bench")
    parser.add_argument("--runs", type=int, default=3, help="rounds of both engines (median time reported)")
    parser.add_argument("--no-quality", action="store_true", help="skip the Lil'Log hit@3 comparison")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.cache.mkdir(parents=True, exist_ok=True)
    binary = pagefind_binary(args.cache)
    rows, hits = [], None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for posts in args.posts:
                rows.append(measure_size(posts, args, binary, browser))
            if not args.no_quality and LILLOG.is_dir():
                hits = lillog_hits(browser, args.cache, binary)
        finally:
            browser.close()
    report(rows, hits)
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "rows": rows, "hit_at_3": hits}, indent=1))


if __name__ == "__main__":
    main()
