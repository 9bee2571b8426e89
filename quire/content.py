"""Content files to immutable Post values: front matter, dates, tags, rendered Markdown, with a stat cache."""

import math
import multiprocessing
import os
import re
import struct
import threading
import tomllib
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import frontmatter
import yaml

from .cache import RenderCache
from .markdown import Heading, MarkdownTooDeep, render_markdown
from .terms import Terms, index_terms

WORDS_PER_MINUTE = 213
MARKDOWN_SUFFIXES = (".md", ".markdown")
YAML_FENCE = re.compile(r"\A---[ \t]*\n")
YAML_CLOSE = re.compile(r"^(---|\.\.\.)[ \t]*$", re.MULTILINE)
TOML_FENCE = re.compile(r"\A\+\+\+[ \t]*\n")
TOML_CLOSE = re.compile(r"^\+\+\+[ \t]*$", re.MULTILINE)
TAG_SLUG_DROP = re.compile(r"[^\w\s-]", re.UNICODE)
TAG_SLUG_SPACE = re.compile(r"[\s_-]+", re.UNICODE)
DATE_LINE = re.compile(r"^\w+\s*[:=]\s*['\"]?(\d{4}-\d{1,2}-\d{1,2})", re.MULTILINE)
KNOWN_KEYS = {"title", "date", "tags", "author", "summary", "description", "draft", "updated", "toc",
              "math", "aliases", "weight", "slug", "listed"}


class ContentError(Exception):
    """A content file that cannot be used: the file, the line and what to fix."""

    def __init__(self, path: str, message: str, line: int | None = None):
        super().__init__(message)
        self.path, self.message, self.line = path, message, line

    def __reduce__(self):
        return ContentError, (self.path, self.message, self.line)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: error: {self.message}"


@dataclass(frozen=True, order=True)
class Tag:
    slug: str
    name: str = field(compare=False)


@dataclass(frozen=True, eq=False)
class Post:
    source: str
    kind: str
    slug: str
    title: str
    date: datetime
    updated: datetime | None
    tags: tuple[Tag, ...]
    author: str
    summary: str
    description: str
    draft: bool
    toc: bool
    math: bool
    aliases: tuple[str, ...]
    weight: int
    listed: bool
    meta: dict[str, Any]
    html_z: bytes
    headings: tuple[Heading, ...]
    terms: Terms
    words: int
    figures: int
    bundle: str | None

    @property
    def html(self) -> str:
        """Return the rendered HTML (kept compressed: a large blog's posts then fit in little memory)."""
        return zlib.decompress(self.html_z).decode()

    @property
    def reading_time(self) -> int:
        """Minutes to read, Lil'Log's rule: words / 213, rounded up."""
        return max(1, math.ceil(self.words / WORDS_PER_MINUTE))


def tag_slug(name: str) -> str:
    """Turn a tag name into its URL slug: lower case, punctuation dropped, spaces hyphenated."""
    slug = TAG_SLUG_SPACE.sub("-", TAG_SLUG_DROP.sub("", name.lower())).strip("-")
    return slug


class _TomlHandler(frontmatter.default_handlers.BaseHandler):
    """TOML front matter through the standard library's tomllib."""

    FM_BOUNDARY = re.compile(r"^\+\+\+\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs) -> dict:
        return tomllib.loads(fm)


def split_front_matter(text: str, rel: str) -> tuple[dict[str, Any], str, int]:
    """Parse the front matter of a file's text; return metadata, body and the body's first line."""
    if YAML_FENCE.match(text):
        close, handler, kind = YAML_CLOSE, frontmatter.YAMLHandler(), "YAML"
    elif TOML_FENCE.match(text):
        close, handler, kind = TOML_CLOSE, _TomlHandler(), "TOML"
    else:
        raise ContentError(rel, "no front matter: start the file with a line '---', then 'title:' and "
                                "'date:' lines, then a closing '---'", 1)
    fence_end = text.index("\n") + 1
    match = close.search(text, fence_end)
    if not match:
        raise ContentError(rel, f"the {kind} front matter opened on line 1 is never closed: add a line "
                                f"'{text[:3]}' after the last setting", 1)
    raw = text[fence_end:match.start()]
    body_start = match.end() + 1
    body_line = text.count("\n", 0, body_start) + 1
    try:
        meta = handler.load(raw)
    except yaml.YAMLError as exc:
        # The context mark is where the broken construct starts; the problem mark is where it was noticed.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ContentError(rel, f"bad YAML front matter: {reason}; check quoting and indentation", line) from exc
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = int(found.group(1)) + 1 if found else None
        raise ContentError(rel, f"bad TOML front matter: {exc}", line) from exc
    except ValueError as exc:
        # PyYAML builds dates itself and raises ValueError for impossible ones like 2024-13-45.
        line = next((text.count("\n", 0, m.start()) + 1 for m in DATE_LINE.finditer(text, 0, match.start())
                     if not _valid_date(m.group(1))), None)
        raise ContentError(rel, f"impossible date in the front matter ({exc}): write YYYY-MM-DD", line) from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ContentError(rel, f"front matter must be a mapping of 'key: value' lines, "
                                f"not a {type(meta).__name__}", 2)
    return meta, text[body_start:], body_line


def _valid_date(text: str) -> bool:
    try:
        date(*map(int, text.split("-")))
    except ValueError:
        return False
    return True


def _key_line(text: str, key: str) -> int | None:
    """Find the line of a front-matter key, for error messages."""
    match = re.search(rf"^{re.escape(key)}\s*[:=]", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def parse_date(value: Any, tz: ZoneInfo) -> datetime:
    """Normalise a date, datetime or ISO string to an aware datetime in the site's time zone."""
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime.combine(value, time())
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        result = datetime.fromisoformat(text)
    else:
        raise ValueError(f"{value!r} is not a date")
    if result.tzinfo is None:
        return result.replace(tzinfo=tz)
    return result.astimezone(tz)


def parse_tags(value: Any) -> tuple[Tag, ...]:
    """Read tags from a list or a space- or comma-separated string; merge spellings sharing a slug."""
    if value is None:
        return ()
    if isinstance(value, str):
        names = value.split(",") if "," in value else value.split()
    elif isinstance(value, (list, tuple)):
        names = [str(v) for v in value if v is not None]
    else:
        names = [str(value)]
    tags, seen = [], set()
    for name in names:
        name = name.strip().strip("\"'").strip()
        slug = tag_slug(name)
        if slug and slug not in seen:
            seen.add(slug)
            tags.append(Tag(slug, name))
    return tuple(tags)


def _bool(meta: dict, key: str, default: bool, rel: str, text: str) -> bool:
    value = meta.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "on", "false", "no", "off"):
        return value.lower() in ("true", "yes", "on")
    raise ContentError(rel, f"'{key}' must be true or false, not {value!r}", _key_line(text, key))


def read_text(path: Path, rel: str, data: bytes | None = None) -> str:
    """Read a file as UTF-8 (a BOM and CRLF line ends allowed), naming the file and line on failure."""
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ContentError(rel, f"cannot read the file: {exc.strerror}") from exc
    if b"\0" in data[:8192]:
        raise ContentError(rel, "this is a binary file, not Markdown: move it out of the content folder")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ContentError(rel, f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}): save the "
                                f"file as UTF-8", line) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def image_size(path: Path) -> tuple[int, int] | None:
    """Read the pixel size of a PNG, GIF, JPEG or SVG file, or None."""
    try:
        with path.open("rb") as f:
            head = f.read(64 * 1024)
    except OSError:
        return None
    if head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) >= 24:
        return struct.unpack(">II", head[16:24])
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", head[6:10])
    if head[:2] == b"\xff\xd8":
        return _jpeg_size(head)
    if path.suffix.lower() == ".svg":
        return _svg_size(head.decode("utf-8", "replace"))
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None


def _svg_size(text: str) -> tuple[int, int] | None:
    tag = re.search(r"<svg\b[^>]*>", text, re.DOTALL)
    if not tag:
        return None
    attrs = dict(re.findall(r'\b(width|height|viewBox)\s*=\s*["\']([^"\']*)["\']', tag.group(0)))
    try:
        if "width" in attrs and "height" in attrs:
            return round(float(attrs["width"].rstrip("px"))), round(float(attrs["height"].rstrip("px")))
        if "viewBox" in attrs:
            _, _, w, h = (float(v) for v in attrs["viewBox"].replace(",", " ").split())
            return round(w), round(h)
    except ValueError:
        return None
    return None


def _bundle_image_size(bundle: Path | None):
    """Return a function giving the size of an image file inside the bundle, by its relative URL."""
    def size(url: str) -> tuple[int, int] | None:
        if bundle is None:
            return None
        name = url.split("#", 1)[0].split("?", 1)[0]
        target = (bundle / name).resolve()
        if not target.is_relative_to(bundle.resolve()) or not target.is_file():
            return None
        return image_size(target)
    return size


POST_SETTINGS = ("timezone", "summary_words", "author")


def load_post(path: Path, kind: str, rel: str, settings: dict[str, Any], data: bytes | None = None) -> Post:
    """Read, check and render one content file into a Post."""
    text = read_text(path, rel, data)
    meta, body, body_line = split_front_matter(text, rel)
    tz = ZoneInfo(settings["timezone"])
    for key in ("title", "date"):
        if meta.get(key) in (None, ""):
            raise ContentError(rel, f"missing '{key}' in the front matter: add a line '{key}: ...'", 2)
    title = str(meta["title"]).strip()
    dates = {}
    for key in ("date", "updated"):
        if meta.get(key) in (None, ""):
            continue
        try:
            dates[key] = parse_date(meta[key], tz)
        except ValueError:
            raise ContentError(rel, f"'{key}' {meta[key]!r} is not a date: write YYYY-MM-DD or "
                                    f"YYYY-MM-DDTHH:MM:SS+HH:MM", _key_line(text, key)) from None
    bundle = path.parent if path.name == "index.md" else None
    slug = str(meta.get("slug") or (bundle.name if bundle else path.stem)).strip().strip("/")
    if not slug or "/" in slug or slug.startswith("."):
        raise ContentError(rel, f"slug {slug!r} cannot be a URL part: use letters, digits and hyphens",
                           _key_line(text, "slug"))
    aliases = meta.get("aliases") or ()
    if isinstance(aliases, str):
        aliases = (aliases,)
    try:
        weight = int(meta.get("weight") or 0)
    except (TypeError, ValueError):
        raise ContentError(rel, f"'weight' must be a whole number, not {meta['weight']!r}",
                           _key_line(text, "weight")) from None
    try:
        rendered = render_markdown(body, image_size=_bundle_image_size(bundle))
    except MarkdownTooDeep as exc:
        raise ContentError(rel, str(exc).split(": ", 1)[1], body_line + exc.line - 1) from exc
    except RecursionError as exc:
        raise ContentError(rel, "the Markdown is nested too deeply to render: flatten lists and quotes") from exc
    words = rendered.text.split()
    if meta.get("summary"):
        summary = " ".join(str(meta["summary"]).split())
    elif rendered.has_more:
        summary = rendered.lead_text + " ..."
    else:
        # Summaries are prose: code blocks are left out (they are counted as words all the same).
        limit, lead = settings["summary_words"], rendered.lead_text.split()
        summary = " ".join(lead[:limit]) + (" ..." if len(lead) > limit else "")
    math_flag = meta.get("math")
    return Post(
        source=rel,
        kind=kind,
        slug=slug,
        title=title,
        date=dates["date"],
        updated=dates.get("updated"),
        tags=parse_tags(meta.get("tags")),
        author=str(meta.get("author") or settings["author"]),
        summary=summary,
        description=" ".join(str(meta.get("description") or summary).split()),
        draft=_bool(meta, "draft", False, rel, text),
        toc=_bool(meta, "toc", True, rel, text),
        math=rendered.has_math if math_flag is None else _bool(meta, "math", False, rel, text),
        aliases=tuple(_alias_path(a) for a in aliases),
        weight=weight,
        listed=_bool(meta, "listed", kind == "post", rel, text),
        meta=dict(meta),
        html_z=zlib.compress(rendered.html.encode(), 1),
        headings=rendered.headings,
        terms=index_terms(rendered.search_text),
        words=len(words),
        figures=rendered.figures,
        bundle=Path(rel).parent.as_posix() if bundle else None,
    )


def _alias_path(alias: Any) -> str:
    """Make an alias a root-relative path; one without a file extension becomes a folder (static hosts)."""
    path = "/" + str(alias).strip().lstrip("/")
    if not path.endswith("/") and "." not in path.rsplit("/", 1)[1]:
        path += "/"
    return path


def _is_leftover(name: str) -> bool:
    """Tell editor leftovers and hidden files from content."""
    return name.startswith((".", "#", "_")) or name.endswith(("~", ".swp", ".swx", ".tmp"))


class SourceFile(NamedTuple):
    path: str
    kind: str
    rel: str
    stamp: tuple
    linked: bool


def content_files(site_dir: Path) -> list[SourceFile]:
    """List the Markdown files of posts/ and pages/ (flat files and bundles) with a change stamp each.

    This runs on every request of the dev server, so it makes one stat call a file and nothing more:
    a bundle's stamp is its index.md and the folder itself (adding, removing or renaming an image changes it).
    """
    found = []
    for folder, kind in (("posts", "post"), ("pages", "page")):
        try:
            entries = sorted(os.scandir(site_dir / folder), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            name = entry.name
            if _is_leftover(name):
                continue
            try:
                if name.endswith(MARKDOWN_SUFFIXES) and entry.is_file():
                    st = entry.stat()
                    found.append(SourceFile(entry.path, kind, f"{folder}/{name}",
                                            (st.st_mtime_ns, st.st_size), entry.is_symlink()))
                elif entry.is_dir():
                    st = os.stat(os.path.join(entry.path, "index.md"))
                    folder_st = entry.stat()
                    found.append(SourceFile(os.path.join(entry.path, "index.md"), kind, f"{folder}/{name}/index.md",
                                            (st.st_mtime_ns, st.st_size, folder_st.st_mtime_ns),
                                            entry.is_symlink()))
            except (FileNotFoundError, NotADirectoryError):
                continue
    return found


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


class ContentStore:
    """Load content files on demand, parsing a file again only when its (mtime, size) changes.

    Rendered posts are also kept in a RenderCache on disk keyed by their bytes, and a large batch of
    uncached files is rendered by a pool of forked processes, one per core.
    """

    PARALLEL_MIN = 16

    def __init__(self, site_dir: Path, settings: dict[str, Any], cache: RenderCache | None = None):
        self.site_dir = site_dir
        self.settings = {k: settings[k] for k in POST_SETTINGS}
        self.cache = cache or RenderCache(None, "")
        self._memory: dict[Path, tuple[tuple, Post | ContentError]] = {}
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def snapshot(self) -> Snapshot:
        """Return the current posts and errors, reusing the last snapshot when nothing changed."""
        with self._lock:
            files = content_files(self.site_dir)
            key = tuple((f.rel, f.stamp) for f in files)
            if self._snapshot is not None and self._snapshot.key == key:
                return self._snapshot
            root = self.site_dir.resolve()
            todo, entries = [], {}
            for f in files:
                if (f.linked or f.rel.endswith("/index.md")) and not Path(f.path).resolve().is_relative_to(root):
                    entries[f.path] = ContentError(f.rel, "symlink points outside the site folder: copy the file in")
                    continue
                cached = self._memory.get(f.path)
                if cached is not None and cached[0] == f.stamp:
                    entries[f.path] = cached[1]
                else:
                    todo.append(f)
            for f, result in zip(todo, self._load_many(todo), strict=True):
                self._memory[f.path] = (f.stamp, result)
                entries[f.path] = result
            for gone in set(self._memory) - set(entries):
                del self._memory[gone]
            ordered = [entries[f.path] for f in files]
            self._snapshot = Snapshot(
                key=key,
                posts=tuple(e for e in ordered if isinstance(e, Post)),
                errors=tuple(e for e in ordered if isinstance(e, ContentError)),
            )
            return self._snapshot

    def _load_many(self, todo: list[SourceFile]) -> list:
        """Load files from the disk cache where possible, rendering the rest (in parallel if many)."""
        results: list = [None] * len(todo)
        misses = []
        for i, f in enumerate(todo):
            path, kind, rel = Path(f.path), f.kind, f.rel
            try:
                data = path.read_bytes()
            except OSError as exc:
                results[i] = ContentError(rel, f"cannot read the file: {exc.strerror}")
                continue
            cache_key = self.cache.key(kind, rel, repr(sorted(self.settings.items())), repr(f.stamp[2:]), data)
            post = self.cache.get(cache_key)
            if isinstance(post, Post):
                results[i] = post
            else:
                misses.append((i, cache_key, (path, kind, rel, self.settings, data)))
        workers = min(os.cpu_count() or 1, 8)
        # Forking is only safe without other threads (a threaded dev server renders in its own process).
        if len(misses) >= self.PARALLEL_MIN and workers > 1 and threading.active_count() == 1:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                loaded = list(pool.map(_load_safely, *zip(*(args for _, _, args in misses), strict=True), chunksize=4))
        else:
            loaded = [_load_safely(*args) for _, _, args in misses]
        for (i, cache_key, _), result in zip(misses, loaded, strict=True):
            results[i] = result
            if isinstance(result, Post):
                self.cache.put(cache_key, result)
        return results
