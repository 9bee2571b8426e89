"""Content files to immutable Post values: front matter, dates, tags, rendered Markdown, with a stat cache."""

import math
import re
import tomllib
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import frontmatter
import yaml

from .front_matter import FRONT_MATTER, boolean, clean_text, near_miss, type_problem, whole
from .images import image_size
from .markdown import Heading, MarkdownTooDeep, html_ids, render_markdown
from .paths import alias_path, alias_problem, nfc, slug_problem
from .responsive import add_srcset
from .safe_yaml import FrontMatterTooBig, check_bounds, load_yaml
from .terms import Terms, index_terms

WORDS_PER_MINUTE = 213
MARKDOWN_SUFFIXES = (".md", ".markdown")
YAML_FENCE = re.compile(r"\A---[ \t]*\n")
YAML_CLOSE = re.compile(r"^(---|\.\.\.)[ \t]*$", re.MULTILINE)
TOML_FENCE = re.compile(r"\A\+\+\+[ \t]*\n")
TOML_CLOSE = re.compile(r"^\+\+\+[ \t]*$", re.MULTILINE)
TAG_SLUG_DROP = re.compile(r"[^\w\s-]", re.UNICODE)
TAG_SLUG_SPACE = re.compile(r"[\s_-]+", re.UNICODE)
MERMAID_BLOCK = '<pre class="mermaid">'
DATE_LINE = re.compile(r"\s*(?:[\w-]+\s*:|-)\s*['\"]?\d{4}-\d{1,2}-\d{1,2}")


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
    date: datetime | None  # None only for a page that sets none
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
    links: tuple[tuple[str, str], ...]
    anchors: frozenset[str]
    labels: tuple[str, ...] = ()  # cross-reference labels defined (equations, figures), repeats kept
    refs: tuple[str, ...] = ()  # the labels the post refers to
    warnings: tuple[tuple[str, str], ...] = ()  # (text on its line, message) from rendering: code-block options
    series: Tag | None = None
    cover: str = ""
    cover_alt: str = ""
    mermaid: bool = False  # has a ```mermaid diagram: its page loads Mermaid

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
        close, handler, kind = YAML_CLOSE, None, "YAML"
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
        check_bounds(raw)
        meta = load_yaml(raw) if kind == "YAML" else handler.load(raw)
    except FrontMatterTooBig as exc:
        raise ContentError(rel, str(exc), 1) from exc
    except RecursionError as exc:
        raise ContentError(rel, "the front matter is nested too deeply: flatten it", 1) from exc
    except yaml.reader.ReaderError as exc:
        # PyYAML refuses control characters before parsing: it gives their place in the text, not a line.
        raise ContentError(rel, f"bad YAML front matter: the control character U+{exc.character:04X} is not "
                                f"allowed; remove it", raw.count("\n", 0, exc.position) + 2) from exc
    except yaml.YAMLError as exc:
        # The context mark is where the broken construct starts; the problem mark is where it was noticed.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ContentError(rel, f"bad YAML front matter: {reason}; check quoting and indentation", line) from exc
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        # An error "at end of document" has no line: it is the front matter's last line.
        line = int(found.group(1)) + 1 if found else body_line - 2
        raise ContentError(rel, f"bad TOML front matter: {exc}", line) from exc
    except (ValueError, OverflowError, AttributeError, TypeError) as exc:
        # PyYAML builds dates and numbers after parsing, and an impossible one (2024-13-45, 0x_, !!int twelve)
        # raises a plain error without a line (at worst one of its own): the culprit fails again alone.
        reason = str(exc) if isinstance(exc, (ValueError, OverflowError)) else f"{type(exc).__name__}: {exc}"
        line = _failing_line(raw)
        if line is not None and DATE_LINE.match(raw.split("\n")[line - 2]):
            raise ContentError(rel, f"impossible date in the front matter ({reason}): write YYYY-MM-DD or "
                                    f"YYYY-MM-DDTHH:MM:SS+HH:MM", line) from exc
        raise ContentError(rel, f"bad value in the front matter ({reason}): check it, or quote it to keep it "
                                f"as text", line) from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ContentError(rel, f"front matter must be a mapping of 'key: value' lines, "
                                f"not a {type(meta).__name__}", 2)
    return meta, text[body_start:], body_line


def _failing_line(raw: str) -> int | None:
    """Return the file line of the first front-matter line whose value cannot be built even alone."""
    for number, line in enumerate(raw.split("\n"), 2):
        try:
            load_yaml(line)
        except yaml.YAMLError:
            continue  # a piece of a larger construct, not a value that cannot be built
        except Exception:
            return number
    return None


def key_line(text: str, key: str) -> int | None:
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
    try:
        result = result.replace(tzinfo=tz) if result.tzinfo is None else result.astimezone(tz)
        result.astimezone(UTC)  # feeds, sorting and comparisons may need it in UTC
    except OverflowError:
        raise OverflowError(f"{value} is out of range: in UTC and in the site's time zone it must fall "
                            f"between the years 1 and 9999") from None
    return result


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
        name = nfc(clean_text(name)).strip().strip("\"'").strip()
        slug = tag_slug(name)
        if slug and slug not in seen:
            seen.add(slug)
            tags.append(Tag(slug, name))
    return tuple(tags)


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
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _bundle_image_size(bundle: Path | None):
    """Return a function giving the size of an image file inside the bundle, by its relative URL."""
    def size(url: str) -> tuple[int, int] | None:
        if bundle is None:
            return None
        name = unquote(url.split("#", 1)[0].split("?", 1)[0])  # `my%20fig.png` is the file `my fig.png`
        try:
            target = (bundle / name).resolve()
            if not target.is_relative_to(bundle.resolve()) or not target.is_file():
                return None
        except OSError:  # an unreadable folder: the image stays unsized
            return None
        return image_size(target)
    return size


POST_SETTINGS = ("timezone", "summary_words", "author", "smart_punctuation")


def load_post(path: Path, kind: str, rel: str, settings: dict[str, Any], data: bytes | None = None) -> Post:
    """Read, check and render one content file into a Post."""
    text = read_text(path, rel, data)
    meta, body, body_line = split_front_matter(text, rel)
    values = _checked_values(meta, kind, rel, text, ZoneInfo(settings["timezone"]))
    bundle = path.parent if path.name == "index.md" else None
    slug = values["slug"] or nfc(bundle.name if bundle else path.stem)
    problem = slug_problem(slug, kind)
    if problem:
        raise ContentError(rel, problem, key_line(text, "slug"))
    try:
        rendered = render_markdown(body, image_size=_bundle_image_size(bundle),
                                   smart_punctuation=settings["smart_punctuation"])
    except MarkdownTooDeep as exc:
        # The file and line are given apart: the message keeps what is wrong and what to do.
        raise ContentError(rel, "this line is " + str(exc).split(" is ", 1)[1], body_line + exc.line - 1) from exc
    except RecursionError as exc:
        raise ContentError(rel, "the Markdown is nested too deeply to render: flatten lists and quotes") from exc
    words = rendered.text.split()
    body_html = add_srcset(rendered.html, lambda name: _bundle_image_size(bundle)(name) is not None) \
        if bundle else rendered.html
    if values["summary"]:
        summary = " ".join(values["summary"].split())
    elif rendered.has_more:
        summary = rendered.lead_text + " ..."
    else:
        # Summaries are prose: code blocks are left out (they are counted as words all the same).
        limit, lead = settings["summary_words"], rendered.lead_text.split()
        summary = " ".join(lead[:limit]) + (" ..." if len(lead) > limit else "")
    return Post(
        source=rel,
        kind=kind,
        slug=slug,
        title=values["title"],
        date=values["date"],
        updated=values["updated"],
        tags=parse_tags(meta.get("tags")),
        author=values["author"] or settings["author"],
        summary=summary,
        description=" ".join((values["description"] or summary).split()),
        draft=boolean(meta.get("draft"), False),
        toc=boolean(meta.get("toc"), True),
        math=boolean(meta.get("math"), rendered.has_math),
        aliases=values["aliases"],
        weight=whole(meta.get("weight")),
        listed=boolean(meta.get("listed"), kind == "post"),
        meta=dict(meta),
        html_z=zlib.compress(body_html.encode(), 1),
        headings=rendered.headings,
        terms=index_terms(rendered.search_text),
        words=len(words),
        figures=rendered.figures,
        bundle=Path(rel).parent.as_posix() if bundle else None,
        links=rendered.links,
        anchors=html_ids(rendered.html),
        labels=rendered.labels,
        refs=rendered.refs,
        warnings=rendered.warnings,
        series=next(iter(parse_tags([values["series"]])), None) if values["series"] else None,
        cover=values["cover"],
        cover_alt=values["cover_alt"],
        mermaid=MERMAID_BLOCK in rendered.html,
    )


def _checked_values(meta: dict[str, Any], kind: str, rel: str, text: str, tz: ZoneInfo) -> dict[str, Any]:
    """Check every known key's type and range (FRONT_MATTER); return the text, date and alias values."""
    for key in FRONT_MATTER:
        if kind in key.required and meta.get(key.name) in (None, ""):
            typo = next((k for k in meta if near_miss(str(k), set(meta)) == key.name), None)
            hint = f" (is '{typo}' a misspelling of it?)" if typo else ""
            raise ContentError(rel, f"missing '{key.name}' in the front matter: add a line '{key.name}: ...'"
                                    f"{hint}", key_line(text, str(typo)) if typo else 2)
        problem = type_problem(key, meta.get(key.name))
        if problem:
            raise ContentError(rel, problem, key_line(text, key.name))
    values: dict[str, Any] = {}
    for name in ("title", "slug", "author", "summary", "description", "series", "cover", "cover_alt"):
        value = meta.get(name)
        values[name] = clean_text(value).strip() if value is not None else ""
    values["slug"] = nfc(values["slug"].strip("/"))
    for name in ("date", "updated"):
        value = meta.get(name)
        values[name] = None
        if value in (None, ""):
            continue
        try:
            values[name] = parse_date(value, tz)
        except OverflowError as exc:
            raise ContentError(rel, f"'{name}' {exc}", key_line(text, name)) from None
        except ValueError:
            raise ContentError(rel, f"'{name}' {value!r} is not a date: write YYYY-MM-DD or "
                                    f"YYYY-MM-DDTHH:MM:SS+HH:MM", key_line(text, name)) from None
    if kind == "page" and boolean(meta.get("listed"), False) and values["date"] is None:
        raise ContentError(rel, "missing 'date' in the front matter: a listed page is placed in lists and feeds by "
                                "its date; add a line 'date: ...'", 2)
    aliases = meta.get("aliases") or []
    for alias in [aliases] if isinstance(aliases, str) else aliases:
        problem = alias_problem(alias.strip())
        if problem:
            raise ContentError(rel, problem, _line_of(text, alias.strip()) or key_line(text, "aliases"))
    values["aliases"] = tuple(alias_path(a.strip()) for a in ([aliases] if isinstance(aliases, str) else aliases))
    return values


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle) if needle else -1
    return text.count("\n", 0, index) + 1 if index >= 0 else None
