"""Hugo to Quire: content/ posts, bundles and pages, YAML or TOML front matter, shortcodes and old URLs."""

import html
import re
import shlex
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

import yaml

from ..content import ContentError, read_text, split_front_matter
from ..markdown import render_markdown
from ..urls import EACH_TAG, LIST, PAGE, RESERVED, ROUTES, build
from .common import (
    POSTS,
    Converted,
    LinkRules,
    Report,
    drop_link,
    fence_end,
    figure_html,
    fix_links,
    new_url,
    outside_code,
    render_caption,
    resolve_link,
    squeeze_html,
    take_citations,
    unify_tags,
)

CONTENT = (".md", ".markdown")
LANGUAGE = re.compile(r"^(?P<stem>.+)\.(?P<lang>[a-z]{2,3}(?:-[a-zA-Z]{2,4})?)$")
SHORTCODE = re.compile(r"\{\{(?:(?P<angle><)|%)\s*(?P<close>/)?\s*(?P<name>[\w.-]+)"
                       r"(?P<args>(?:\"[^\"]*\"|`[^`]*`|[^\"`])*?)\s*(?P<self>/)?\s*(?(angle)>|%)\}\}", re.DOTALL)
ESCAPED = re.compile(r"\{\{([<%])/\*\s*(.*?)\s*\*/([>%])\}\}", re.DOTALL)
LINK = re.compile(r"(?P<pre>\]\(\s*<?|\b(?:href|src)=[\"'])(?P<url>[^\s)\"'>]+)")
HTML_TEX = re.compile(r"(?<!\\)\\\((.+?)\\\)|(?<!\\)\\\[(.+?)\\\]", re.DOTALL)
EMOJI = re.compile(r"(?<![\w:]):[a-z0-9_+-]+:(?![\w:])")
# Names no imported page may take: Quire's own first path segments, and its 404 page (Hugo's 404.md).
QUIRE_MADE = RESERVED | {PurePosixPath(build("not_found")).stem}
# Lists Quire makes itself at the paths Hugo used (/tags/x/, /page/2/, /archives/): a link there stays. A /posts/
# link names a post, which the import maps or reports, and Quire's home is the one list at "/".
QUIRE_LISTS = {r.rule.split("/")[1] for r in ROUTES if r.freeze in (PAGE, LIST, EACH_TAG) and r.rule.endswith("/")
               } - {"", POSTS.strip("/")}
DROPPED_KEYS = ("layout", "ShowToc", "TocOpen", "lastmod", "url", "slug", "publishDate")
LINKS = LinkRules(folders=True, keep_missing_files=True)
BUNDLE_LINKS = replace(LINKS, missing="{url} is not in this import (add it beside index.md)")
IFRAME = ('<div class="embed"><iframe src="{src}" title="{title}" loading="lazy" allowfullscreen '
          'style="width: 100%; aspect-ratio: 16 / 9; border: 0;"></iframe></div>')


@dataclass
class Source:
    """One Hugo content file to import: where it is, what it becomes, and its old URL."""

    path: Path
    rel: str
    kind: str
    slug: str
    old_url: str
    meta: dict[str, Any]
    body: str
    bundle: Path | None = None


@dataclass
class Context:
    """What converting one file needs: the page, the URL maps, the report, and what was found."""

    page: Source
    report: Report
    by_url: dict[str, str]
    by_name: dict[str, str]
    site_url: str | None = None
    static: Path | None = None
    figures: int = 0
    files: dict[str, Path] = field(default_factory=dict)
    unlinks: dict[str, tuple[str, str]] = field(default_factory=dict)  # links to drop: why, and a hint

    def warn(self, message: str, count: str | None = None) -> None:
        self.report.warn(self.page.rel, message, count)


def import_hugo(src: Path, report: Report, site_url: str | None = None) -> list[Converted]:
    """Convert a Hugo site's content/ folder into Quire posts and pages.

    With site_url (the old site's baseURL), links to pages and files outside the import, and images a bundle
    lacks, point at their old addresses.
    """
    config = _config(src, report)
    content = src / "content"
    if not content.is_dir():
        report.warn(str(src), "no content/ folder: is this a Hugo site?", count="unconverted")
        return []
    sources = _discover(content, config, report)
    by_url = {s.old_url: _new_url(s) for s in sources}
    for s in sources:  # an alias of an imported page is a URL of it too
        for alias in s.meta.get("aliases") or []:
            by_url.setdefault(_alias(alias, s.old_url), _new_url(s))
    by_name = _names(sources)
    items = []
    for source in sources:
        if source.bundle and source.kind == "page":
            report.warn(source.rel, "files beside a page are not imported (Quire pages have no bundles)",
                        count="unconverted")
            source.bundle = None
        ctx = Context(source, report, by_url, by_name, site_url, src / "static")
        body = convert_body(source.body, ctx)
        meta = _front_matter(source, config, ctx)
        report.count("math", render_markdown(body).html.count('class="math'))
        report.count("figures", ctx.figures)
        files: dict[str, Path | None] = dict(ctx.files)
        if source.bundle:
            files.update({f"posts/{source.slug}/{p.relative_to(source.bundle).as_posix()}": p
                          for p in sorted(source.bundle.rglob("*")) if p.is_file() and p.suffix not in CONTENT})
        items.append(Converted(source.kind, source.slug, source.rel, meta, body,
                               bundle=source.bundle is not None, files=files, old_url=source.old_url))
    fix_links(items, report, site_url)
    take_citations(items, report)
    unify_tags(items, report)
    return items


def _config(src: Path, report: Report) -> dict[str, Any]:
    """Read the site configuration (hugo.* or config.*, YAML or TOML) for ShowToc and the permalinks."""
    for name in ("hugo.yaml", "hugo.yml", "hugo.toml", "config.yaml", "config.yml", "config.toml"):
        path = src / name
        if path.is_file():
            text = path.read_text(encoding="utf-8-sig")
            try:
                data = tomllib.loads(text) if name.endswith(".toml") else yaml.safe_load(text)
            except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
                report.warn(name, f"cannot be read ({exc}); using Hugo's defaults")
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def _discover(content: Path, config: dict, report: Report) -> list[Source]:
    """Find the pages to import; report language variants, section pages and pages Quire makes itself."""
    sources: list[Source] = []
    slugs: set[tuple[str, str]] = set()
    default_lang = str(config.get("defaultContentLanguage") or "en")
    bundles = {p.parent for p in content.rglob("index*.md") if LANGUAGE.match(p.stem) or p.stem == "index"}
    for path in sorted(content.rglob("*")):
        if path.suffix not in CONTENT or not path.is_file():
            continue
        rel = path.relative_to(content.parent).as_posix()
        variant = LANGUAGE.match(path.stem)
        if variant and variant.group("lang") != default_lang:
            report.warn(rel, f"language variant ({variant.group('lang')}) skipped: Quire sites have one language")
            continue
        stem = variant.group("stem") if variant else path.stem
        if path.parent in bundles and stem != "index":
            continue  # a resource of a page bundle, copied with it
        try:
            meta, body, _ = split_front_matter(read_text(path, rel), rel)
        except ContentError as exc:
            report.warn(rel, f"skipped: {exc.message}", count="unconverted")
            continue
        source = _source(path, stem, rel, content, meta, body, report)
        if source is None:
            continue
        if (source.kind, source.slug) in slugs:
            taken, n = source.slug, 2
            while (source.kind, f"{taken}-{n}") in slugs:
                n += 1
            source.slug = f"{taken}-{n}"
            report.warn(rel, f"slug {taken} is taken by another imported file: renamed to {source.slug}")
        slugs.add((source.kind, source.slug))
        sources.append(source)
    return sources


def _source(path: Path, stem: str, rel: str, content: Path, meta: dict, body: str,
            report: Report) -> Source | None:
    """Decide what a content file becomes (post, page or nothing) and work out its old URL."""
    parts = path.relative_to(content).parts
    if stem == "_index":
        has_text = bool(body.strip())
        report.warn(rel, "section page skipped: Quire has no section pages" +
                    (" (its text was not imported)" if has_text else ""), count="unconverted" if has_text else None)
        return None
    bundle = path.parent if stem == "index" else None
    folders = parts[:-2] if bundle else parts[:-1]
    name = bundle.name if bundle else stem
    kind = "page" if not folders else "post"
    hugo_slug = str(meta.get("slug") or name).strip("/")
    old_url = "/" + "/".join([*folders, hugo_slug]).lower() + "/"
    if meta.get("url"):
        old_url = "/" + str(meta["url"]).strip("/") + "/"
    slug = re.sub(r"[^\w-]+", "-", PurePosixPath(old_url.rstrip("/")).name or name).strip("-").lower()
    if kind == "page" and (slug in QUIRE_MADE or meta.get("layout") in ("archives", "search")):
        report.warn(rel, f"skipped: Quire makes /{slug}/ itself")
        return None
    return Source(path, rel, kind, slug, old_url, meta, body, bundle)


def _new_url(source: Source) -> str:
    return new_url(source.kind, source.slug)


def _names(sources: list[Source]) -> dict[str, str]:
    """Index pages by the names ref/relref may use: content path (with or without .md), bundle or file name."""
    names: dict[str, str] = {}
    for s in sources:
        path = s.rel.removeprefix("content/")
        base = path.removesuffix("/index.md") if s.bundle else path.rsplit(".", 1)[0]
        for key in (path, "/" + path, base, "/" + base, PurePosixPath(base).name, PurePosixPath(path).name):
            names.setdefault(key, _new_url(s))
    return names


def _front_matter(source: Source, config: dict, ctx: Context) -> dict[str, Any]:
    """Map Hugo's front matter to Quire's: dates, tags, toc, aliases; keep the other keys."""
    meta = dict(source.meta)
    for key in ("date", "lastmod", "publishDate", "expiryDate"):
        meta[key] = _date(meta.get(key))
    meta["date"] = meta.get("date") or meta.get("publishDate") or meta.get("lastmod")
    if not meta["date"]:
        meta["date"] = date.fromtimestamp(source.path.stat().st_mtime)
        ctx.warn("no date: using the file's modification date")
    if meta.get("lastmod"):
        meta["updated"] = meta["lastmod"]
    meta["title"] = str(meta.get("title") or source.slug.replace("-", " ").capitalize())
    if isinstance(meta.get("tags"), str):
        meta["tags"] = [t.strip() for t in meta["tags"].split(",") if t.strip()]
    if isinstance(meta.get("author"), list):
        meta["author"] = ", ".join(str(a) for a in meta["author"])
    if isinstance(meta.get("cover"), dict):  # PaperMod's cover: {image, alt, caption} -> cover, cover_alt
        cover = meta.pop("cover")
        meta["cover"] = str(cover["image"]) if cover.get("image") else None
        meta["cover_alt"] = str(cover["alt"]) if cover.get("alt") else None
    if isinstance(meta.get("series"), list):  # Hugo's series taxonomy is a list; a Quire post has one series
        names = [str(name) for name in meta["series"] if name]
        meta["series"] = names[0] if names else None
        if len(names) > 1:
            ctx.warn(f"series {', '.join(names)}: a post belongs to one series in Quire; kept {names[0]!r}")
    show_toc = meta.get("ShowToc", (config.get("params") or {}).get("ShowToc", False))
    if source.kind == "post":
        meta["toc"] = bool(show_toc)
    expiry = meta.get("expiryDate")
    if expiry and _as_datetime(expiry) < datetime.now() and not meta.get("draft") and not config.get("buildExpired"):
        meta["draft"] = True
        ctx.warn(f"expired on {expiry} (Hugo no longer publishes it): imported as a draft")
    aliases = [_alias(a, source.old_url) for a in (meta.get("aliases") or [])]
    if source.old_url != _new_url(source):
        aliases.insert(0, source.old_url)
    meta["aliases"] = list(dict.fromkeys(aliases))
    return {k: v for k, v in meta.items() if k not in DROPPED_KEYS and v is not None}


def _date(value: Any) -> Any:
    """Turn an ISO date string into a date or datetime (YAML may leave quoted dates as strings)."""
    if isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00")
        try:
            return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            return value
    return value


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    return datetime.max


def _alias(alias: Any, old_url: str) -> str:
    """Resolve a Hugo alias (relative ones against the page's folder) to a site path."""
    text = str(alias).strip()
    folder = old_url.rstrip("/").rsplit("/", 1)[0] + "/"
    path = text if text.startswith("/") else folder + text
    return path if PurePosixPath(path).suffix else path.rstrip("/") + "/"


def convert_body(text: str, ctx: Context) -> str:
    """Convert shortcodes outside code, unescape `{{</* */>}}`, and point links at the new URLs."""
    lines, kept, out, i = text.split("\n"), [], [], 0
    while i < len(lines):
        end = fence_end(lines, i)
        if end:  # code is set aside so no shortcode inside it runs (a paired one may still enclose it)
            kept.append("\n".join(lines[i:end]))
            out.append(f"\0{len(kept) - 1}\0")
            i = end
        else:
            out.append(lines[i])
            i += 1
    body = shortcodes("\n".join(out), ctx)
    body = outside_code(body, lambda text: LINK.sub(lambda m: m.group("pre") + _link(m.group("url"), ctx), text))
    body = re.sub(r"\0(\d+)\0", lambda m: kept[int(m.group(1))], body)
    body = ESCAPED.sub(r"{{\1 \2 \3}}", body)
    for url, (why, hint) in ctx.unlinks.items():
        body, message = drop_link(body, url, why, hint)
        ctx.warn(message, count="unconverted")
    emoji = sorted(set(EMOJI.findall(re.sub(r"`[^`]*`|<code>.*?</code>", "", body))))
    if emoji:
        ctx.warn(f"emoji codes such as {emoji[0]} are left as typed (Quire does not turn them into emoji)")
    return body.strip("\n") + "\n"


def shortcodes(text: str, ctx: Context) -> str:
    """Replace each shortcode (single or paired) with Markdown or HTML; show unknown ones as code."""
    out, pos = [], 0
    while m := SHORTCODE.search(text, pos):
        out.append(text[pos:m.start()])
        name, end, inner = m.group("name"), m.end(), None
        closing = None
        if not m.group("self") and not m.group("close"):
            closing = re.compile(r"\{\{[<%]\s*/\s*" + re.escape(name) + r"\s*[>%]\}\}").search(text, m.end())
        if closing:
            inner, end = text[m.end():closing.start()], closing.end()
        line_start = text.rfind("\n", 0, m.start()) + 1
        prefix = text[line_start:m.start()]
        alone = not prefix.strip(" \t>")
        if alone and closing and ">" in prefix and ">" not in text[text.rfind("\n", 0, closing.start()) + 1:
                                                                   closing.start()]:
            # "> {{< collapse >}}" closed on an unquoted line: the ">" only indented it (PaperMod's docs)
            out[-1] = out[-1][:len(out[-1]) - len(prefix)] + re.sub(r">\s?", "", prefix)
            prefix = re.sub(r">\s?", "", prefix)
        replaced = _shortcode(name, _args(m.group("args")), inner, ctx, prefix if alone else None)
        if replaced is None:
            shown = text[m.start():end]
            ctx.warn(f"shortcode {name!r} has no Quire equivalent; left visible as code", count="unconverted")
            replaced = _visible(shown, prefix if alone else None)
        out.append(replaced)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _args(text: str) -> dict[str, Any]:
    """Parse shortcode arguments: positional ones under 0, 1, ... and named ones by name."""
    try:
        words = shlex.split(text.replace("`", '"'))
    except ValueError:
        words = text.split()
    args: dict[str, Any] = {}
    for n, word in enumerate(w for w in words if "=" not in w):
        args[n] = word
    for word in (w for w in words if "=" in w):
        key, _, value = word.partition("=")
        args[key] = value
    return args


def _visible(shown: str, prefix: str | None) -> str:
    """Show shortcode source as code: a fenced block on its own lines, else inline code."""
    if prefix is not None and "\n" in shown:
        return "\n".join(["```text", *shown.split("\n"), prefix + "```"])
    return f"`` {shown} ``" if "`" in shown else f"`{shown}`"


def _block(html_text: str, prefix: str | None) -> str:
    """Put block HTML on its own lines (blank lines around it) at the shortcode's indentation."""
    if prefix is None:
        return html_text
    return "\n" + prefix + html_text + "\n"


def _shortcode(name: str, args: dict, inner: str | None, ctx: Context, prefix: str | None) -> str | None:
    """Render one known shortcode, or return None for an unknown one."""
    if name == "highlight":
        code = (inner or "").strip("\n")
        fence = "~~~" if "```" in code else "```"
        return f"{fence}{args.get(0, '')}\n{code}\n{prefix or ''}{fence}"
    if name in ("collapse", "details"):
        summary = render_caption(args.get("summary", "Details"))
        opened = " open" if str(args.get("openByDefault", args.get("open", ""))).lower() == "true" else ""
        indent = (prefix or "").replace(">", " ")
        body = shortcodes((inner or "").strip("\n"), ctx)
        return f"<details{opened}><summary>{summary}</summary>\n\n{body}\n\n{indent}</details>"
    if name == "rawhtml":
        return _block(squeeze_html((inner or "").strip("\n")), prefix)
    if name == "figure":
        return _figure(args, ctx, prefix)
    if name in ("youtube", "vimeo"):
        video = args.get("id", args.get(0))
        if not video:
            return None
        src = (f"https://www.youtube-nocookie.com/embed/{video}" if name == "youtube"
               else f"https://player.vimeo.com/video/{video}")
        title = html.escape(args.get("title", "YouTube video" if name == "youtube" else "Vimeo video"))
        return _block(IFRAME.format(src=html.escape(src), title=title), prefix)
    if name in ("audio", "video") and args.get("src"):
        cap = f"<figcaption>{render_caption(args['caption'])}</figcaption>" if args.get("caption") else ""
        media = f'<{name} controls preload="metadata" src="{html.escape(args["src"])}"></{name}>'
        return _block(f"<figure>{media}{cap}</figure>", prefix)
    if name in ("ref", "relref"):
        return _ref(str(args.get(0, args.get("path", ""))), ctx)
    if name.endswith(".inline") and inner is not None and not re.search(r"\{\{|<(?:script|style)\b", inner, re.I):
        # An inline shortcode without template code renders as its body; its \(TeX\) is marked for MathJax.
        body = inner.strip("\n")
        return _block(squeeze_html(body if 'class="math' in body else HTML_TEX.sub(_math_span, body)), prefix)
    return None


def _math_span(m: re.Match) -> str:
    display = m.group(0).startswith("\\[")
    return f'<span class="math{" display" if display else ""}">{m.group(0)}</span>'


def _figure(args: dict, ctx: Context, prefix: str | None) -> str:
    """Write Hugo's figure shortcode as a Quire figure: Markdown where it can say it all, else HTML."""
    src, alt = args.get("src", ""), args.get("alt", "")
    caption = " ".join(str(args[k]) for k in ("title", "caption") if args.get(k))
    classes = str(args.get("class", "")).split() + (["center"] if args.get("align") == "center" else [])
    style = f"width: {args['width']}px;" if str(args.get("width", "")).isdigit() else None
    ctx.figures += 1
    if not (classes or style or args.get("link")) and caption and "\n" not in caption:
        return _block(f"![{alt}]({src})\n{prefix or ''}*{caption}*", prefix)
    return _block(figure_html([(src, alt)], caption, classes, style, link=args.get("link")), prefix)


def _ref(target: str, ctx: Context) -> str | None:
    """Resolve a ref/relref target (a content path or page name, maybe with #anchor) to its new URL."""
    path, _, anchor = target.partition("#")
    if not path:
        return f"#{anchor}"
    url = ctx.by_name.get(path.strip()) or ctx.by_name.get(path.strip().removesuffix("/"))
    if url is None:
        ctx.unlinks[target] = (f"ref to {target!r} names no imported page", "")
        return target
    return url + (f"#{anchor}" if anchor else "")


def _link(url: str, ctx: Context) -> str:
    """Point a link at an old Hugo URL (absolute or relative) to the page's new URL, or decide what to do.

    A file of the bundle or of static/ is kept (static files are copied); with --site-url anything else outside
    the import points at its old address; without it a missing file is reported and a link to a missing page
    keeps its text and loses its link.
    """
    if url in ctx.unlinks:
        return url
    rules = BUNDLE_LINKS if ctx.page.bundle else LINKS
    resolved = resolve_link(url, ctx.page.old_url, ctx.by_url.get, ctx.site_url, rules, partial(_own_file, ctx=ctx))
    if resolved.note:
        ctx.warn(resolved.note)
    if resolved.drop:
        ctx.unlinks.setdefault(resolved.url, (resolved.message, resolved.hint))
    elif resolved.message:
        ctx.warn(resolved.message, count=resolved.count)
    return resolved.url


def _own_file(path: str, url: str, ctx: Context) -> str | None:
    """Keep a link to a file of the page's bundle or to a page Quire makes itself; copy a file of static/."""
    if PurePosixPath(path).suffix:
        bundle = ctx.page.bundle
        if bundle and path.startswith(ctx.page.old_url) and (bundle / unquote(path[len(ctx.page.old_url):])).is_file():
            return url
        static = ctx.static / unquote(path.lstrip("/")) if ctx.static else None
        if static and static.is_file() and url.startswith("/"):
            ctx.files[f"static{unquote(path)}"] = static  # Hugo's static/ is served at the root, Quire's at /static/
            return f"/static{path}"
    elif path == build("index") or path.split("/")[1] in QUIRE_LISTS:
        return url
    return None
