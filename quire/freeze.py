"""Freeze the site to static files with Frozen-Flask: built aside, swapped in only on success."""

import contextlib
import fcntl
import functools
import gc
import multiprocessing
import os
import shutil
import stat
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import Flask, url_for
from flask_frozen import Freezer, MissingURLGeneratorWarning

from . import urls
from .check import check_site
from .content import tag_slug
from .context import absolute, url_of
from .images import pillow_version
from .incremental import (
    Reuse,
    adopt_previous,
    carry_over,
    content_digest,
    digest_of,
    engine_code,
    manifest,
    pages_to_render,
    previous_path,
    prune_to,
    read_manifest,
    same_shape,
    stream_digest,
    unchanged_posts,
    write_manifest,
)
from .index_file import IndexFile, record_of
from .outputs import search_doc_json
from .paths import KEEP, MARKER, nfc, output_problem, resolves_inside
from .responsive import keep_variant, variant_file, variant_names
from .search import search_index
from .workers import Aside, die_with_parent


class FreezeError(Exception):
    """A freeze that cannot go on; the previous output is untouched."""


@dataclass
class FreezeResult:
    pages: int
    files: int
    bytes: int
    seconds: float
    destination: Path
    rendered: int = 0  # pages rendered; the others were carried over unchanged from the previous build


def check_destination(dest: Path) -> None:
    """Refuse to replace a folder that is not empty and was not written by Quire."""
    if dest.exists() and not dest.is_dir():
        raise FreezeError(f"{dest} is a file, not a folder: choose another --dest")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / MARKER).exists():
        raise FreezeError(f"{dest} is not empty and was not written by Quire (no {MARKER} file): "
                          f"refusing to replace it; choose an empty or new folder with --dest")


def _page_targets(engine, case_sensitive: bool):
    """Yield (endpoint, values) or URL paths for every page of the site, as the route table says."""
    site = engine.site()
    per_page = engine.settings["posts_per_page"]
    # What each paginated list shows, by endpoint (as its view pages it).
    lists = {"index": [(site.listed, {})], "posts": [(site.posts, {})],
             "tag": [(group.posts, {"slug": slug}) for slug, group in site.tags.items()]}
    # What each one-per-item route is written for, by its kind.
    each = {urls.EACH_POST: site.posts_by_slug, urls.EACH_PAGE: site.pages_by_slug, urls.EACH_TAG: site.tags,
            urls.EACH_SERIES: site.series}
    for route in urls.ROUTES:
        if route.freeze == urls.PAGE:
            yield route.endpoint, {}
        elif route.freeze == urls.LIST:
            for items, values in lists[route.endpoint]:
                for number in _extra_pages(len(items), per_page):
                    yield route.endpoint, {**values, "number": number}
        elif route.freeze in each:
            for slug in each[route.freeze]:
                yield route.endpoint, {"slug": slug}
    for spelling in tag_spellings(site, case_sensitive):
        yield "tag", {"slug": spelling}
    yield from site.aliases


def tag_spellings(site, case_sensitive: bool = True) -> list[str]:
    """Return the tag spellings in content whose URL differs from their tag's (`ATTENTION`, `Auto-ML`).

    Each gets a redirect page, as the live server answers any spelling. On a case-insensitive disk a spelling
    that differs from the slug only in case is left out: its folder would be the tag's own.
    """
    found = {}
    for post in site.listed:
        for tag in post.tags:
            spelling = "-".join(tag.name.split())
            if spelling == tag.slug or (not case_sensitive and spelling.lower() == tag.slug):
                continue
            if "/" not in spelling and spelling not in (".", "..") and spelling.isprintable() \
                    and tag_slug(spelling) == tag.slug:
                found.setdefault(spelling if case_sensitive else spelling.lower(), spelling)
    return sorted(found.values())


def is_case_sensitive(folder: Path) -> bool:
    """Tell whether file names in a folder differ by case (not on macOS's or Windows' usual disks)."""
    probe = folder / ".quire-case-probe"
    probe.touch()
    try:
        return not (folder / ".QUIRE-CASE-PROBE").exists()
    finally:
        probe.unlink()


def _extra_pages(count: int, per_page: int) -> range:
    """Number the /page/N/ URLs of a list: 2 and up, plus 1 (a redirect page) when there is more than one."""
    pages = max(1, -(-count // per_page))
    return range(1 if pages > 1 else 2, pages + 1)


def _script_root(app: Flask) -> str:
    """Return the path the site is published under ('' at a domain's root), from the base_url setting."""
    return urlsplit(app.extensions["quire"].settings["base_url"]).path.rstrip("/")


def page_urls(app: Flask, case_sensitive: bool = True) -> list[str]:
    """List every page URL (below the script root) that Frozen-Flask renders."""
    script = _script_root(app)
    found = []
    with app.test_request_context(base_url=script or None):
        for target in _page_targets(app.extensions["quire"], case_sensitive):
            found.append(target if isinstance(target, str) else url_for(target[0], **target[1])[len(script):])
    return list(dict.fromkeys(found))


def _file_path(endpoint: str, **values) -> str:
    """Return the output path of a URL, from the route table (in a request context at the site's root)."""
    return unquote(url_for(endpoint, **values)).lstrip("/")


class Keyed:
    """A producer of direct files that `key` decides: the previous build's files are linked when the key matches."""

    def __init__(self, key: str, make):
        self.key, self.make = key, make

    def __call__(self):
        return self.make()


def direct_files(app: Flask, reuse: Reuse | None = None, unchanged: frozenset[str] = frozenset()) -> list:
    """Return the files written without a request, as producers of (path, content) pairs.

    These are search data, the full-text index.json, static files and bundle files: each is exactly what the
    live route serves, but a request per file would cost more than the file. Producers are lazy, so a large
    blog's text is never all in memory at once; content is bytes, a file to copy, an IndexFile or an iterable of bytes.
    Paths come from url_for, called while the files are written (in a request context at the site's root).
    The index.json entries of unchanged posts (quire.incremental.unchanged_posts) are copied from the previous
    build's file (quire.index_file), as reuse finds it. The first producer is index.json's.
    """
    engine = app.extensions["quire"]
    site = engine.site()
    # The last freeze's index, patched where posts changed: building it anew reads every word of every post.
    state_key = engine.cache.key("search-index", engine_code())
    previous = engine.cache.get(state_key) if reuse is not None else None
    index = search_index(site, previous)
    state = index.state()  # the shards and buckets made here once, not by each worker
    if getattr(previous, "identities", None) != state.identities:  # an index no post changed is kept as it was
        engine.cache.put(state_key, state)

    def index_json() -> list:
        rel = _file_path("index_json")
        previous, record = None, None
        if reuse is not None and rel in reuse.files and unchanged:
            previous, record = os.path.join(reuse.dest, rel), engine.cache.get(index_record_key(engine))
        return [(rel, IndexFile(site.listed, lambda post: absolute(url_of(post)), unchanged, previous, record))]

    # index.json first: it is tens of megabytes, and the workers give it a task of its own.
    producers = [index_json,
                 lambda: ((_file_path("search_shard", name=name), text.encode())
                          for name, text in index.shards().items()),
                 lambda: ((_file_path("search_vocab", name=name), text.encode())
                          for name, text in index.buckets().items())]
    # A post's result file and text chunks are decided by what it shows in results, its text and its number
    # alone (with the settings and the code): most carry over from the last build.
    settings = repr(sorted(engine.settings.items()))
    for number, post in enumerate(index.posts):
        key = digest_of(engine_code(), settings, "search_doc", number, post.kind, post.slug, post.title, post.date,
                        post.summary, post.terms.zipped_text)
        producers.append(Keyed(key, lambda number=number, post=post: (
            (_file_path("search_doc", doc=number), search_doc_json(index, number).encode()),
            *((_file_path("search_text", doc=number, chunk=chunk), text.encode())
              for chunk, text in enumerate(post.terms.chunks)))))
    for folder, root in ((engine.project_root / "static", engine.project_root),
                         (engine.site_dir / "static", engine.site_dir)):
        producers.append(lambda folder=folder, root=root: (
            (_file_path("static", filename=p.relative_to(folder).as_posix()), p) for p in _walk(folder, root)))
    for post in (*site.posts_by_slug.values(), *site.pages_by_slug.values()):
        if post.bundle:
            bundle, endpoint = engine.site_dir / post.bundle, f"{post.kind}_file"
            producers.append(lambda bundle=bundle, endpoint=endpoint, slug=post.slug: (
                (_file_path(endpoint, slug=slug, filename=p.relative_to(bundle).as_posix()), p)
                for p in _walk(bundle, engine.site_dir) if p.name != "index.md"))
            # The srcset variants its HTML names (with Pillow only), made as the live route makes them.
            names = [n for n in variant_names(post.html) if not (bundle / n).exists()] if pillow_version() else []
            for name in names:
                keep_variant(engine.cache, bundle, name)
            producers.append(lambda bundle=bundle, endpoint=endpoint, slug=post.slug, names=names: (
                (_file_path(endpoint, slug=slug, filename=name), made[0])
                for name in names for made in [variant_file(engine.cache, bundle, name)] if made is not None))
    return producers


def index_record_key(engine) -> str:
    """Key the render cache's record of the last index.json a freeze wrote (kept there, not in the output: it
    holds the file's inode and mtime, and the output stays byte for byte a cold build's)."""
    return engine.cache.key("index.json")


def _walk(folder: Path, root: Path):
    """Yield the files of a folder to copy, refusing a symlink that leads outside root."""
    if not folder.is_dir():
        return
    for here, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(here) / name
            if name.startswith("."):
                continue
            if path.is_symlink() and not resolves_inside(path, root):
                raise FreezeError(f"{path.relative_to(root)}: error: symlink points outside the site folder: "
                                  f"copy the file in")
            yield path


def freeze(app: Flask, dest: Path, progress=None, jobs: int | None = None, ignore_errors: bool = False,
           report=None) -> FreezeResult:
    """Write every URL of the app into dest, atomically; raise FreezeError on any failure.

    The site is checked as `flask check` does (in a re-freeze by a process aside, from the moment the previous
    build is found, or else first): errors stop the freeze unless ignore_errors is set; report, if given, is
    called with each error (and warning) line either way.
    """
    started = time.perf_counter()
    if "quire.live" in app.extensions:
        raise FreezeError("this app serves live reload (debug mode): freeze an app made without debug")
    dest = dest.resolve()
    engine = app.extensions["quire"]
    engine.warm_at_first_request = False  # each worker would warm the highlighter for a page or two
    refuse_nested(dest, engine.site_dir, engine.project_root)
    check_destination(dest)
    # Frozen-Flask takes the script root (a site hosted under a path) from its own setting.
    app.config["FREEZER_BASE_URL"] = engine.settings["base_url"]
    check = functools.partial(_check, app, ignore_errors, report)
    if engine.settings_error is not None:
        check()  # raises: a freeze never runs on the fallback settings
    dest.parent.mkdir(parents=True, exist_ok=True)
    with lock_destination(dest):
        check_destination(dest)  # again, under the lock: the folder may have changed since
        _remove_leftovers(dest)
        work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
        try:
            pages, rendered, files, sizes = _write(app, dest, work, progress,
                                                   jobs if jobs is not None else os.cpu_count() or 1, check)
            for kept in _swap(work, dest, keep_previous=rendered < pages):
                files += 1
                sizes += kept.stat().st_size
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    engine.cache.prune()  # entries this freeze did not use belong to content that no longer exists
    return FreezeResult(pages, files, sizes, time.perf_counter() - started, dest, rendered)


def _check(app: Flask, ignore_errors: bool, report, aside: Aside | None = None) -> None:
    """Check the site as `flask check` does (or take the findings of the check running aside): report what it
    finds, and raise unless errors are ignored."""
    if aside is None:
        found = check_site(app)
    else:
        try:
            found, used = aside.result()
        except RuntimeError as exc:
            raise FreezeError(f"error: the check failed: {exc}") from None
        app.extensions["quire"].cache.used.update(used)  # its cache entries are this freeze's too: keep them
    findings = [f for f in found if f.level != "info"]
    errors = [str(f) for f in findings if f.level == "error"]
    if report:
        for finding in findings if ignore_errors else []:
            report(str(finding))
    if app.extensions["quire"].settings_error is not None or (errors and not ignore_errors):
        raise FreezeError("\n".join(errors) + f"\n{len(errors)} error(s) (see `flask check`): nothing was "
                          f"written; fix them, or publish anyway with --ignore-errors")


def refuse_nested(dest: Path, site_dir: Path, project_root: Path) -> None:
    """Refuse a destination inside the content or static folders (each freeze would copy the last) or
    around the site (the swap would take the site away)."""
    for folder in (site_dir / "posts", site_dir / "pages", site_dir / "static", project_root / "static"):
        if dest.is_relative_to(folder.resolve()):
            raise FreezeError(f"{dest} is inside {folder}: every freeze would copy the previous output into the "
                              f"next; choose a --dest outside posts/, pages/ and static/")
    if site_dir.resolve().is_relative_to(dest):
        raise FreezeError(f"{dest} holds the site itself ({site_dir}): choose another --dest")


@contextlib.contextmanager
def lock_destination(dest: Path):
    """Hold an exclusive lock on dest for one freeze; a second freeze of the same dest is refused."""
    lock = dest.with_name(f".{dest.name}.lock")
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise FreezeError(f"another `flask freeze` (pid {holder}) is writing {dest}: wait for it to finish, "
                              f"or choose another --dest") from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def output_path(work: Path, rel: str) -> str:
    """Return where a relative output path is written, refusing any that would not land inside work.

    Every file the freeze writes passes here, whatever produced its path: content was checked when it was
    read, and this is the one place that makes sure nothing gets out of the build folder anyway.
    """
    rel = nfc(rel)
    problem = output_problem(rel)
    # Strings, not Path objects: this runs for every one of tens of thousands of files.
    target = os.path.join(work, rel)
    if problem is None and not _folder_inside(os.path.dirname(target), os.fspath(work)):
        problem = "it resolves outside the build folder"
    if problem:
        raise FreezeError(f"error: refusing to write {rel!r}: {problem}")
    return target


@functools.lru_cache(maxsize=4096)
def _folder_inside(folder: str, work: str) -> bool:
    # Pages share few folders: resolving each once (not once per file) saves thousands of system calls.
    return resolves_inside(Path(folder), Path(work))


@functools.lru_cache(maxsize=4096)
def _make_folder(folder: str) -> None:
    os.makedirs(folder, exist_ok=True)


def file_sizes(work: Path, rels) -> dict[str, int]:
    """Return the size of each of these files in work that is there as a plain file."""
    found, root = {}, str(work)
    for rel in rels:
        try:
            st = os.stat(os.path.join(root, rel))
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            found[rel] = st.st_size
    return found


def verify_tree(work: Path, written: list[str], known: dict[str, int] | None = None) -> tuple[int, int]:
    """Refuse to swap in a build folder that lacks a file the freeze wrote (another process deleted it);
    return the count and bytes of its files. known: the sizes of files found already (as file_sizes gives)."""
    wanted, known = {*written, "index.html", "404.html", MARKER}, known or {}
    found = file_sizes(work, (rel for rel in wanted if rel not in known))
    found.update((rel, known[rel]) for rel in wanted if rel in known)
    missing = [rel for rel in wanted if rel not in found]
    files, sizes = len(found), sum(found.values())
    if missing:
        missing.sort()
        raise FreezeError(f"error: the built site is incomplete ({len(missing)} file(s) missing, first "
                          f"{missing[0]!r}): something removed them while the freeze ran")
    return files, sizes


def _remove_leftovers(dest: Path) -> None:
    """Delete the work folders of earlier freezes of dest that were killed before they finished."""
    for stale in dest.parent.glob(f".{dest.name}.*"):
        if stale.is_dir() and (stale.name.endswith(".tmp") or ".old-" in stale.name):
            shutil.rmtree(stale, ignore_errors=True)


class GuardedFreezer(Freezer):
    """Frozen-Flask, with every page's file path passed through output_path."""

    def urlpath_to_filepath(self, path: str) -> str:
        rel = super().urlpath_to_filepath(path)
        output_path(self.root, rel)
        return nfc(rel)


def _freeze_share(app: Flask, work: Path, pages: list[str], files: list, tick, crawl: bool,
                  reuse: Reuse) -> tuple[int, list[str], dict[str, str], dict[str, list[str]], dict[str, list]]:
    # tick() is called once per file written.
    """Freeze some page URLs and write some direct files; return the page count, the paths, the files' digests,
    the paths each keyed producer made and the table of each IndexFile written."""
    app.config["FREEZER_DESTINATION"] = str(work)
    freezer = GuardedFreezer(app, with_static_files=False, with_no_argument_rules=False, log_url_for=crawl)
    freezer.register_generator(lambda: pages)
    written = []
    with warnings.catch_warnings():
        # Some endpoints are written directly, and a site may have no pages or bundles at all.
        warnings.simplefilter("ignore", MissingURLGeneratorWarning)
        try:
            for page in freezer.freeze_yield():
                written.append(page.path.as_posix())
                tick()
        except ValueError as exc:
            raise FreezeError(f"error: {exc}") from exc
        except OSError as exc:
            raise FreezeError(f"error: cannot write {exc.filename}: {exc.strerror}") from exc
    count = len(written)
    digests: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    tables: dict[str, list] = {}
    # At the site's root: url_for then gives paths inside the output (absolute URLs still use base_url).
    with app.test_request_context():
        for produce in files:
            key = getattr(produce, "key", None)
            linked = reuse.place_group(key, functools.partial(_linked_path, work)) if key else None
            made = linked if linked is not None else {}
            for rel, content in produce() if linked is None else ():
                rel = nfc(rel)
                made[rel] = write_file(work, rel, content, reuse)
                if isinstance(content, IndexFile):
                    tables[rel] = content.table
            for rel in made:
                written.append(rel)
                tick()
            digests.update(made)
            if key:
                groups[key] = list(made)
    return count, written, digests, groups, tables


def _linked_path(work: Path, rel: str) -> str:
    target = output_path(work, rel)
    _make_folder(os.path.dirname(target))
    return target


def write_file(work: Path, rel: str, content, reuse: Reuse | None = None) -> str:
    """Write one direct file (bytes, a file to copy, an IndexFile or an iterable of bytes) at its checked path;
    return its digest.

    A file given whole that the previous build had with the same digest is hard-linked from it instead. An
    iterable is written as it comes, never held whole; an IndexFile (index.json, tens of megabytes) writes itself.
    """
    target = output_path(work, rel)
    try:
        _make_folder(os.path.dirname(target))
        whole = isinstance(content, (bytes, Path))
        if whole:
            digest = content_digest(content)
            if reuse is not None and reuse.place(rel, target, digest):
                return digest
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)  # a file kept from the previous build is dest's too: never write into it
        if isinstance(content, IndexFile):
            digest = content.write_to(target)
        elif not whole:
            with open(target, "wb") as f:
                digest = stream_digest(content, f.write)
        elif isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            with open(target, "wb") as f:
                f.write(content)
    except OSError as exc:
        source = f" from {content}" if isinstance(content, Path) else ""
        raise FreezeError(f"error: cannot write {rel}{source}: {exc.strerror} ({exc.filename})") from exc
    return digest


def page_file(url: str) -> str:
    """Return the output path of a page URL, as Frozen-Flask names it."""
    return (url + "index.html" if url.endswith("/") else url).lstrip("/")


def path_conflicts(app: Flask, pages: list[str]) -> list[str]:
    """Find pages whose output file would need a folder where another output is a file (page index.xml)."""
    files = {nfc(page_file(url)): url for url in [*pages, *urls.OWN_FILES]}
    sources = _sources_by_url(app)
    found = []
    for rel, url in sorted(files.items()):
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            prefix = "/".join(parts[:depth])
            if prefix in files:
                who = sources.get(url, f"the page {url}")
                found.append(f"{who}: error: its URL {url} needs a folder {prefix}/ where Quire writes "
                             f"{files[prefix]} as a file: set another 'slug' or alias")
    return found


def _sources_by_url(app: Flask) -> dict[str, str]:
    """Map the URL of every post, page and alias to the content file that makes it."""
    site = app.extensions["quire"].site()
    script = _script_root(app)
    with app.test_request_context(base_url=script or None):
        found = {url_for(p.kind, slug=p.slug)[len(script):]: p.source
                 for p in (*site.posts_by_slug.values(), *site.pages_by_slug.values())}
    found.update((alias, post.source) for alias, post in site.aliases.items())
    return found


_FORKED: tuple = ()


def _run_task(number: int):
    """Do one task in a forked worker: carry over a part of the previous build's pages (the first tasks, one
    per worker), or freeze a share; report failures as text (exceptions may not pickle)."""
    app, work, shares, carries, counter, reuse = _FORKED
    if number < len(carries):
        try:
            return carry_over(reuse.dest, work, carries[number])
        except OSError as exc:
            return f"error: cannot carry {exc.filename} over from the previous build: {exc.strerror}"
    done = [0]

    def tick() -> None:
        done[0] += 1
        if done[0] % 50 == 0:  # a shared counter is slow to lock: report in steps
            with counter.get_lock():
                counter.value += 50

    try:
        outcome = _freeze_share(app, work, *shares[number - len(carries)], tick, crawl=False, reuse=reuse)
        with counter.get_lock():
            counter.value += done[0] % 50
        return outcome
    except FreezeError as exc:
        return str(exc)
    except Exception as exc:
        return f"error: {type(exc).__name__}: {exc}"


def _write(app: Flask, dest: Path, work: Path, progress, jobs: int, check) -> tuple[int, int, int, int]:
    """Check the site and write all pages and files into work, in `jobs` forked processes when there is enough
    to share, then its manifest, and verify them.

    Pages an edit cannot have changed are carried over from the previous build in dest (quire.incremental).
    check() raises FreezeError when the site's errors must stop the freeze. progress, if given, is called now
    and then with the number of files written so far. Return the page count, the count of pages rendered, and
    the count and bytes of the files in work.
    """
    all_pages = page_urls(app, is_case_sensitive(work))
    previous = read_manifest(dest)
    # A re-freeze checks in a process of its own from here on: beside the manifest, the adoption of the last
    # build, the search index and the pages made next.
    aside = Aside(_findings, app) if previous and jobs > 1 and threading.active_count() == 1 else None
    try:
        if aside:
            check = functools.partial(check, aside=aside)
        current = manifest(app, all_pages)
        # The same pages and URLs as the last build, which was frozen: they have no conflicts.
        conflicts = [] if same_shape(previous, current) else path_conflicts(app, all_pages)
        if conflicts:
            check()  # the check's errors come first, as `flask check` lists them
            raise FreezeError("\n".join(conflicts))
        pages = pages_to_render(app, all_pages, previous, current, _script_root(app))
        rendering = set(pages)
        carried = {page_rel(url): url for url in all_pages if url not in rendering}
        # Most of the site carries over: start from the tree the last freeze replaced, which holds most of it.
        adopted = adopt_previous(dest, work, {page_rel(url) for url in pages}) if carried else None
        kept = adopted.files if adopted else frozenset()
        reuse = Reuse.of(dest, previous, kept)
        files = direct_files(app, reuse, unchanged_posts(previous, current) if carried else frozenset())
        known: dict[str, int] = {}
        count, written, current["files"], current["groups"], tables = _render(
            app, work, pages, carried, files, progress, jobs, reuse, check,
            idle=lambda: known.update(file_sizes(work, kept)))  # the files kept, found while the workers write
        engine = app.extensions["quire"]
        for rel, table in tables.items():  # index.json: what the next freeze copies its entries by
            engine.cache.put(index_record_key(engine), record_of(os.path.join(work, rel), table))
    finally:
        if aside:
            aside.close()
    if adopted:
        prune_to(work, adopted, set(written))  # what the replaced build had and this one does not make
    write_manifest(work, current)
    # A kept file a worker may have written again (index.json, say: its digest changed) is counted as it is now.
    made, before = current["files"], reuse.files
    unchanged = {rel: size for rel, size in known.items() if made.get(rel, before.get(rel)) == before.get(rel)}
    return len(all_pages), count, *verify_tree(work, written, unchanged)


def _findings(app: Flask) -> tuple[list, set[str]]:
    """Check the site (in the process aside); return the findings and the cache entries the check used."""
    return check_site(app), app.extensions["quire"].cache.used


def page_rel(url: str) -> str:
    """Return the output file of a page URL, as the freezer writes it (unquoted, NFC)."""
    return nfc(unquote(page_file(url)))


def _render(app: Flask, work: Path, pages: list[str], carried: dict[str, str], files: list, progress, jobs: int,
            reuse: Reuse, check, idle=None) -> tuple:
    """Check the site, carry pages over, render the others and write the direct files into work; return the
    count of pages rendered, every file's path, the direct files' digests, the paths of each keyed producer and
    the table of each IndexFile.

    idle, if given, is called while worker processes write (if they do)."""
    count = [0]

    def tick() -> None:
        count[0] += 1
        if progress and count[0] % 20 == 0:
            progress(count[0])

    if jobs <= 1 or len(pages) + len(files) < 100:
        check()
        for rel in carry_over(reuse.dest, work, [rel for rel in carried if rel not in reuse.kept]):
            pages.append(carried.pop(rel))  # not in the previous build after all: render it
        # One process: also follow every url_for made while rendering, as a safety net (following it with
        # pages carried over would render them again).
        rendered, written, digests, groups, tables = _freeze_share(app, work, pages, files, tick,
                                                                   crawl=not carried, reuse=reuse)
        if progress:
            progress(count[0])  # the final count, whatever the step
        return rendered, [*written, *carried], digests, groups, tables
    if not carried:
        # A full render: the check first, its lint forked over the cores, and its memory (every file's text)
        # freed before the workers grow; a re-freeze's check, aside, ends while its workers write, below.
        check()
    global _FORKED
    context = multiprocessing.get_context("fork")
    counter = context.Value("i", 0)
    rels = [rel for rel in carried if rel not in reuse.kept]  # the kept ones are in place already
    # After an edit the first producer, index.json, is most of the work: a task of its own, so that no worker
    # writes it after its share of the rest.
    shares = [([], files[:1]), *((pages[i::jobs], files[1:][i::jobs]) for i in range(jobs))] if carried else \
        [(pages[i::jobs], files[i::jobs]) for i in range(jobs)]
    _FORKED = (app, work, shares, [rels[i::jobs] for i in range(jobs)], counter, reuse)
    # Keep the collector away from the inherited objects: touching them would copy every page per worker.
    gc.freeze()
    try:
        with context.Pool(jobs, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            result = pool.map_async(_run_task, range(jobs + len(shares)), chunksize=1)
            if carried:
                # The check (aside since before the search index, or else here) ends while the workers write: its
                # errors stop them (leaving the pool kills them).
                check()
            if idle:
                idle()
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
        raise FreezeError("\n".join(failures))
    shares = outcomes[jobs:]
    missing = [carried.pop(rel) for part in outcomes[:jobs] for rel in part]
    if missing:  # pages the previous build did not have after all: render them here
        shares.append(_freeze_share(app, work, missing, [], tick, crawl=False, reuse=reuse))
    digests = {rel: digest for o in shares for rel, digest in o[2].items()}
    groups = {key: rels for o in shares for key, rels in o[3].items()}
    tables = {rel: table for o in shares for rel, table in o[4].items()}
    return sum(o[0] for o in shares), [*(rel for o in shares for rel in o[1]), *carried], digests, groups, tables


def _swap(work: Path, dest: Path, keep_previous: bool) -> list[Path]:
    """Move the kept files of the old output into the new one, then swap the folders; return the kept files
    (a kept folder, .git, is not the site's).

    The replaced build is left beside dest for the next freeze to start from (quire.incremental.adopt_previous)
    when keep_previous is set (it then shares most of its files with the new one); otherwise it is removed.
    """
    kept = []
    previous = previous_path(dest)
    _clear(previous)  # the one before, not taken up by this freeze: it shares nothing with the new build
    if dest.exists():
        for name in KEEP:
            if (dest / name).exists() and not (work / name).exists():
                os.replace(dest / name, work / name)
                if (work / name).is_file():
                    kept.append(dest / name)
        # One that could not be removed must not stop this freeze: the replaced build then goes aside under a
        # name of its own (removed as a leftover by the next freeze, if it cannot be now).
        old = previous if not os.path.lexists(previous) else dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.replace(dest, old)
        os.replace(work, dest)
        if old != previous or not keep_previous:
            _clear(old)
    else:
        os.replace(work, dest)
    return kept


def _clear(path: Path) -> None:
    """Remove a folder with what it holds, or a file, if there is one and it can be (a symlink is removed, not
    followed)."""
    if path.is_symlink() or path.is_file():
        with contextlib.suppress(OSError):
            path.unlink()
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
