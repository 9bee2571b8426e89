"""Serve a generated site with a real WSGI server and load it from loopback clients while posts are saved.

    python bench/serve.py                        # waitress, 32 clients, 20 s
    python bench/serve.py --server gunicorn --clients 32 --seconds 20

32 client threads request the home page, a post and /search/?q= in turn, on keep-alive connections to
127.0.0.1 only, for a bounded time, while another thread saves the requested post atomically (a temporary
file, then os.replace) every --save-every seconds. The same load runs first for --warmup seconds, unmeasured
but checked. It prints the requests, the errors (a status other than 200, a connection error, or a body cut
short), latencies and the server's resident memory (VmRSS summed over its process tree) after the warm-up and
at the end. Exit status 1 when there was an error or memory grew by 10% or more.
Standard library only, plus the server under test (`pip install quire[serve]` gives waitress).
"""

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import measure  # bench/measure.py, beside this script

PROJECT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only: never point this at another address
END = "THE-END-OF-THE-POST"


def make_site(folder: Path, posts: int) -> None:
    """Write a small blog: posts with prose, math, code and tags."""
    (folder / "posts").mkdir(parents=True)
    (folder / "pages").mkdir()
    (folder / "site.toml").write_text('title = "Serve bench"\nbase_url = "http://127.0.0.1/"\n')
    for i in range(posts):
        (folder / "posts" / f"p{i}.md").write_text(post_text(i, 0))


def post_text(i: int, version: int) -> str:
    paragraph = (f"Gradient descent, version {version}, on post {i}: the loss $L(\\theta)$ falls as "
                 f"$\\theta \\leftarrow \\theta - \\eta \\nabla L$. ") * 6
    body = "\n\n".join(f"## Section {s}\n\n{paragraph}\n\n```python\nx = {s}\n```" for s in range(12))
    return (f"---\ntitle: Post {i}\ndate: 2024-01-{i % 28 + 1:02d}\ntags: [t{i % 5}, gradient]\n---\n"
            f"{body}\n\n{END}\n")


def server_command(server: str, port: int, threads: int, workers: int) -> list[str]:
    if server == "waitress":
        return [sys.executable, "-m", "waitress", f"--listen={HOST}:{port}", f"--threads={threads}",
                "--call", "quire:create_app"]
    return [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
            "--bind", f"{HOST}:{port}", "quire:create_app()"]


def tree_rss_kib(pid: int) -> int:
    """Sum VmRSS over a process and its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    tree, todo = set(), [pid]
    while todo:
        current = todo.pop()
        tree.add(current)
        todo += [child for child, parent in parents.items() if parent == current and child not in tree]
    total = 0
    for member in tree:
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def get(conn_box: list, path: str, timeout: float) -> tuple[int, bytes]:
    """GET a path on a kept-alive connection, reconnecting once if the server closed it."""
    for attempt in range(2):
        if conn_box[0] is None:
            conn_box[0] = http.client.HTTPConnection(HOST, conn_box[1], timeout=timeout)
        try:
            conn_box[0].request("GET", path)
            response = conn_box[0].getresponse()
            return response.status, response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn_box[0].close()
            conn_box[0] = None
            if attempt:
                raise
    raise AssertionError("unreachable")


def load(site: Path, port: int, urls: list[str], args, seconds: float, sample=None) -> dict:
    """Run the clients and the saver for a number of seconds; sample() is called once a second."""
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    counts = {"requests": 0, "errors": 0, "saves": 0}
    errors: list[str] = []
    latencies: list[float] = []

    def client(number: int) -> None:
        conn = [None, port]
        i = number
        while time.monotonic() < stop:
            url = urls[i % len(urls)]
            i += 1
            started = time.perf_counter()
            try:
                status, body = get(conn, url, 10)
                problem = None if status == 200 else f"{url}: status {status}"
                if not problem and url.startswith("/posts/") and END.encode() not in body:
                    problem = f"{url}: body cut short ({len(body)} bytes)"
                if not problem and not body.rstrip().endswith(b"</html>"):
                    problem = f"{url}: page not complete"
            except (OSError, http.client.HTTPException) as exc:
                problem = f"{url}: {type(exc).__name__}: {exc}"
            with lock:
                counts["requests"] += 1
                latencies.append(time.perf_counter() - started)
                if problem:
                    counts["errors"] += 1
                    if len(errors) < 10:
                        errors.append(problem)

    def saver() -> None:
        target = site / "posts" / "p1.md"
        while time.monotonic() < stop:
            counts["saves"] += 1
            tmp = site / "posts" / ".p1.md.tmp"  # a hidden name: never listed as content
            tmp.write_text(post_text(1, counts["saves"]))
            os.replace(tmp, target)
            time.sleep(args.save_every)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    threads.append(threading.Thread(target=saver))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    while time.monotonic() < stop:
        if sample:
            sample()
        time.sleep(min(1, max(0, stop - time.monotonic())))
    for thread in threads:
        thread.join(timeout=30)
    latencies.sort()
    return {**counts, "elapsed": time.monotonic() - started, "first_errors": errors, "latencies": latencies}


def run(args) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="quire-serve-bench-"))
    site = folder / "site"
    make_site(site, args.posts)
    port = measure.free_port()
    env = dict(os.environ, QUIRE_SITE=str(site),
               PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")])))
    log = folder / "server.log"
    with open(log, "w") as sink:
        server = subprocess.Popen(server_command(args.server, port, args.threads, args.workers), env=env,
                                  cwd=folder, stdout=subprocess.DEVNULL, stderr=sink)
    urls = ["/", "/posts/p1/", "/search/?q=gradient"]
    try:
        try:
            measure.wait_until_up(port, server, 60)
        except RuntimeError as exc:
            raise SystemExit(f"{exc}:\n{log.read_text()[-2000:]}") from None
        # Warm up under the same load: the server's threads and caches reach their working size first.
        warm = load(site, port, urls, args, args.warmup)
        rss_start = tree_rss_kib(server.pid)
        samples: list[int] = []
        result = load(site, port, urls, args, args.seconds, lambda: samples.append(tree_rss_kib(server.pid)))
        rss_end = tree_rss_kib(server.pid)
    finally:
        measure.stop(server)
        shutil.rmtree(folder, ignore_errors=True)
    latencies, elapsed = result["latencies"], result["elapsed"]
    growth = (rss_end - rss_start) / rss_start * 100 if rss_start else 0.0
    return {
        "server": args.server, "clients": args.clients, "seconds": round(elapsed, 1), "posts": args.posts,
        "requests": result["requests"], "requests_per_s": round(result["requests"] / elapsed, 1),
        "errors": result["errors"], "first_errors": result["first_errors"], "warmup_errors": warm["errors"],
        "saves": result["saves"],
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else None,
        "rss_start_mib": round(rss_start / 1024, 1), "rss_end_mib": round(rss_end / 1024, 1),
        "rss_max_mib": round(max(samples, default=rss_end) / 1024, 1), "rss_growth_percent": round(growth, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=["waitress", "gunicorn"], default="waitress")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20, help="length of the measured run (at most 300)")
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--threads", type=int, default=8, help="server threads (per worker for gunicorn)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--save-every", type=float, default=0.2, help="seconds between atomic saves of the post")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of the same load before measuring")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    args.seconds, args.warmup = min(args.seconds, 300), min(args.warmup, 60)  # bounded, whatever is asked
    result = run(args)
    for key, value in result.items():
        print(f"{key:>20}: {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    failed = result["errors"] or result["warmup_errors"] or result["rss_growth_percent"] >= 10
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
