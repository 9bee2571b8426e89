"""The content store: which files exist, what changed, and loading them (cached, in parallel when many)."""

import contextlib
import gc
import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from .cache import RenderCache
from .content import MARKDOWN_SUFFIXES, POST_SETTINGS, ContentError, Post, load_post
from .watch import Subscription
from .workers import Aside, map_forked

SAVE_WINDOW_NS = 1_000_000_000  # an empty file this recent is probably being saved
SAVE_PAUSE = 0.05  # seconds to let that save finish
STAMP_MARGIN_NS = 2_000_000_000  # a file changed this long before it was read is known by its stamp


def is_leftover(name: str) -> bool:
    """Tell editor leftovers and hidden files from content."""
    return name.startswith((".", "#", "_")) or name.endswith(("~", ".swp", ".swx", ".tmp"))


class SourceFile(NamedTuple):
    path: str
    kind: str
    rel: str
    stamp: tuple
    linked: bool
    changed: tuple = ()  # (device, inode, ctime): what no editor or checkout can keep as it was while writing


def replaced(posts: tuple[Post, ...], pairs: list[tuple[Post, Post]]) -> tuple[Post, ...]:
    """Return posts with each edited post in its place: the same tuple when none of them is in it."""
    out = None
    for before, after in pairs:
        try:
            i = (out or posts).index(before)  # by identity: a Post equals only itself
        except ValueError:
            continue
        out = out or list(posts)
        out[i] = after
    return posts if out is None else tuple(out)


class Listing:
    """The Markdown files of posts/ and pages/ (flat files and bundles), each with a change stamp.

    This runs on every request of the dev server. Where inotify watches the folders, nothing is read again
    until one of them changes. Otherwise a folder is listed again only when its own mtime changes (a file
    was added, removed or renamed) and each file costs one stat call. A bundle's stamp is its index.md and
    its folder (adding, removing or renaming an image changes the folder).
    """

    FOLDERS = (("posts", "post"), ("pages", "page"))

    def __init__(self, site_dir: Path):
        self.site_dir = site_dir
        self._listed: dict[str, tuple[int, list[tuple[str, str, str | None, bool]]]] = {}
        self._found: list[SourceFile] | None = None
        self._where: dict[str, int] | None = None  # each listed file's place in _found
        # (the listing before, places in it) when the last call only stamped some files again
        self.restamped: tuple[list[SourceFile], set[int]] | None = None
        self.changes = Subscription()

    def _list(self, folder: str) -> list[tuple[str, str, str | None, bool]]:
        entries = []
        for entry in sorted(os.scandir(self.site_dir / folder), key=lambda e: e.name):
            name = entry.name
            if is_leftover(name):
                continue
            if name.endswith(MARKDOWN_SUFFIXES):
                entries.append((entry.path, f"{folder}/{name}", None, entry.is_symlink()))
            elif entry.is_dir():
                # Listed even without an index.md yet: creating one does not change this folder's mtime.
                entries.append((os.path.join(entry.path, "index.md"), f"{folder}/{name}/index.md", entry.path,
                                entry.is_symlink()))
        return entries

    def files(self) -> list[SourceFile]:
        """Return the content files as they are now: as last time when no watched folder changed since, and
        with only the files written in place looked at again when nothing else changed."""
        written = self.changes.look()
        if written is not None and self._found is not None:
            if not written:
                return self._found
            restat = self._restat(written)
            if restat is not None:
                self.restamped = (self._found, restat[1])
                self._found = restat[0]
                return self._found
        self.restamped = None
        found = self._walk()
        # A symlinked file or bundle changes where no watch sees it: such a site is listed on every call.
        self._found = None if any(f.linked for f in found) else found
        if self._found is not None:
            self.changes.watch([str(self.site_dir)] + [str(self.site_dir / folder) for folder, _ in self.FOLDERS
                                                       if (self.site_dir / folder).is_dir()]
                               + [bundle for _, listed in self._listed.values() for _, _, bundle, _ in listed
                                  if bundle is not None])
        return found

    def _walk(self) -> list[SourceFile]:
        found = []
        for folder, kind in self.FOLDERS:
            try:
                mtime = os.stat(self.site_dir / folder).st_mtime_ns
                listed = self._listed.get(folder)
                if listed is None or listed[0] != mtime:
                    listed = self._listed[folder] = (mtime, self._list(folder))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for path, rel, bundle, linked in listed[1]:
                source = _source_file(path, kind, rel, bundle, linked)
                if source is not None:
                    found.append(source)
        self._where = None
        return found

    def _restat(self, written: set[str]) -> tuple[list[SourceFile], set[int]] | None:
        """Return the last listing with the files written in place stamped again, and their places in it;
        None unless all of them are still listed files."""
        if self._where is None:
            self._where = {f.path: i for i, f in enumerate(self._found)}
        found, places = list(self._found), set()
        for path in written:
            i = self._where.get(path)
            if i is None:
                return None
            old = found[i]
            bundle = os.path.dirname(path) if old.rel.endswith("/index.md") else None
            found[i] = _source_file(path, old.kind, old.rel, bundle, old.linked)
            if found[i] is None or found[i].stamp[0] == "unreadable":
                return None
            places.add(i)
        return found, places


def _source_file(path: str, kind: str, rel: str, bundle: str | None, linked: bool) -> SourceFile | None:
    """Stamp one listed file; None when it is gone or not a regular file."""
    try:
        st = os.stat(path)
        stamp = (st.st_mtime_ns, st.st_size)
        if bundle is not None:
            stamp += (os.stat(bundle).st_mtime_ns,)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:  # unreadable: loading it reports the error for this file alone
        return SourceFile(path, kind, rel, ("unreadable", exc.errno), linked)
    changed = (st.st_dev, st.st_ino, st.st_ctime_ns)
    return SourceFile(path, kind, rel, stamp, linked, changed) if stat.S_ISREG(st.st_mode) else None


@dataclass(frozen=True)
class Snapshot:
    key: tuple
    posts: tuple[Post, ...]
    errors: tuple[ContentError, ...]


def _load_safely(path: Path, kind: str, rel: str, settings: dict[str, Any], data: bytes | None):
    """Load a post, returning its ContentError instead of raising (for worker processes)."""
    try:
        return load_post(path, kind, rel, settings, data)
    except ContentError as exc:
        return exc
    except Exception as exc:  # a bug for one file must not take every page down
        return ContentError(rel, f"Quire failed on this file ({type(exc).__name__}: {exc}); please report it")


def read_settled(path: Path, stamp: tuple) -> bytes:
    """Read a file; when it changed during the read (mtime or size before and after differ), read it again once.

    An editor that saves in place truncates the file and then writes it: a read in between sees half a file,
    or an empty one. An empty file saved in the last second is taken to be such a save, and read again shortly.
    """
    for attempt in range(2):
        data = path.read_bytes()
        st = os.stat(path)
        after = (st.st_mtime_ns, st.st_size)
        settled = after == tuple(stamp[:2]) and len(data) == st.st_size
        if settled and not (data == b"" and time.time_ns() - st.st_mtime_ns < SAVE_WINDOW_NS):
            break
        if attempt == 0 and settled:
            time.sleep(SAVE_PAUSE)
        stamp = after
    return data


class ContentStore:
    """Load content files on demand, parsing a file again only when its (mtime, size) changes.

    Rendered posts are also kept in a RenderCache on disk keyed by their bytes, and a large batch of
    uncached files is rendered by a pool of forked processes, one per core.
    """

    PARALLEL_MIN = 16
    ASIDE_MIN = 64  # cached files to load for rendering the edited ones aside to pay for its fork
    GC_FREEZE_MIN = 200

    def __init__(self, site_dir: Path, settings: dict[str, Any], cache: RenderCache | None = None):
        self.site_dir = site_dir
        self.settings = {k: settings[k] for k in POST_SETTINGS}
        self.cache = cache or RenderCache(None, "")
        self._memory: dict[Path, tuple[tuple, Post | ContentError]] = {}
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._files: list[SourceFile] | None = None
        self._entries: list[Post | ContentError] = []  # what each file of _files is, in its order
        self.listing = Listing(site_dir)
        self._keys: dict[str, tuple[str, tuple]] = {}  # rel -> (cache key, stamp) of the bytes last loaded
        self._settings_key = repr(sorted(self.settings.items()))  # a part of every file's cache key
        self._stamps: dict[str, tuple] | None = None  # rel -> (stamp, changed, cache key, when read): see _known_key
        self._stamps_key = self.cache.key("stamps", str(site_dir.resolve()), self._settings_key)

    def content_key(self, rel: str) -> tuple[str, tuple] | None:
        """Return the cache key of a content file as last loaded (it covers its bytes, the settings and the
        engine) and the (mtime, size) it then had; None if it was never loaded."""
        return self._keys.get(rel)

    def snapshot(self) -> Snapshot:
        """Return the current posts and errors, reusing the last snapshot when nothing changed."""
        with self._lock:
            files = self.listing.files()
            if self._snapshot is not None and files is self._files:  # the listing saw no change at all
                return self._snapshot
            restamped = self.listing.restamped
            if self._snapshot is not None and restamped is not None and restamped[0] is self._files:
                self._snapshot = self._restamped(files, sorted(restamped[1]))
                self._files = files
                return self._snapshot
            key = tuple((f.rel, f.stamp) for f in files)
            if self._snapshot is not None and self._snapshot.key == key:
                self._files = files
                return self._snapshot
            with collector_paused():
                self._entries = self._resolve(files)
                for gone in set(self._memory) - {f.path for f in files}:
                    del self._memory[gone]
                self._snapshot = Snapshot(
                    key=key,
                    posts=tuple(e for e in self._entries if isinstance(e, Post)),
                    errors=tuple(e for e in self._entries if isinstance(e, ContentError)),
                )
                self._files = files
                if len(self._snapshot.posts) >= self.GC_FREEZE_MIN:
                    # A large blog is hundreds of thousands of long-lived objects: the collector would walk them all
                    # several times while the next edited post is parsed (tens of milliseconds a request). Freezing
                    # moves what is alive now out of its sight; posts still go when nothing refers to them.
                    gc.freeze()
            return self._snapshot

    def _known(self, f: SourceFile, root: Path) -> Post | ContentError | None:
        """Return what a file is without loading it (an error, or the post loaded at this stamp), or None."""
        if (f.linked or f.rel.endswith("/index.md")) and not Path(f.path).resolve().is_relative_to(root):
            return ContentError(f.rel, "symlink points outside the site folder: copy the file in")
        cached = self._memory.get(f.path)
        return cached[1] if cached is not None and cached[0] == f.stamp else None

    def _resolve(self, files: list[SourceFile]) -> list[Post | ContentError]:
        """Return what each file is, in order: known at its stamp, or loaded now (and remembered)."""
        root = self.site_dir.resolve()
        entries = [self._known(f, root) for f in files]
        todo = [i for i, entry in enumerate(entries) if entry is None]
        for i, result in zip(todo, self._load_many([files[i] for i in todo]), strict=True):
            self._memory[files[i].path] = (files[i].stamp, result)
            entries[i] = result
        return entries

    def _restamped(self, files: list[SourceFile], places: list[int]) -> Snapshot:
        """Return the last snapshot with the files at these places (all others unchanged) loaded again."""
        entries, old = list(self._entries), self._snapshot
        for i, entry in zip(places, self._resolve([files[i] for i in places]), strict=True):
            entries[i] = entry
        key = list(old.key)
        for i in places:
            key[i] = (files[i].rel, files[i].stamp)
        if all(isinstance(entries[i], Post) and isinstance(self._entries[i], Post) for i in places):
            posts, errors = replaced(old.posts, [(self._entries[i], entries[i]) for i in places]), old.errors
        else:
            posts = tuple(e for e in entries if isinstance(e, Post))
            errors = tuple(e for e in entries if isinstance(e, ContentError))
        self._entries = entries
        return Snapshot(key=tuple(key), posts=posts, errors=errors)

    def _read(self, f: SourceFile) -> tuple[str, tuple] | ContentError:
        """Read a file; return its cache key (its bytes, the settings, a bundle's stamp) and what loading it takes."""
        try:
            data = read_settled(Path(f.path), f.stamp)
        except OSError as exc:
            return ContentError(f.rel, f"cannot read the file: {exc.strerror}")
        cache_key = self.cache.key(f.kind, f.rel, self._settings_key, repr(f.stamp[2:]), data)
        return cache_key, (Path(f.path), f.kind, f.rel, self.settings, data)

    @staticmethod
    def _known_key(f: SourceFile, known: tuple | None) -> str | None:
        """Return the cache key a file had when last read, if it cannot have changed since; else None.

        A file is taken to be as it was when its stamp (mtime, size), device, inode and ctime are all the same,
        and its ctime was seconds before it was read: any write after that read sets a later ctime, which no
        tool can set back. (A write in the same clock tick as the read could keep the ctime: hence the margin.)
        """
        if not (isinstance(known, tuple) and len(known) == 4 and f.changed) or known[:2] != (f.stamp, f.changed) \
                or not (isinstance(known[2], str) and type(known[3]) is int):
            return None
        return known[2] if f.changed[2] < known[3] - STAMP_MARGIN_NS else None

    def _stamp_index(self) -> dict[str, tuple]:
        """Return the stamps of the files the last large load read, with their cache keys (kept in the cache)."""
        if self._stamps is None:
            found = self.cache.get(self._stamps_key)
            self._stamps = found if isinstance(found, dict) else {}
        return self._stamps

    def _load_many(self, todo: list[SourceFile]) -> list:
        """Load files from the disk cache where possible, rendering the rest (in parallel if many)."""
        results: list = [None] * len(todo)
        keyed = []
        large = len(todo) >= self.PARALLEL_MIN  # only a large load reads and keeps the stamps
        stamps = self._stamp_index() if large else {}
        read = {}
        for i, f in enumerate(todo):
            cache_key = self._known_key(f, stamps.get(f.rel))
            if cache_key is None:
                when = time.time_ns()
                entry = self._read(f)
                if isinstance(entry, ContentError):
                    results[i] = entry
                    continue
                cache_key, args = entry
                read[f.rel] = (f.stamp, f.changed, cache_key, when)
            else:
                args = None  # read only if it must be rendered
            self._keys[f.rel] = (cache_key, f.stamp[:2])
            keyed.append((i, cache_key, args))
        if read and large:
            stamps.update(read)
            self.cache.put(self._stamps_key, stamps)
        # A few edited files among many cached ones (a re-freeze): render them in a process aside while this one
        # loads the others, so that the Markdown and the loading overlap.
        aside = None
        if len(keyed) > self.ASIDE_MIN and (os.cpu_count() or 1) > 1 and threading.active_count() == 1:
            edited = [entry for entry in keyed if entry[2] is not None and not self.cache.has(entry[1])]
            if 0 < len(edited) < self.PARALLEL_MIN and len(keyed) - len(edited) >= self.ASIDE_MIN:
                aside = (edited, Aside(_load_all, [args for _, _, args in edited]))
                places = {i for i, _, _ in edited}
                keyed = [entry for entry in keyed if entry[0] not in places]
        misses = []
        for i, cache_key, args in keyed:
            post = self.cache.get(cache_key)
            if isinstance(post, Post):
                results[i] = post
                continue
            if args is None:  # known by its stamp, but no longer cached
                entry = self._read(todo[i])
                if isinstance(entry, ContentError):
                    results[i] = entry
                    continue
                cache_key, args = entry
                self._keys[todo[i].rel] = (cache_key, todo[i].stamp[:2])
            misses.append((i, cache_key, args))
        columns = list(zip(*(args for _, _, args in misses), strict=True)) or [()]
        loaded = map_forked(_load_safely, *columns, min_items=self.PARALLEL_MIN)
        if aside is not None:
            edited, process = aside
            try:
                made = process.result()
            except RuntimeError:  # its process died (killed, out of memory): render them here instead
                made = [_load_safely(*args) for _, _, args in edited]
            misses += edited
            loaded = [*loaded, *made]
        for (i, cache_key, _), result in zip(misses, loaded, strict=True):
            results[i] = result
            if isinstance(result, Post):
                self.cache.put(cache_key, result)
        return results


@contextlib.contextmanager
def collector_paused():
    """Pause the cyclic garbage collector: loading makes hundreds of thousands of objects in no cycle, and with
    each thousand made it would walk all those alive again (a third of the time of loading 3,000 posts)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load_all(arguments: list[tuple]) -> list:
    """Load files one after the other (in a process aside), each to its Post or ContentError."""
    return [_load_safely(*args) for args in arguments]
