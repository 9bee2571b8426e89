#!/usr/bin/env python3
"""Where a cold Quire freeze spends its time, stage by stage, in one process.

    python bench/profile.py [--posts 1000] [--cache DIR] [--warm]

It freezes the benchmark's corpus (made by bench/run.py, or made here the same way) into a temporary folder
with an empty render cache (`--warm`: with the cache the previous run left), in this process and on one core,
with a timer around each stage's functions. A stage's time is its own: a function it calls that belongs to
another stage is counted there (Pygments inside Markdown, the store's loading inside the check). No profiler
runs, so the figures are the real costs. Stages are timed in CPU seconds of this process (user and system),
which other load on the machine changes much less than wall time. On 2 cores a real freeze shares the work
between two processes.
"""

import argparse
import functools
import os
import sys
import tempfile
import time
from pathlib import Path

START = time.process_time()
START_WALL = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

# (stage, module, attribute): a dotted attribute is a method of a class in that module.
STAGES = [
    ("read files, front matter, post model", "quire.content", "load_post"),
    ("Markdown (mistune and Quire's renderer)", "quire.markdown", "render_markdown"),
    ("Pygments", "quire.markdown", "highlight_code"),
    ("math check, heading ids, summaries", "quire.markdown", "html_ids"),
    ("search terms of each post", "quire.terms", "index_terms"),
    ("render cache (pickle, zlib, files)", "quire.cache", "RenderCache.get"),
    ("render cache (pickle, zlib, files)", "quire.cache", "RenderCache.put"),
    ("check (flask check)", "quire.check", "check_site"),
    ("pages (Flask views, Jinja, writing)", "flask_frozen", "Freezer._build_one"),
    ("search index and its files", "quire.search", "SearchIndex.build"),
    ("search index and its files", "quire.search", "index_json_parts"),
    ("search index and its files", "quire.search", "SearchIndex.shards"),
    ("search index and its files", "quire.terms", "Terms.chunks"),
    ("writing direct files (search, static)", "quire.freeze", "write_file"),
    ("incremental manifest", "quire.incremental", "manifest"),
    ("swap into place, remove old output", "quire.freeze", "_swap"),
]


class Clock:
    """Exclusive time per stage: a nested call of another stage is taken out of its caller's time."""

    def __init__(self):
        self.spent: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.stack: list[list[float]] = []

    def wrap(self, stage: str, func):
        @functools.wraps(func)
        def timed(*args, **kwargs):
            frame = [time.process_time(), 0.0]
            self.stack.append(frame)
            try:
                return func(*args, **kwargs)
            finally:
                total = time.process_time() - frame[0]
                self.stack.pop()
                self.spent[stage] = self.spent.get(stage, 0.0) + total - frame[1]
                self.calls[stage] = self.calls.get(stage, 0) + 1
                if self.stack:
                    self.stack[-1][1] += total
        return timed


def install(clock: Clock) -> None:
    """Put a timer around every stage's function, wherever a module imported it by name."""
    import importlib

    for stage, module_name, attribute in STAGES:
        module = importlib.import_module(module_name)
        owner_name, _, name = attribute.rpartition(".")
        owner = getattr(module, owner_name) if owner_name else module
        original = owner.__dict__[name]
        if isinstance(original, property):
            setattr(owner, name, property(clock.wrap(stage, original.fget)))
            continue
        if isinstance(original, classmethod):
            setattr(owner, name, classmethod(clock.wrap(stage, original.__func__)))
            continue
        timed = clock.wrap(stage, original)
        setattr(owner, name, timed)
        if owner_name:
            continue
        for other in list(sys.modules.values()):
            if getattr(other, "__name__", "").startswith("quire") and getattr(other, name, None) is original:
                setattr(other, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path("~/.cache/quire-bench"))
    parser.add_argument("--warm", action="store_true", help="keep the render cache of the previous run")
    args = parser.parse_args()

    import peers

    corpus = peers.corpus(args.cache.expanduser().resolve(), args.posts, args.seed)
    cache_dir = args.cache.expanduser().resolve() / f"profile-cache-{args.posts}"
    if not args.warm and cache_dir.exists():
        import shutil
        shutil.rmtree(cache_dir)
    os.environ.update(QUIRE_SITE=str(corpus.plain), QUIRE_CACHE_DIR=str(cache_dir))
    os.cpu_count = lambda: 1  # one process: every stage is timed here, none in a forked worker

    clock = Clock()
    from quire import create_app
    from quire.freeze import freeze

    app = create_app()
    startup = time.process_time() - START
    install(clock)
    with tempfile.TemporaryDirectory() as folder:
        built = time.process_time()
        result = freeze(app, Path(folder) / "out", ignore_errors=True)
        freezing = time.process_time() - built
    total = time.process_time() - START
    wall = time.perf_counter() - START_WALL

    rows = [("start-up (Python, imports, create_app)", startup, 1)]
    rows += sorted(((s, t, clock.calls[s]) for s, t in clock.spent.items()), key=lambda row: -row[1])
    rows.append(("other (Flask, Frozen-Flask, site model, glue)", freezing - sum(clock.spent.values()), 0))
    print(f"{'cold' if not args.warm else 'warm'} freeze of {args.posts} posts, one process: "
          f"{result.pages} pages, {result.files} files; {wall:.2f} s wall, {total:.2f} s CPU")
    print("| stage | CPU s | share | calls |\n| --- | ---: | ---: | ---: |")
    for stage, seconds, calls in rows:
        print(f"| {stage} | {seconds:.2f} | {seconds / total:.0%} | {calls or ''} |")


if __name__ == "__main__":
    main()
