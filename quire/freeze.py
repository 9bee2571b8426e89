"""Freeze the site to static files with Frozen-Flask: built aside, swapped in only on success."""

import gc
import multiprocessing
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, url_for
from flask_frozen import Freezer, MissingURLGeneratorWarning

from .outputs import index_json_parts
from .search import search_index

MARKER = ".quire-build"
DIRECT_URLS = {"/index.json"}
KEEP = (".git", "CNAME", ".nojekyll")


class FreezeError(Exception):
    """A freeze that cannot go on; the previous output is untouched."""


@dataclass
class FreezeResult:
    pages: int
    files: int
    bytes: int
    seconds: float
    destination: Path


def check_destination(dest: Path) -> None:
    """Refuse to replace a folder that is not empty and was not written by Quire."""
    if dest.exists() and not dest.is_dir():
        raise FreezeError(f"{dest} is a file, not a folder: choose another --dest")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / MARKER).exists():
        raise FreezeError(f"{dest} is not empty and was not written by Quire (no {MARKER} file): "
                          f"refusing to replace it; choose an empty or new folder with --dest")


def _page_targets(engine):
    """Yield (endpoint, values) or URL paths for every page that takes arguments."""
    site = engine.site()
    per_page = engine.settings["posts_per_page"]
    for number in _extra_pages(len(site.listed), per_page):
        yield "index", {"number": number}
    for post in site.posts_by_slug.values():
        yield "post", {"slug": post.slug}
    for page in site.pages_by_slug.values():
        yield "page", {"slug": page.slug}
    for slug, group in site.tags.items():
        yield "tag", {"slug": slug}
        yield "tag_feed", {"slug": slug}
        for number in _extra_pages(len(group.posts), per_page):
            yield "tag", {"slug": slug, "number": number}
    yield from site.aliases


def _extra_pages(count: int, per_page: int) -> range:
    """Number the /page/N/ URLs of a list: 2 and up, plus 1 (a redirect page) when there is more than one."""
    pages = max(1, -(-count // per_page))
    return range(1 if pages > 1 else 2, pages + 1)


def _script_root(app: Flask) -> str:
    """Return the path the site is published under ('' at a domain's root), from FREEZER_BASE_URL."""
    return urlsplit(app.config.get("FREEZER_BASE_URL") or "").path.rstrip("/")


def page_urls(app: Flask) -> list[str]:
    """List every page URL (below the script root), argument-less rules first."""
    script = _script_root(app)
    urls = []
    with app.test_request_context(base_url=script or None):
        for rule in app.url_map.iter_rules():
            if not rule.arguments and "GET" in rule.methods:
                urls.append(url_for(rule.endpoint)[len(script):])
        for target in _page_targets(app.extensions["quire"]):
            urls.append(target if isinstance(target, str) else url_for(target[0], **target[1])[len(script):])
    return list(dict.fromkeys(urls))


def direct_files(app: Flask) -> list:
    """Return the files written without a request, as producers of (path, content) pairs.

    These are search data, the full-text index.json, static files and bundle files: each is exactly what the
    live route serves, but a request per file would cost more than the file. Producers are lazy, so a large
    blog's text is never all in memory at once; content is bytes, a file to copy, or an iterable of bytes.
    """
    engine = app.extensions["quire"]
    site = engine.site()
    index = search_index(site)
    producers = [lambda: ((f"search/shards/{name}.json", text.encode()) for name, text in index.shards().items()),
                 lambda: [("index.json", index_json_parts(site))]]
    for number, post in enumerate(index.posts):
        producers.append(lambda number=number, post=post: (
            (f"search/text/{number}-{chunk}.txt", text.encode()) for chunk, text in enumerate(post.terms.chunks)))
    for folder in (engine.project_root / "static", engine.site_dir / "static"):
        producers.append(lambda folder=folder: (("static/" + p.relative_to(folder).as_posix(), p)
                                                for p in _walk(folder)))
    with app.test_request_context():
        bundles = [(engine.site_dir / p.bundle, url_for(p.kind, slug=p.slug).lstrip("/"))
                   for p in (*site.posts_by_slug.values(), *site.pages_by_slug.values()) if p.bundle]
    for bundle, prefix in bundles:
        producers.append(lambda bundle=bundle, prefix=prefix: (
            (prefix + p.relative_to(bundle).as_posix(), p) for p in _walk(bundle) if p.name != "index.md"))
    return producers


def _walk(folder: Path):
    if not folder.is_dir():
        return
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                yield Path(root) / name


def freeze(app: Flask, dest: Path, progress=None, jobs: int | None = None) -> FreezeResult:
    """Write every URL of the app into dest, atomically; raise FreezeError on any failure."""
    started = time.perf_counter()
    dest = dest.resolve()
    check_destination(dest)
    site = app.extensions["quire"].site()
    problems = [str(e) for e in site.errors] + site.conflicts
    if problems:
        raise FreezeError("\n".join(problems) + f"\n{len(problems)} content error(s): nothing was written")
    dest.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(dest)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        pages = _write(app, work, progress, jobs if jobs is not None else os.cpu_count() or 1)
        (work / MARKER).write_text("Written by Quire's `flask freeze`; the next freeze replaces this folder.\n")
        _swap(work, dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    files = sizes = 0
    for path in _walk_all(dest):
        files += 1
        sizes += path.stat().st_size
    return FreezeResult(pages, files, sizes, time.perf_counter() - started, dest)


def _remove_leftovers(dest: Path) -> None:
    """Delete the work folders of earlier freezes of dest that were killed before they finished."""
    for stale in dest.parent.glob(f".{dest.name}.*"):
        if stale.is_dir() and (stale.name.endswith(".tmp") or ".old-" in stale.name):
            shutil.rmtree(stale, ignore_errors=True)


def _walk_all(folder: Path):
    for root, _, names in os.walk(folder):
        if ".git" in Path(root).relative_to(folder).parts:
            continue
        for name in names:
            yield Path(root) / name


def _freeze_share(app: Flask, work: Path, urls: list[str], files: list, tick, crawl: bool) -> int:
    # tick() is called once per file written.
    """Freeze some page URLs with Frozen-Flask and write some direct files; return the page count."""
    app.config["FREEZER_DESTINATION"] = str(work)
    freezer = Freezer(app, with_static_files=False, with_no_argument_rules=False, log_url_for=crawl)
    freezer.register_generator(lambda: urls)
    pages = 0
    with warnings.catch_warnings():
        # Some endpoints are written directly, and a site may have no pages or bundles at all.
        warnings.simplefilter("ignore", MissingURLGeneratorWarning)
        try:
            for _page in freezer.freeze_yield():
                pages += 1
                tick()
        except ValueError as exc:
            raise FreezeError(f"error: {exc}") from exc
    with app.test_request_context(base_url=_script_root(app) or None):
        for produce in files:
            for rel, content in produce():
                target = work / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, Path):
                    shutil.copyfile(content, target)
                elif isinstance(content, bytes):
                    target.write_bytes(content)
                else:
                    with open(target, "wb") as f:
                        f.writelines(content)
                tick()
    return pages


_FORKED: tuple = ()


def _run_share(number: int):
    """Freeze one share in a forked worker; report failures as text (exceptions may not pickle)."""
    app, work, shares, counter = _FORKED

    written = [0]

    def tick() -> None:
        written[0] += 1
        if written[0] % 50 == 0:  # a shared counter is slow to lock: report in steps
            with counter.get_lock():
                counter.value += 50

    try:
        pages = _freeze_share(app, work, *shares[number], tick, crawl=False)
        with counter.get_lock():
            counter.value += written[0] % 50
        return pages
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def _write(app: Flask, work: Path, progress, jobs: int) -> int:
    """Write all pages and files into work, in `jobs` forked processes when there is enough to share.

    progress, if given, is called now and then with the number of files written so far.
    """
    urls = [url for url in page_urls(app) if url not in DIRECT_URLS]
    files = direct_files(app)
    if jobs <= 1 or len(urls) < 100:
        done = [0]

        def tick() -> None:
            done[0] += 1
            if progress and done[0] % 20 == 0:
                progress(done[0])

        # One process: also follow every url_for made while rendering, as a safety net.
        pages = _freeze_share(app, work, urls, files, tick, crawl=True)
        if progress:
            progress(done[0])  # the final count, whatever the step
        return pages
    global _FORKED
    context = multiprocessing.get_context("fork")
    counter = context.Value("i", 0)
    _FORKED = (app, work, [(urls[i::jobs], files[i::jobs]) for i in range(jobs)], counter)
    # Keep the collector away from the inherited objects: touching them would copy every page per worker.
    gc.freeze()
    try:
        with context.Pool(jobs) as pool:
            result = pool.map_async(_run_share, range(jobs))
            while not result.ready():
                result.wait(0.25)
                if progress:
                    progress(counter.value)
            outcomes = result.get()
            if progress:
                progress(counter.value)
    finally:
        _FORKED = ()
        gc.unfreeze()
    failures = [o for o in outcomes if isinstance(o, str)]
    if failures:
        raise FreezeError("error: " + "\n".join(failures))
    return sum(outcomes)


def _swap(work: Path, dest: Path) -> None:
    """Move the kept files of the old output into the new one, then swap the folders."""
    if dest.exists():
        for name in KEEP:
            if (dest / name).exists() and not (work / name).exists():
                os.replace(dest / name, work / name)
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.replace(dest, old)
        os.replace(work, dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(work, dest)
