"""Jekyll to Quire: posts and pages, Liquid tags, kramdown math, attribute lists, TOC, images and old URLs."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape as escape_html
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import yaml

from ..content import ContentError, read_text, split_front_matter
from ..urls import build
from .common import (
    EMPTY_ANCHOR,
    FENCE,
    POSTS,
    Converted,
    LinkRules,
    Report,
    close_anchors,
    display_math,
    drop_link,
    fence_end,
    figure_html,
    fix_links,
    inline_math,
    local_preview_path,
    new_url,
    old_address,
    prose,
    replace_url,
    resolve_link,
    squeeze_html,
    take_citations,
    unify_tags,
)

POST_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
HTML_TEX = re.compile(r"\$\$.+?\$\$|\$(?!\s)[^$\n]+?\$(?!\d)", re.DOTALL)
LONE_TEX = re.compile(r"\$(?!\s)[^$\n]+?\$(?!\d)")
MARKDOWN = (".md", ".markdown", ".mkd", ".mkdn")
PERMALINKS = {"date": "/:categories/:year/:month/:day/:title:output_ext",
              "pretty": "/:categories/:year/:month/:day/:title/",
              "ordinal": "/:categories/:year/:y_day/:title:output_ext",
              "none": "/:categories/:title:output_ext"}
DROPPED_KEYS = ("layout", "comments")
LIQUID = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}|\{%-?\s*(\w+)\s*(.*?)\s*-?%\}", re.DOTALL)
LIQUID_URL = re.compile(r"""^(['"])(.*)\1\s*\|\s*(relative_url|absolute_url)$""")
RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.DOTALL)
ASSET = re.compile(r"""(?P<pre>\]\(\s*<?|\b(?:src|href)=["']?)(?P<path>/assets/[^\s)"'>]+)""")
FIGURE_ID = re.compile(r"\A[A-Za-z0-9_.:-]+\Z")
IAL = re.compile(r"^ {0,3}\{:(?!:)\s*(.*?)\s*\}\s*$")
IAL_PART = re.compile(r"""\.([\w-]+)|#([\w-]+)|([\w-]+)=(?:"([^"]*)"|'([^']*)')|(\w+)""")
TOC_ITEM = re.compile(r"^\s*(?:[*+-]|1\.)\s+TOC\s*$")
IMAGE_LINE = re.compile(r"""^\s*!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+["'](?P<title>[^"']*)["'])?\)\s*$""")
ANCHOR_LINE = re.compile(r"^\s*<a\s+(?:name|id)=[\"'][^\"']+[\"']\s*/?>(?:</a>)?\s*$")
EMPTY_LINK = re.compile(r"""<a\s+href=["']#?([\w-]+)["']\s*(?:/>|>\s*</a>)""")  # an anchor target, meant as id
HTML_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][A-Za-z0-9-]*(?:\s+[^\s\"'>/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|"
                      r"[^\s\"'=<>`]+))?)*\s*/?>|<[a-z][a-z0-9+.-]*:[^\s<>]*>", re.DOTALL | re.IGNORECASE)
HTML_BLOCK = re.compile(r"^ {0,3}<(?P<tag>div|table|pre|figure|blockquote|ul|ol|dl|p|h[1-6]|iframe|video|"
                        r"script|style|form|center|details|section|math)\b", re.IGNORECASE)
LIST_ITEM = re.compile(r"^\s*(?:[*+-]|\d+\.)\s")
LEADING_BREAKS = re.compile(r"\A(?:\s*<br\s*/?>)+", re.IGNORECASE)
LINK_IAL = re.compile(r"""\[(?P<text>(?:[^\[\]\\]|\\.|\[[^\[\]]*\])*)\]\((?P<url>[^()\s]+)"""
                      r"""(?:\s+(?:"(?P<title>[^"]*)"|'(?P<title2>[^']*)'))?\)\{:(?P<ial>[^{}\n]*)\}""")
LINK_ATTRIBUTES = ("target", "rel", "title", "id")
MATH_OPEN = re.compile(r"^(?P<lead>\s*(?:(?:[*+-]|\d+\.)[ \t]+)?)\$\$")
LOCAL_LINK = re.compile(r"""(?:\]\(\s*<?|href=["']?)(https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0)[^\s)"'>]*)""",
                        re.IGNORECASE)
RELATIVE_LINK = re.compile(r"""(?:\]\(|href=["']?)(?![a-z][a-z0-9+.-]*:|/|#)([^\s)"'>]+)""", re.IGNORECASE)
RELATIVE_LINKS = LinkRules(
    old_needs_file=True, old="relative link {url} is not in this import: linked at its old address {old}",
    missing="image {url} is not in the source",
    dead="relative link {url} leads to no page in this import (with --site-url, a link naming a file points at the "
         "old site)",
    dead_with_site_url="relative link {url} names neither a page of this import nor a file", dead_hint="")
TABLE_SEP = re.compile(r"^\s*\|?[\s:|+-]*-[\s:|+-]*$")


@dataclass
class Context:
    """What one file's conversion needs and finds: its name, where its images go, math count, problems."""

    source: str
    report: Report
    src_root: Path
    image_prefix: str
    image_folder: str
    old_base: str | None = None  # the old site's address with its baseurl, when --site-url is given
    files: dict[str, Path | None] = field(default_factory=dict)
    remote: set[str] = field(default_factory=set)
    old_url: str = ""
    toc: bool = False
    math: int = 0
    caption_math: int = 0
    figures: int = 0

    def warn(self, message: str, count: str | None = None) -> None:
        self.report.warn(self.source, message, count)


def import_jekyll(src: Path, report: Report, site_url: str | None = None) -> list[Converted]:
    """Convert a Jekyll site's posts and pages into Quire posts and pages.

    With site_url (the old site's address, without the baseurl), images the source lacks and links to posts
    outside the import point at their old addresses.
    """
    config = _config(src, report)
    old_base = old_address(site_url, _base(config)).rstrip("/") if site_url else None
    items = []
    posts = sorted(p for p in (src / "_posts").rglob("*") if p.suffix in MARKDOWN and p.is_file())
    if not posts:
        report.warn(str(src), "no posts found in _posts/")
    for path in posts:
        item = _convert_file(path, src, config, report, "post", old_base)
        if item:
            items.append(item)
    for path in sorted(src.iterdir()):
        if path.suffix in (*MARKDOWN, ".html") and path.is_file() and not path.name.startswith(("_", ".")):
            if path.stem.lower() in ("index", "404", "readme", "feed", "search", "archive", "archives", "tags"):
                report.warn(path.relative_to(src).as_posix(), "skipped: Quire makes this page itself")
                continue
            item = _convert_file(path, src, config, report, "page", old_base)
            if item:
                items.append(item)
    relative_links(items, report, site_url)
    fix_links(items, report, site_url, _old_post_url(config, site_url) if site_url else None)
    take_citations(items, report)
    unify_tags(items, report)
    return items


def _base(config: dict) -> str:
    """Return the site's baseurl as a path prefix: '/lil-log', or '' for none."""
    base = str(config.get("baseurl") or "").strip("/")
    return f"/{base}" if base else ""


def _old_post_url(config: dict, site_url: str) -> Callable[[str], str | None]:
    """Return a function giving the old absolute URL of a post from its file name (YYYY-MM-DD-title)."""
    def old(name: str) -> str | None:
        match = POST_NAME.match(name)
        if not match:
            return None
        day = date(*(int(g) for g in match.groups()[:3]))
        return old_address(site_url, _old_url({"date": day}, config, day, match.group(4), Path(name)))
    return old


def relative_links(items: list[Converted], report: Report, site_url: str | None) -> None:
    """Resolve relative links against each file's old URL: to an imported page, to the old site, or drop them.

    `www.x.com` (no scheme) becomes `https://www.x.com`; a link to an imported file's old URL points at its new
    URL; with site_url a link naming a file (`contact.html`) points at the old site; any other (`TBA`) keeps its
    text and loses its link.
    """
    new_urls = {alias: new_url(c.kind, c.slug) for c in items for alias in c.meta.get("aliases") or []}
    for item in items:
        _local_preview_links(item, new_urls, report, site_url)
        beside = {rel.split("/", 2)[-1] for rel in item.files}
        for link in sorted(set(RELATIVE_LINK.findall(prose(item.body)))):
            if link.split("#", 1)[0].split("?", 1)[0] in beside:
                continue
            resolved = resolve_link(link, item.old_url, new_urls.get, site_url, RELATIVE_LINKS)
            if resolved.drop:
                item.body, message = drop_link(item.body, link, resolved.message, resolved.hint)
                report.warn(item.source, message, count="unconverted")
                continue
            if resolved.message:
                report.warn(item.source, resolved.message, count=resolved.count)
            if resolved.url != link:
                item.body = replace_url(item.body, link, resolved.url)
                # a link moved to an imported page is a cross-link (fix_links counts those to posts)
                report.count("crosslinks", not resolved.message and not resolved.url.startswith(POSTS))


def _local_preview_links(item: Converted, new_urls: dict[str, str], report: Report, site_url: str | None) -> None:
    """Point links to the author's preview server (`http://127.0.0.1:4000/blog/2018/04/07/x.html#a`) where
    the old site's own URLs go: the imported page, else the old public address, else nowhere.

    The preview server may date a post a day off (it ran in the author's time zone), so a path that is no
    old URL is matched by its file name when one imported page has it."""
    by_name: dict[str, list[str]] = {}
    for alias, new in new_urls.items():
        by_name.setdefault(PurePosixPath(alias).name, []).append(new)
    for link in sorted(set(LOCAL_LINK.findall(prose(item.body)))):
        path = local_preview_path(link)
        if path is None:
            continue
        target = urlsplit(path)
        fragment = f"#{target.fragment}" if target.fragment else ""
        same_name = set(by_name.get(PurePosixPath(target.path).name, [])) if PurePosixPath(target.path).suffix else ()
        new = new_urls.get(target.path) or (same_name.pop() if len(same_name) == 1 else None)
        if new:
            report.warn(item.source, f"link {link} is to the author's preview server: written as {new}{fragment}",
                        count="crosslinks")
            item.body = replace_url(item.body, link, new + fragment)
        elif site_url:
            old = old_address(site_url, target.path) + fragment
            report.warn(item.source, f"link {link} is to the author's preview server and names no page of this "
                                     f"import: linked at its old address {old}", count="links_old")
            item.body = replace_url(item.body, link, old)
        else:
            item.body, message = drop_link(item.body, link, f"link {link} is to the author's preview server and "
                                                            f"names no page of this import",
                                           "with --site-url it points at the old site")
            report.warn(item.source, message, count="unconverted")


def _config(src: Path, report: Report) -> dict[str, Any]:
    """Read _config.yml for the base URL, permalink style and excerpt separator."""
    path = src / "_config.yml"
    if not path.is_file():
        report.warn(str(src), "no _config.yml: assuming baseurl '' and permalink 'date'")
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except yaml.YAMLError as exc:
        report.warn("_config.yml", f"cannot be read ({exc}); assuming the defaults")
        return {}
    return data if isinstance(data, dict) else {}


def _convert_file(path: Path, src: Path, config: dict, report: Report, kind: str,
                  old_base: str | None = None) -> Converted | None:
    """Convert one post or page; report and skip it when it cannot be read."""
    rel = path.relative_to(src).as_posix()
    try:
        meta, body, _ = split_front_matter(read_text(path, rel), rel)
    except ContentError as exc:
        if kind == "page":
            report.warn(rel, "skipped: no front matter, so Jekyll did not treat it as a page")
        else:
            report.warn(rel, f"skipped: {exc.message}", count="unconverted")
        return None
    stem = path.stem
    if kind == "post":
        match = POST_NAME.match(stem)
        if not match:
            report.warn(rel, "skipped: a post's file name must start with YYYY-MM-DD-", count="unconverted")
            return None
        slug, title_part = stem, match.group(4)
        file_date = date(*(int(g) for g in match.groups()[:3]))
        prefix = ""
    else:
        slug, title_part, file_date = re.sub(r"[^\w-]+", "-", stem.lower()).strip("-"), stem, None
        prefix = "/static/"
    ctx = Context(rel, report, src, prefix, f"posts/{slug}/" if kind == "post" else "static/", old_base)
    body = convert_body(body, ctx, config, is_html=path.suffix == ".html")
    meta, body = _front_matter(meta, body, ctx, config, file_date, title_part, path)
    report.count("math", ctx.math)
    report.count("figures", ctx.figures)
    files = {(f"posts/{slug}/{name}" if kind == "post" else f"static/{name}"): source
             for name, source in ctx.files.items()}
    return Converted(kind, slug, rel, meta, body, bundle=kind == "post" and bool(files), files=files,
                     old_url=ctx.old_url)


def _front_matter(meta: dict, body: str, ctx: Context, config: dict, file_date: date | None,
                  title_part: str, path: Path) -> tuple[dict, str]:
    """Map Jekyll's front matter to Quire's keys; compute the old URL as an alias."""
    meta = {k: v for k, v in meta.items() if k not in DROPPED_KEYS}
    if not meta.get("title"):
        title = _first_heading(body)
        if title:
            meta["title"], body = title
        else:
            meta["title"] = title_part.replace("-", " ").strip().capitalize()
    meta["title"] = str(meta["title"])
    if not meta.get("date"):
        meta["date"] = file_date or date.fromtimestamp(path.stat().st_mtime)
    for key in ("tags", "tag"):
        value = meta.pop(key, None)
        if isinstance(value, str):
            meta["tags"] = value.split()
        elif isinstance(value, list):
            meta["tags"] = [str(v) for v in value]
    if "published" in meta:
        meta["draft"] = not meta.pop("published")
    if "last_modified_at" in meta:
        meta["updated"] = meta.pop("last_modified_at")
    if "excerpt" in meta and "summary" not in meta:
        meta["summary"] = meta.pop("excerpt")
    old = ctx.old_url = _old_url(meta, config, file_date, meta.pop("slug", None) or title_part, path)
    redirects = meta.pop("redirect_from", None) or []  # the jekyll-redirect-from plugin's old URLs
    base = "/" + str(config.get("baseurl") or "").strip("/")
    redirects = [re.sub(r"/+", "/", f"{base}/{r}") for r in ([redirects] if isinstance(redirects, str) else redirects)]
    meta["aliases"] = [*(meta.get("aliases") or []), old, *redirects]
    if file_date is not None:
        meta["toc"] = ctx.toc
    if ctx.caption_math and ctx.caption_math == ctx.math:
        meta.setdefault("math", True)  # math only inside raw HTML is invisible to Quire's math detection
    return meta, body


def _first_heading(body: str) -> tuple[str, str] | None:
    """Take the page title from its first <h1> (HTML pages rarely have a title key); drop that heading."""
    match = re.search(r"<h1[^>]*>(.*?)</h1>\s*", body, re.DOTALL | re.IGNORECASE)
    if not match:
        return None
    title = re.sub(r"<[^>]+>", "", match.group(1)).strip()
    return title, body[:match.start()] + body[match.end():]


def _old_url(meta: dict, config: dict, file_date: date | None, title: str, path: Path) -> str:
    """Build the URL Jekyll gave this file: baseurl + permalink pattern (or the page's own path)."""
    base = "/" + str(config.get("baseurl") or "").strip("/")
    if meta.get("permalink"):
        url = str(meta.pop("permalink"))
    elif file_date is None:
        url = "/" + path.with_suffix(".html").name
    else:
        when = meta["date"] if isinstance(meta["date"], (date, datetime)) else file_date
        pattern = str(config.get("permalink") or "date")
        pattern = PERMALINKS.get(pattern, pattern)
        cats = meta.get("categories") or meta.get("category") or []
        cats = cats.split() if isinstance(cats, str) else [str(c) for c in cats]
        parts = {":categories": "/".join(c.lower() for c in cats), ":year": f"{when.year:04d}",
                 ":month": f"{when.month:02d}", ":i_month": str(when.month), ":day": f"{when.day:02d}",
                 ":i_day": str(when.day), ":short_year": f"{when.year % 100:02d}",
                 ":y_day": f"{when.timetuple().tm_yday:03d}", ":output_ext": ".html", ":title": title,
                 ":slug": title.lower()}
        url = re.sub(r":[a-z_]+", lambda m: parts.get(m.group(0), m.group(0)), pattern)
    return re.sub(r"/+", "/", f"{base}/{url}")


def convert_body(text: str, ctx: Context, config: dict | None = None, is_html: bool = False) -> str:
    """Convert a kramdown (or HTML) body with Liquid tags into Quire Markdown."""
    config = config or {}
    separator = config.get("excerpt_separator")
    if separator and separator != "<!--more-->":
        text = text.replace(separator, "<!--more-->", 1)
    text = liquid(text)
    text = ASSET.sub(lambda m: m.group("pre") + asset(m.group("path"), ctx), text)
    text = re.sub(r"(\]\(|href=[\"']?)/feed\.xml\b", r"\1/index.xml", text)
    text = _html_page(text, ctx) if is_html else "\n".join(convert_lines(text.split("\n"), ctx)) + "\n"
    return text.replace("\x01", "{{").replace("\x02", "{%")


def liquid(text: str) -> str:
    """Replace the Liquid tags Jekyll sites use for URLs and code; hide `{% raw %}` text from later steps."""
    def tag(m: re.Match) -> str:
        if m.group(1) is not None:
            expr = m.group(1)
            if re.fullmatch(r"site\.(baseurl|url)", expr):
                return ""
            url = LIQUID_URL.match(expr)
            return url.group(2) if url else m.group(0)
        name, args = m.group(2), m.group(3)
        if name == "post_url":
            return build("post", slug=args.strip().rsplit("/", 1)[-1])
        if name == "highlight":
            return "```" + (args.split()[0] if args.split() else "")
        if name == "endhighlight":
            return "```"
        if name == "link" and args.strip().startswith("_posts/"):
            return build("post", slug=Path(args.strip()).stem)
        return m.group(0)

    # Raw text stays Markdown but its braces are masked, so no later step reads them as Liquid.
    text = RAW.sub(lambda m: m.group(1).replace("{{", "\x01").replace("{%", "\x02"), text)
    return LIQUID.sub(tag, text)


def asset(path: str, ctx: Context) -> str:
    """Point an /assets/ URL at the copy beside the post (or in static/ for pages); note missing files.

    A file the source lacks is linked at its old address when the old site's address is known.
    """
    name = path.split("#", 1)[0].split("?", 1)[0]
    rel = name[len("/assets/images/"):] if name.startswith("/assets/images/") and ctx.image_prefix == "" \
        else name[len("/assets/"):]
    source = ctx.src_root / name.lstrip("/")
    if ctx.old_base and not source.is_file():
        old = ctx.old_base + path
        if name not in ctx.remote:
            ctx.remote.add(name)
            ctx.warn(f"{name} is not in the source: linked at its old address {old}", count="images_old")
        return old
    if rel not in ctx.files:
        ctx.files[rel] = source if source.is_file() else None
        if not source.is_file():
            ctx.warn(f"{name} is not in the source; add it as {ctx.image_folder}{rel} (or give --site-url to "
                     f"link it at its old address)", count="images_missing")
    return ctx.image_prefix + rel


def _html_page(text: str, ctx: Context) -> str:
    """Keep an HTML page's body as one raw HTML block: no indentation or blank lines for Markdown to read."""
    if "<pre" in text:
        ctx.warn("HTML page with <pre> kept as it is; check its layout")
        return text
    return "\n".join(line.strip() for line in close_anchors(text).split("\n") if line.strip()) + "\n"


def convert_lines(lines: list[str], ctx: Context) -> list[str]:
    """Convert kramdown block by block: code, raw HTML, display math, quotes and text."""
    out: list[str] = []
    i, boundary, in_list = 0, True, False
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            out.append(line)
            i, boundary = i + 1, True
            continue
        end = fence_end(lines, i)
        if end:
            out.extend(lines[i:end])
            i, boundary = end, False
            continue
        end = _html_end(lines, i)
        if end:
            out.extend(raw_html("\n".join(lines[i:end]), ctx).split("\n"))
            i, boundary = end, False
            continue
        # A list marker starts a block too: `- $$` opens display math inside the item.
        math = _display_math(lines, i) if boundary or LIST_ITEM.match(line) else None
        if math:
            end, indent, tex = math
            # TeX after a list marker stays as written (Quire reads it as the item's display math).
            out.extend(display_math(tex, indent) if indent.strip() == "" else lines[i:end])
            ctx.math += 1
            in_list = in_list or bool(LIST_ITEM.match(line))
            i, boundary = end, False
            continue
        j = i + 1
        while j < len(lines) and lines[j].strip() and not (FENCE.match(lines[j]) or HTML_BLOCK.match(lines[j]) or
                                                           LIST_ITEM.match(lines[j]) and _display_math(lines, j)):
            j += 1
        chunk = lines[i:j]
        if line.lstrip().startswith(">"):
            out.extend(_quote(chunk, ctx))
        elif boundary and not in_list and all(re.match(r"( {4}|\t)", c) for c in chunk):
            out.extend(chunk)  # an indented code block: kramdown reads no math in it
        else:
            out.extend(convert_text(chunk, ctx))
        in_list = any(LIST_ITEM.match(c) for c in chunk) or (in_list and line[:1] in " \t")
        i, boundary = j, False
    return out


def _html_end(lines: list[str], i: int) -> int:
    """Return the line after a raw HTML block (a comment, or a block element up to its close), or 0."""
    if lines[i].lstrip().startswith("<!--"):
        return next((j + 1 for j in range(i, len(lines)) if "-->" in lines[j]), len(lines))
    m = HTML_BLOCK.match(lines[i])
    if not m:
        return 0
    tag, depth = m.group("tag").lower(), 0
    for j in range(i, len(lines)):
        depth += len(re.findall(rf"<{tag}\b", lines[j], re.IGNORECASE))
        depth -= len(re.findall(rf"</{tag}\s*>", lines[j], re.IGNORECASE))
        if depth <= 0:
            return j + 1
    return len(lines)


def _display_math(lines: list[str], i: int) -> tuple[int, str, str] | None:
    """Find kramdown display math: `$$` opening a block (or a list item), its closing `$$` ending one (a blank
    line, the next list item or the end after it). Returns the line after it, what precedes `$$`, the TeX."""
    m = MATH_OPEN.match(lines[i])
    if not m:
        return None
    rest = "\n".join(lines[i:])
    close = rest.find("$$", m.end())
    if close < 0 or rest[close + 2:].split("\n", 1)[0].strip():
        return None
    after = i + rest.count("\n", 0, close) + 1
    if after < len(lines) and lines[after].strip() and not (IAL.match(lines[after]) or
                                                            LIST_ITEM.match(lines[after])):
        return None
    return after, m.group("lead"), rest[m.end():close].strip()


def _quote(chunk: list[str], ctx: Context) -> list[str]:
    """Convert a blockquote's inside like a document, then quote it again."""
    inner = [re.sub(r"^ {0,3}> ?", "", c) if c.lstrip().startswith(">") else c for c in chunk]
    return ["> " + c if c.strip() else ">" for c in convert_lines(inner, ctx)]


def raw_html(block: str, ctx: Context) -> str:
    """Pass raw HTML through, without the blank lines that would end it early for Markdown."""
    if block.lstrip().startswith("<!--"):
        return block
    for tex in HTML_TEX.findall("".join(HTML_TAG.split(block))):
        ctx.warn(f"TeX {tex[:40]!r} inside raw HTML is not typeset (kramdown left it as text); kept as it is")
    return squeeze_html(EMPTY_LINK.sub(r'<a id="\1"></a>', block))


def _anchor(tag: str) -> str:
    """Fix an inline HTML tag: an empty link used as a target becomes an id; `<a />` gets closed."""
    return EMPTY_LINK.sub(r'<a id="\1"></a>', close_anchors(tag))


class Segment:
    """Lines of one kramdown block inside a run of lines, with the attribute lists applied to it."""

    def __init__(self, line: str, attrs: list[dict]):
        self.lines, self.attrs, self.sealed = [line], attrs, False

    @property
    def classes(self) -> list[str]:
        return [c for a in self.attrs for c in a.get("classes", [])]

    @property
    def style(self) -> str | None:
        styles = [a["style"] for a in self.attrs if a.get("style")]
        return " ".join(styles) or None


def parse_ial(text: str) -> dict[str, Any]:
    """Read a kramdown attribute list: `.class`, `#id`, `key="value"` and bare references like `toc`."""
    attrs: dict[str, Any] = {"classes": [], "raw": text}
    for m in IAL_PART.finditer(text):
        cls, ident, key, dq, sq, ref = m.groups()
        if cls:
            attrs["classes"].append(cls)
        elif ident:
            attrs["id"] = ident
        elif key == "class":
            attrs["classes"].extend((dq if dq is not None else sq).split())
        elif key:
            attrs[key] = dq if dq is not None else sq
        elif ref:
            attrs.setdefault("refs", []).append(ref)
    return attrs


def _segments(chunk: list[str]) -> list[Segment]:
    """Split lines at attribute-list lines; a list applies to the block just above it, else the next one."""
    segments: list[Segment] = []
    pending: list[dict] = []
    attach = False
    for line in chunk:
        m = IAL.match(line)
        if m:
            if attach:
                segments[-1].attrs.append(parse_ial(m.group(1)))
                segments[-1].sealed = True
            else:
                pending.append(parse_ial(m.group(1)))
            continue
        if segments and not segments[-1].sealed:
            segments[-1].lines.append(line)
        else:
            segments.append(Segment(line, pending))
            pending = []
        attach = True
    if pending:  # attribute lines with no block to apply to
        segments.append(Segment("", pending))
    return segments


def convert_text(chunk: list[str], ctx: Context) -> list[str]:
    """Convert one run of text lines: TOC markers, figures, tables, then math and Liquid left in the text."""
    blocks: list[list[str]] = []
    segments = _segments(chunk)
    k = 0
    while k < len(segments):
        seg = segments[k]
        refs = [r for a in seg.attrs for r in a.get("refs", [])]
        images = _images(seg.lines)
        if "toc" in refs and len(seg.lines) == 1 and TOC_ITEM.match(seg.lines[0]):
            ctx.toc = True  # Quire makes the table of contents itself
        elif images:
            caption = segments[k + 1] if k + 1 < len(segments) and _is_caption(segments[k + 1]) else None
            blocks.append(_figure(images, seg, caption, ctx))
            k += 1 if caption else 0
        elif all(c.lstrip().startswith("|") for c in seg.lines):
            blocks.append(_table(seg, ctx))
        else:
            ids = [a["id"] for a in seg.attrs if a.get("id")]
            if ids and seg.lines != [""]:
                blocks.append([f'<a id="{ids[0]}"></a>'])  # keeps links to a kramdown `{: #id}` working
            dropped = [a["raw"] for a in seg.attrs if set(a) - {"raw", "classes", "id"} or
                       set(a["classes"]) - {"image-caption"}]
            if dropped:
                ctx.warn(f"attribute list {{: {dropped[0]}}} has no Quire equivalent; dropped")
            if seg.lines != [""]:
                blocks.append(convert_inline("\n".join(seg.lines), ctx).split("\n"))
        k += 1
    # Blocks an attribute line separated were separate paragraphs: keep them apart with blank lines.
    return [line for n, block in enumerate(blocks) for line in ([""] if n else []) + block]


def _images(lines: list[str]) -> list[tuple[str, str]] | None:
    """Return (src, alt) of a paragraph made only of images (and empty anchors), else None."""
    found = []
    for line in lines:
        m = IMAGE_LINE.match(line)
        if m:
            found.append((m.group("src"), m.group("alt")))
        elif not ANCHOR_LINE.match(line):
            return None
    return found or None


def _caption_text(seg: Segment) -> str:
    """Return a caption paragraph's text without the `<br />` lines some posts put between image and caption."""
    return LEADING_BREAKS.sub("", "\n".join(seg.lines)).strip()


def _is_caption(seg: Segment) -> bool:
    """Tell a caption: marked `{:.image-caption}`, or a paragraph in italics right under the image."""
    text = _caption_text(seg)
    wrapped = len(text) > 2 and text[0] in "*_" and text[-1] == text[0] and text[1] != text[0]
    return "image-caption" in seg.classes or wrapped


def _figure(images: list[tuple[str, str]], seg: Segment, caption: Segment | None, ctx: Context) -> list[str]:
    """Write an image paragraph as a figure: Quire's Markdown figure where it can say it all, else HTML."""
    anchors = "".join(close_anchors(c.strip()) for c in seg.lines if ANCHOR_LINE.match(c))
    text = _caption_text(caption) if caption else ""
    wrapped = bool(text) and text[0] in "*_" and text[-1] == text[0]
    classes = [c for c in seg.classes if c != "center"]
    ids = [a["id"] for a in seg.attrs if a.get("id")]
    if len(images) == 1 and not seg.style and not classes and not anchors and (wrapped or not text):
        src, alt = images[0]
        ctx.figures += bool(text) or bool(ids)
        # kramdown's `{: #pipeline}` on a figure becomes Quire's figure label, `{#fig:pipeline}`.
        label = "{#fig:" + re.sub(r"^fig[-:]", "", ids[0]) + "}" if ids and FIGURE_ID.match(ids[0]) else ""
        return [f"![{alt}]({src}){label}", *(convert_inline(text, ctx).split("\n") if text else [])]
    inner = convert_inline(text[1:-1] if wrapped else text, ctx)
    html = figure_html(images, inner, seg.classes, seg.style, before=anchors)
    ctx.figures += 1
    ctx.caption_math += html.count('class="math')
    return [html]


def _cells(line: str) -> list[str]:
    """Split a table row into cells the way kramdown does: at `|` outside code spans, `\\|` kept."""
    cells, cell, i = [], "", 0
    line = line.strip()
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line):
            cell, i = cell + line[i:i + 2], i + 2
            continue
        if c == "`":
            run = re.match(r"`+", line[i:]).group(0)
            close = line.find(run, i + len(run))
            end = close + len(run) if close >= 0 else i + len(run)
            cell, i = cell + line[i:end], end
            continue
        if c == "|":
            cells.append(cell)
            cell = ""
        else:
            cell += c
        i += 1
    cells.append(cell)
    if line.startswith("|"):
        cells = cells[1:]
    if line.endswith("|") and not line.endswith("\\|") and cells and not cells[-1].strip():
        cells = cells[:-1]
    return [c.strip() for c in cells]


def _table(seg: Segment, ctx: Context) -> list[str]:
    """Rewrite a kramdown table as a GFM table (one header row), inside a div carrying its classes."""
    rows, align, heads = [], None, 0
    for line in seg.lines:
        if TABLE_SEP.match(line):
            if rows and align is None:
                align, heads = [_align(c) for c in _cells(line)], len(rows)
            continue
        rows.append([convert_inline(c, ctx) for c in _cells(line)])
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    if heads > 1:
        ctx.warn(f"a table has {heads} header rows; Quire tables have one, the others became body rows")
    header, body = (rows[0], rows[1:]) if heads else ([""] * width, rows)
    align = ((align or []) + ["---"] * width)[:width]
    for row in rows:
        for cell in row:
            if re.search(r"\$[^$]*(?<!\\)\|[^$]*\$", cell):
                ctx.warn("a `|` inside math in a table row ends the cell in Quire: write \\vert or \\mid",
                         count="unconverted")
    table = ["| " + " | ".join(r) + " |" for r in (header, align, *body)]
    if seg.classes or seg.style:
        cls = f' class="{" ".join(seg.classes)}"' if seg.classes else ""
        sty = f' style="{seg.style}"' if seg.style else ""
        return [f"<div{cls}{sty}>", "", *table, "", "</div>"]
    return table


def _align(cell: str) -> str:
    cell = cell.strip()
    return {(True, True): ":---:", (True, False): ":---", (False, True): "---:"}.get(
        (cell.startswith(":"), cell.endswith(":")), "---")


def convert_inline(text: str, ctx: Context) -> str:
    """Rewrite kramdown's `$$…$$` as Quire math, escape lone dollars, show unknown Liquid as code."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            out.append(text[i:i + 2])
            i += 2
        elif c == "`":
            run = re.match(r"`+", text[i:]).group(0)
            close = re.compile(rf"(?<!`){run}(?!`)").search(text, i + len(run))
            end = close.end() if close else i + len(run)
            out.append(text[i:end])
            i = end
        elif c == "<" and (tag := EMPTY_ANCHOR.match(text, i) or EMPTY_LINK.match(text, i) or
                           HTML_TAG.match(text, i)):
            out.append(_anchor(tag.group(0)))
            i = tag.end()
        elif text.startswith("$$", i):
            close = text.find("$$", i + 2)
            if close < 0 or not text[i + 2:close].strip():
                ctx.warn(f"unmatched $$ near {text[max(0, i - 20):i + 20]!r} left as text")
                out.append("\\$\\$")
                i += 2
                continue
            out.append(inline_math(text[i + 2:close].strip(), text[close + 2:close + 3]))
            ctx.math += 1
            i = close + 2
        elif c == "$":
            lone = LONE_TEX.match(text, i)
            if lone:  # TeX between single dollars was text for kramdown (and the old site's MathJax)
                ctx.warn(f"{lone.group(0)[:40]} is not math in kramdown (that needs $$); kept as text")
            out.append(f"\\${lone.group(0)[1:-1]}\\$" if lone else "\\$")
            i = lone.end() if lone else i + 1
        elif c == "[" and text[i - 1:i] != "!" and (link := LINK_IAL.match(text, i)):
            out.append(_link_with_attributes(link, ctx))
            i = link.end()
        elif text.startswith(("{{", "{%"), i) and (liq := LIQUID.match(text, i)):
            ctx.warn(f"Liquid {liq.group(0)} has no Quire equivalent; left visible as code", count="unconverted")
            out.append(f"`{liq.group(0)}`")
            i = liq.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _link_with_attributes(link: re.Match, ctx: Context) -> str:
    """Write `[text](url){:target="_blank"}` as an HTML link with the attributes HTML knows; drop the rest."""
    attrs = parse_ial(link.group("ial"))
    title = link.group("title") if link.group("title") is not None else link.group("title2")
    kept = {"href": link.group("url"), "title": title}
    kept.update({key: attrs[key] for key in LINK_ATTRIBUTES if attrs.get(key)})
    if attrs["classes"]:
        kept["class"] = " ".join(attrs["classes"])
    dropped = sorted(set(attrs) - {"raw", "classes", "refs", *LINK_ATTRIBUTES}) + attrs.get("refs", [])
    if dropped:
        ctx.warn(f"link attribute(s) {', '.join(dropped)} in {{:{link.group('ial')}}} have no HTML meaning; dropped")
    text = convert_inline(link.group("text"), ctx)
    tag = "".join(f' {k}="{escape_html(v)}"' for k, v in kept.items() if v is not None)
    return f"<a{tag}>{text}</a>"
