"""A re-freeze that renders only the pages an edit can change and carries every other file over.

Each build records, in its marker file, a digest of what every page shares (engine code, library versions,
templates, static files, settings, the year) and of the site's shape (which posts exist with which front
matter, every page URL), plus a digest per post of what only its body decides (its HTML, summary, length).
When the next freeze finds the same shared and shape digests, only posts whose body changed are dirty, and
the pages that show them are rendered: each such post's own page, the list pages and feeds it appears on,
and the site-wide pages and files. Anything else about a change (front matter, a template, a setting, a new or
removed post) renders everything, as a cold build does.

The files written without a request (search data, static and bundle files) are recorded by digest too: one
whose bytes are the same as last time is hard-linked from the previous build instead of written again.
"""

import functools
import hashlib
import json
import os
import shutil
import stat
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from flask import Flask, url_for

from . import urls
from .cache import library_versions
from .paths import MARKER, nfc, output_problem

LIBRARIES = ("flask", "jinja2", "markupsafe", "werkzeug", "mistune", "pygments", "frozen-flask", "pillow",
             "imagesize")
NOTE = "Written by Quire's `flask freeze`; the next freeze replaces this folder."


def digest_of(*parts) -> str:
    """Digest values (bytes as they are, anything else by its repr), each part kept apart from the next."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode())
        h.update(b"\x00")
    return h.hexdigest()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""


def _files_stamp(*folders: Path) -> list:
    found = []
    for folder in folders:
        for root, dirs, names in os.walk(folder):
            dirs.sort()
            for name in sorted(names):
                path = Path(root) / name
                found.append((str(path), path.read_bytes()))
    return found


@functools.lru_cache(maxsize=1)
def engine_code() -> str:
    """Digest every module of the engine: a page's bytes may depend on any of them, not only on the renderer's."""
    # Every module, the renderer's among them: no need to find which ones loading a post imports.
    package = Path(__file__).parent
    return digest_of(library_versions(), [(p.relative_to(package).as_posix(), p.read_bytes())
                                          for p in sorted(package.rglob("*.py"))])


def post_digest(post) -> str:
    """Digest what only a post's body decides: its HTML and what lists show of it."""
    return digest_of(post.html_z, post.summary, post.description, post.words, post.figures)


def listed_digest(post) -> str:
    """Digest what a list of posts shows of a post's body: its summary and reading time (front matter aside)."""
    return digest_of(post.summary, post.reading_time)


def manifest(app: Flask, pages: list[str]) -> dict:
    """Describe this build: the shared digest, the site's shape and each post's body digest."""
    engine = app.extensions["quire"]
    site = engine.site()
    posts = [*site.posts_by_slug.values(), *site.pages_by_slug.values()]
    shared = digest_of(engine_code(), [_version(n) for n in LIBRARIES], sorted(engine.settings.items()),
                     site.now.year, _files_stamp(engine.site_dir / "templates", engine.project_root / "templates",
                                                 engine.site_dir / "static", engine.project_root / "static"))
    shape = digest_of(pages, sorted((p.source, p.kind, p.slug, repr(p.meta), p.date, p.updated) for p in posts),
                    sorted(str(e) for e in site.errors))
    return {"note": NOTE, "shared": shared, "shape": shape,
            "posts": {p.source: post_digest(p) for p in posts}, "listed": {p.source: listed_digest(p) for p in posts}}


def read_manifest(dest: Path) -> dict | None:
    """Return the manifest of the build in dest, or None (no build, or one from before manifests)."""
    try:
        found = json.loads((dest / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and {"shared", "shape", "posts"} <= set(found) else None


def write_manifest(work: Path, current: dict) -> None:
    """Record this build's manifest in its marker file."""
    (work / MARKER).unlink(missing_ok=True)  # never write into a file the published build shares
    # An entry a line, from the C encoder (indent= takes the Python one: a tenth of a second at 3,000 posts). In
    # JSON text `,"` only ever starts the next entry: a quote inside a string is escaped.
    text = json.dumps(current, sort_keys=True, separators=(",", ":")).replace(',"', ',\n"')
    (work / MARKER).write_text(text + "\n", encoding="utf-8")


def pages_to_render(app: Flask, pages: list[str], previous: dict | None, current: dict, script: str) -> list[str]:
    """Return the page URLs (below the script root) this freeze must render: all, unless only bodies changed."""
    if not same_shape(previous, current):
        return pages
    dirty = current["posts"].keys() - unchanged_posts(previous, current)
    before = previous.get("listed")
    before = before if isinstance(before, dict) else {}
    # Posts whose lists must change too: most edits leave the summary and the reading time as they were.
    relisted = {source for source in dirty if before.get(source) != current["listed"][source]}
    engine = app.extensions["quire"]
    site = engine.site()
    wanted: set[str] = set()
    with app.test_request_context(base_url=script or None):
        def add(endpoint: str, **values) -> None:
            wanted.add(url_for(endpoint, **values)[len(script):])

        for route in urls.routes(urls.PAGE):
            if (route.endpoint in urls.SHOWS_TEXT and dirty) or (route.endpoint in urls.SHOWS_LISTED and relisted):
                add(route.endpoint)
        per_page = engine.settings["posts_per_page"]
        lists = [("index", site.listed, {}), ("posts", site.posts, {})]
        lists += [("tag", group.posts, {"slug": slug}) for slug, group in site.tags.items()]
        for endpoint, items, values in lists:
            for position, post in enumerate(items):
                if post.source in relisted:
                    number = position // per_page + 1
                    add(endpoint, **values, **({"number": number} if number > 1 else {}))
        for post in (*site.posts_by_slug.values(), *site.pages_by_slug.values()):
            if post.source not in dirty:
                continue
            add(post.kind, slug=post.slug)
            for tag in post.tags:
                add("tag_feed", slug=tag.slug)
            if post.series is not None:
                if post.source in relisted:
                    add("series", slug=post.series.slug)
                add("series_feed", slug=post.series.slug)
    return [page for page in pages if page in wanted]


def same_shape(previous: dict | None, current: dict) -> bool:
    """Tell whether the previous build shares this one's shared and shape digests: then only bodies changed."""
    return previous is not None and previous["shared"] == current["shared"] and previous["shape"] == current["shape"]


def unchanged_posts(previous: dict | None, current: dict) -> frozenset[str]:
    """Return the posts (by source) whose pages and entries the previous build has as this one would make them."""
    if not same_shape(previous, current):
        return frozenset()
    return frozenset(source for source, digest in current["posts"].items() if previous["posts"].get(source) == digest)


def carry_over(dest: Path, work: Path, rels: list[str]) -> list[str]:
    """Hard-link (or copy) files of the previous build into the new one; return those it could not find.

    rels leaves out the files adopt_previous kept: those are in work already.
    """
    missing, folders = [], set()
    for rel in rels:
        source, target = os.path.join(dest, rel), os.path.join(work, rel)
        try:
            if not stat.S_ISREG(os.lstat(source).st_mode):  # a symlink is never carried over
                missing.append(rel)
                continue
        except OSError:
            missing.append(rel)
            continue
        folder = os.path.dirname(target)
        if folder not in folders:  # a folder is made once, however many files go in it
            os.makedirs(folder, exist_ok=True)
            folders.add(folder)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    return missing


def previous_path(dest: Path) -> Path:
    """Where a freeze leaves the build it replaced, for the next freeze to start from."""
    return dest.with_name(f".{dest.name}.previous")


@dataclass(frozen=True)
class Adopted:
    """What a new build kept of the build the last freeze replaced: files (the same as dest's) and folders."""

    files: frozenset[str]
    folders: tuple[str, ...]


def adopt_previous(dest: Path, work: Path, rendering: set[str]) -> Adopted | None:
    """Start the new build in work from the build the last freeze replaced, if there is one.

    That tree shares most files with dest (hard links): those are kept, so carrying them over costs nothing,
    and every other file is removed, as are the files about to be rendered again. What is left is only ever
    the same file as dest's, so nothing written into work can change the published site. work must be empty.
    """
    previous = previous_path(dest)
    try:
        if not stat.S_ISDIR(os.lstat(previous).st_mode):
            return None
        os.rename(previous, work)  # replaces the empty work folder
        if not stat.S_ISDIR(os.lstat(work).st_mode):  # swapped for something else meanwhile: start empty
            os.unlink(work)
            os.mkdir(work)
            return None
    except OSError:
        return None
    # Inode numbers from the folder listings, with no stat of each file: both trees are on one file system
    # (the rename above would have failed otherwise).
    published, _ = _inodes(str(dest))
    kept = set()
    try:
        found, folders = _inodes(str(work), strict=True)
        for rel, inode in found.items():
            if inode is None or rel in rendering or published.get(rel) != inode:
                os.unlink(os.path.join(work, rel))
            else:
                kept.add(rel)
    except OSError:
        # A folder that cannot be read, or a file that cannot be removed, may keep anything: start empty,
        # and leave that tree for a later freeze to remove.
        os.rename(work, f"{work}.old-{os.getpid()}")
        os.mkdir(work)
        return None
    return Adopted(frozenset(kept), tuple(folders))


def _inodes(root: str, strict: bool = False) -> tuple[dict[str, int | None], list[str]]:
    """Map each file below root to its inode number, None for anything else that is not a folder; and list
    the folders, each before those inside it. A folder that cannot be read is left out, or with strict, raises
    OSError."""
    found: dict[str, int | None] = {}
    folders, todo = [], [""]
    while todo:
        rel = todo.pop()
        try:
            entries = list(os.scandir(os.path.join(root, rel)))
        except OSError:
            if strict:
                raise
            continue
        for entry in entries:
            name = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_dir(follow_symlinks=False):
                todo.append(name)
                folders.append(name)
            else:
                found[name] = entry.inode() if entry.is_file(follow_symlinks=False) else None
    return found, folders


def prune_to(work: Path, adopted: Adopted, wanted: set[str]) -> None:
    """Remove what the adopted build left in work that is not one of the wanted files or a folder holding one."""
    for rel in adopted.files - wanted:
        os.unlink(os.path.join(work, rel))
    needed = {rel.rpartition("/")[0] for rel in wanted}
    for rel in list(needed):
        while "/" in rel:
            rel = rel.rpartition("/")[0]
            needed.add(rel)
    for rel in reversed(adopted.folders):  # the deepest first
        if rel not in needed:
            os.rmdir(os.path.join(work, rel))


@dataclass(frozen=True)
class Reuse:
    """The previous build's direct files, by digest: one with the same digest is linked, not written."""

    dest: Path
    files: dict[str, str]
    groups: dict[str, list[str]]
    kept: frozenset[str] = frozenset()  # files already in the new build, the same as dest's (adopt_previous)

    @classmethod
    def of(cls, dest: Path, previous: dict | None, kept: frozenset[str] = frozenset()) -> "Reuse":
        files, groups = (previous.get("files"), previous.get("groups")) if previous else (None, None)
        return cls(dest, files if isinstance(files, dict) else {}, groups if isinstance(groups, dict) else {},
                   kept)

    def place_group(self, key: str, targets) -> dict[str, str] | None:
        """Link every file the previous build wrote for a group with this key; return their digests, or None.

        targets maps a relative path to where it goes (checked). On any miss, nothing of the group stays linked.
        """
        rels = self.groups.get(key)
        if not isinstance(rels, list):
            return None
        linked: dict[str, str] = {}
        for rel in rels:
            # The manifest is a file in the output folder: a path in it that is not a plain relative one is
            # never followed (the group is made again instead). A kept file is one found in the build folder.
            ok = isinstance(rel, str) and rel not in linked and (rel in self.kept or output_problem(nfc(rel)) is None)
            digest = self.files.get(rel) if ok else None
            if digest is not None and rel in self.kept:
                linked[rel] = digest  # in place already: most of a re-freeze's files, with no path to check
                continue
            if digest is None or not self.place(rel, targets(rel), digest):
                for done in linked:
                    os.unlink(targets(done))
                return None
            linked[rel] = digest
        return linked

    def place(self, rel: str, target: str, digest: str) -> bool:
        """Link the previous build's file at rel to target if it had this digest; tell whether it did."""
        if self.files.get(rel) != digest:
            return False
        if rel in self.kept:
            return True
        source = os.path.join(self.dest, rel)
        try:
            # Only a regular file: a symlink someone left in the old output is never carried into the new one.
            found = os.lstat(source)
            if not stat.S_ISREG(found.st_mode):
                return False
            os.link(source, target)
        except FileExistsError:  # kept from the previous build: the same file as dest's, or else not this one
            return os.path.samestat(found, os.lstat(target))
        except OSError:
            return False
        return True


def stream_digest(pieces, write) -> str:
    """Pass each piece of bytes to write, and digest them all as content_digest digests them joined."""
    h = hashlib.sha256()
    for piece in pieces:
        h.update(piece)
        write(piece)
    return h.hexdigest()[:32]


def content_digest(content: bytes | Path) -> str:
    """Digest a direct file's content: its bytes, or for a file to copy, its identity and last change."""
    if isinstance(content, Path):
        st = os.stat(content)
        content = repr((str(content), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)).encode()
    # SHA-256, which CPUs compute in hardware: twice BLAKE2's speed here, on tens of megabytes of index.json.
    return hashlib.sha256(content).hexdigest()[:32]
