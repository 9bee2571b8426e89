#!/usr/bin/env python3
"""Time live reload: from a post's save to the reloaded page's `load` event in headless Chromium.

    python bench/live_reload.py [--posts 1000] [--saves 15] [--cache DIR] [--chromium /usr/bin/chromium]

Serves the generated corpus with `flask run --debug` (reloader off), opens the post nearest 6,000 words, and
appends a sentence to it `--saves` times, each time waiting for the page to reload itself. Also measures what
open tabs cost the idle server (CPU per second with 1 and with 10 tabs open). Needs Playwright and Chromium.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import measure
import peers as setup

ROOT = Path(__file__).resolve().parent.parent


def idle_cpu_ms_per_s(pid: int, seconds: float) -> float:
    """CPU milliseconds a second the server spends while nothing changes."""
    before = measure.process_cpu(pid)
    time.sleep(seconds)
    return (measure.process_cpu(pid) - before) / seconds * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--saves", type=int, default=15, help="timed saves (after one unmeasured)")
    ap.add_argument("--cache", type=Path, default=Path("~/.cache/quire-bench"))
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    cache = args.cache.expanduser().resolve()
    corpus = setup.corpus(cache, args.posts, args.seed)
    _, post, words = setup.pick_posts(corpus)
    slug = post.stem
    port = measure.free_port()
    env = dict(os.environ, QUIRE_SITE=str(corpus.plain), QUIRE_CACHE_DIR=str(cache / f"quire-cache-{args.posts}"),
               FLASK_DEBUG="1")
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", str(ROOT / "app.py"), "run", "--no-reload",
                               "--no-debugger", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    original = post.read_bytes()
    (corpus.root / ".dirty").touch()
    base = f"http://127.0.0.1:{port}"
    try:
        start = measure.wait_until_up(port, server, 600)
        measure.get(port, f"/posts/{slug}/")
        print(f"Quire live reload, {args.posts} posts; post {slug} ({words} words); server up in {start:.1f} s")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium)
            context = browser.new_context()
            context.route(lambda url: not url.startswith(base), lambda route: route.abort())
            page = context.new_page()
            page.goto(f"{base}/posts/{slug}/", wait_until="load")
            timings = []
            for i in range(args.saves + 1):
                page.wait_for_timeout(300)  # the new page's stream is open
                with page.expect_navigation(wait_until="load", timeout=30_000):
                    saved = time.time() * 1000
                    post.write_bytes(original + f"\n\nSaved for the benchmark, time {i}.\n".encode())
                loaded = page.evaluate("performance.timeOrigin + performance.getEntriesByType('navigation')[0]"
                                       ".loadEventStart")
                if i:
                    timings.append(loaded - saved)
            timings.sort()
            print(f"save -> reloaded page's load event: median {statistics.median(timings):.0f} ms, "
                  f"min {timings[0]:.0f}, max {timings[-1]:.0f} ({len(timings)} saves)")
            print(f"idle server, 1 tab open: {idle_cpu_ms_per_s(server.pid, 10):.1f} ms CPU per second")
            tabs = [browser.new_context() for _ in range(9)]
            for tab in tabs:
                tab.route(lambda url: not url.startswith(base), lambda route: route.abort())
                tab.new_page().goto(f"{base}/", wait_until="load")
            time.sleep(2)
            print(f"idle server, 10 tabs open: {idle_cpu_ms_per_s(server.pid, 10):.1f} ms CPU per second")
            browser.close()
        time.sleep(1)
        print(f"idle server, no tab open: {idle_cpu_ms_per_s(server.pid, 10):.1f} ms CPU per second")
    finally:
        post.write_bytes(original)
        (corpus.root / ".dirty").unlink(missing_ok=True)
        measure.stop(server)


if __name__ == "__main__":
    main()
