"""What both importers share: the report, converted files, front matter, math, figures, anchors, writing."""

import html
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import yaml

from ..content import tag_slug
from ..front_matter import FRONT_MATTER
from ..markdown import render_inline_markdown, render_markdown
from ..paths import alias_problem
from ..urls import build

FRONT_MATTER_ORDER = tuple(key.name for key in FRONT_MATTER)
COUNTS = (("posts", "posts"), ("pages", "pages"), ("math", "math expressions"), ("figures", "figures"),
          ("crosslinks", "cross-links converted"), ("links_old", "links at their old address"),
          ("links_missing", "links to posts not imported"), ("images_old", "images at their old address"),
          ("images_missing", "images missing"), ("links_fixed", "links repaired"),
          ("unconverted", "items left unconverted"))
COUNT_KEYS = frozenset(key for key, _ in COUNTS)
OPTIONAL_COUNTS = ("links_old", "links_missing", "images_old", "links_fixed")
POSTS = build("post", slug="-").removesuffix("-/")  # the folder Quire serves posts in
POST_LINK = re.compile(r"(?<=[(\s\"'=])(?P<url>" + re.escape(POSTS) +
                       r"(?P<slug>[^/\s#\"')]+)/)(?:#(?P<anchor>[^\s\"')>]*))?")
PAGE_ANCHOR = re.compile(r"\]\(#(?P<anchor>[^\s)]+)\)|href=\"#(?P<anchor2>[^\"]+)\"")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(?<![`\\])(`+)(?!`).+?(?<!`)\1(?!`)")
SELF_CLOSED_A = re.compile(r"<a(\s[^<>]*?)\s*/>")
EMPTY_ANCHOR = re.compile(r"""<a\s+(?:name|id)=(["'])([^"']+)\1\s*(?:/>|>\s*</a>)""")
HTML_IDS = re.compile(r"\b(?:id|name)=[\"']([^\"']+)[\"']")
# `www.x.com`, or a host under a common top-level domain (`tensorflow.org/tutorials`): a web address whose
# scheme was forgotten, which a browser would read as a relative path. (`notes.md` or `x.html` are files.)
SCHEMELESS = re.compile(r"^(?:www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+|(?:[a-z0-9-]+\.)+(?:com|org|net|edu|gov|io|ai|dev|"
                        r"co|uk|de|fr|cn|jp|ca|au|info))(?:[/?#]\S*)?$", re.IGNORECASE)
LOCAL_SERVER = re.compile(r"^https?://(?:localhost|127(?:\.\d{1,3}){3}|0\.0\.0\.0|\[::1\])(?::\d+)?(?=[/?#]|$)",
                          re.IGNORECASE)
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp", ".ico"}


class Report:
    """Collect one line per converted file and per problem, and the summary counts."""

    def __init__(self):
        self.problems: list[tuple[str, str]] = []
        self.counts: Counter = Counter()

    def warn(self, where: str, message: str, count: str | None = None) -> None:
        """Record a problem (shown once per file and message) and count it under `count`, a key of COUNTS
        (every call counts: the same decision met twice is two links)."""
        if count is not None:
            self.count(count)
        if (where, message) not in self.problems:
            self.problems.append((where, message))

    def count(self, key: str, n: int = 1) -> None:
        """Add n to one of the summary's counts (a key of COUNTS)."""
        if key not in COUNT_KEYS:
            raise KeyError(f"no count {key!r} in the import summary")
        self.counts[key] += n

    def lines_for(self, where: str) -> list[str]:
        """Return the problem lines of one source file."""
        return [f"{w}: warning: {m}" for w, m in self.problems if w == where]

    def summary(self) -> str:
        """Return the one-line count of what was converted (the counts of rarer decisions only when not 0)."""
        return ", ".join(f"{self.counts[key]} {label}" for key, label in COUNTS
                         if self.counts[key] or key not in OPTIONAL_COUNTS)


@dataclass
class Converted:
    """One post or page after conversion, before it is written: front matter, body and files beside it."""

    kind: str
    slug: str
    source: str
    meta: dict[str, Any]
    body: str
    bundle: bool = False
    files: dict[str, Path | None] = field(default_factory=dict)
    old_url: str = ""  # the path the old site published it at, e.g. /blog/2018/06/24/slug.html

    @property
    def rel(self) -> str:
        folder = "posts" if self.kind == "post" else "pages"
        return f"{folder}/{self.slug}/index.md" if self.bundle else f"{folder}/{self.slug}.md"

    def text(self) -> str:
        """Return the whole file: YAML front matter, then the Markdown body."""
        return front_matter(self.meta) + self.body.strip("\n") + "\n"


def front_matter(meta: dict[str, Any]) -> str:
    """Dump front matter as YAML, Quire's keys first, in a stable order."""
    ordered = {k: meta[k] for k in FRONT_MATTER_ORDER if meta.get(k) not in (None, "", [], ())}
    ordered.update((k, v) for k, v in meta.items() if k not in FRONT_MATTER_ORDER and v is not None)
    for key, value in ordered.items():
        if isinstance(value, tuple):
            ordered[key] = list(value)
    text = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=False)
    return "---\n" + text + "---\n\n"


def inline_math(tex: str, next_char: str = "") -> str:
    """Write TeX as Quire inline math: `$tex$` where mistune reads it back unchanged, else `$$tex$$`."""
    trailing = len(tex) - len(tex.rstrip("\\"))
    safe = (tex and "$" not in tex and "\n" not in tex and tex == tex.strip() and not tex.startswith("`")
            and trailing % 2 == 0 and not next_char.isdigit())
    return f"${tex}$" if safe else f"$${tex}$$"


def display_math(tex: str, indent: str = "") -> list[str]:
    """Write TeX as a display-math block: a `$$` line, the TeX, a `$$` line."""
    return [indent + "$$", *tex.split("\n"), indent + "$$"]


def fence_end(lines: list[str], i: int) -> int:
    """Return the line after a fenced code block starting at line i, or 0."""
    m = FENCE.match(lines[i])
    if not m:
        return 0
    mark = m.group(2)
    for j in range(i + 1, len(lines)):
        stripped = lines[j].strip()
        if stripped.startswith(mark) and not stripped.strip(mark[0]):
            return j + 1
    return len(lines)


def close_anchors(html_text: str) -> str:
    """Write `<a name='x' />` as `<a id="x"></a>`: HTML has no self-closing links, and ids replaced names."""
    return SELF_CLOSED_A.sub(r"<a\1></a>", EMPTY_ANCHOR.sub(r'<a id="\2"></a>', html_text))


def squeeze_html(block: str) -> str:
    """Drop blank lines from a raw HTML block (a blank line would end it for Markdown), except around <pre>."""
    if "<pre" not in block:
        block = "\n".join(line for line in block.split("\n") if line.strip())
    return close_anchors(block)


def render_caption(markdown: str) -> str:
    """Render a caption's Markdown to inline HTML (math becomes `<span class="math">`)."""
    out = render_inline_markdown(markdown).strip()
    if out.startswith("<p>") and out.endswith("</p>"):
        out = out[3:-4]
    return out


def figure_html(images: list[tuple[str, str]], caption: str | None, classes: list[str], style: str | None,
                before: str = "", link: str | None = None) -> str:
    """Build a raw HTML figure: images with the width style (in a link if given), a caption from Markdown."""
    cls = f' class="{html.escape(" ".join(classes))}"' if classes else ""
    sty = f' style="{html.escape(style)}"' if style else ""
    imgs = "".join(f'<img src="{html.escape(src)}" alt="{html.escape(alt)}"{sty}>' for src, alt in images)
    if link:
        imgs = f'<a href="{html.escape(link)}">{imgs}</a>'
    cap = f"<figcaption>{render_caption(caption)}</figcaption>" if caption and caption.strip() else ""
    return f"<figure{cls}>{before}{imgs}{cap}</figure>"


def _squash(anchor: str) -> str:
    return re.sub(r"[^0-9a-z]", "", anchor.lower())


def heading_ids(body: str) -> set[str]:
    """Return the ids a Markdown body's headings get in Quire, plus raw HTML ids and names."""
    ids = {h.id for h in render_markdown(body).headings}
    return ids | set(HTML_IDS.findall(body))


def match_anchor(anchor: str, ids: set[str]) -> str | None:
    """Find the id an old anchor meant: itself, or the one id equal to it ignoring punctuation and case."""
    if anchor in ids:
        return anchor
    close = [i for i in ids if _squash(i) == _squash(anchor)]
    return close[0] if len(close) == 1 else None


def new_url(kind: str, slug: str) -> str:
    """Return the URL Quire serves an imported post or page at."""
    return build("post" if kind == "post" else "page", slug=slug)


def old_address(site_url: str, path: str) -> str:
    """Join the old site's address and a path on it: https://example.org/blog + /2018/x.html."""
    return site_url.rstrip("/") + "/" + path.lstrip("/")


def repaired_url(url: str) -> str | None:
    """Return `https://www.x.com` for a scheme-less `www.x.com` or `x.org/path` (a browser reads that as a
    relative path)."""
    return "https://" + url if SCHEMELESS.match(url) else None


def local_preview_path(url: str) -> str | None:
    """Return the path of a link to the author's preview server (`http://127.0.0.1:4000/a.html#b` gives
    `/a.html#b`): a page of the old site as the author saw it before publishing. None for any other link."""
    m = LOCAL_SERVER.match(url)
    return "/" + url[m.end():].lstrip("/") if m else None


SCHEME_OR_FRAGMENT = re.compile(r"^[a-z][a-z0-9+.-]*:|^#|^//", re.IGNORECASE)
NO_SITE_URL = " (with --site-url it is linked at its old address)"


@dataclass(frozen=True)
class LinkRules:
    """How one engine's links differ (the steps are resolve_link's): its URLs, and how its report words a link."""

    folders: bool = False  # a path without a suffix names a folder (Hugo's pretty URLs): look it up with its /
    old_needs_file: bool = False  # with --site-url only a link naming a file goes to the old site (`TBA` is no page)
    keep_missing_files: bool = False  # a file the import lacks is reported and kept; else only images are
    old: str = "{url} is not in this import: linked at its old address {old}"
    missing: str = "{url} is not in this import"
    dead: str = "link {url} leads to no imported page"
    dead_with_site_url: str = "link {url} leads to no imported page"
    dead_hint: str = "with --site-url it points at the old site"


@dataclass(frozen=True)
class Resolved:
    """What to do with one link: write `url` (the link itself when it stays), report `message` and count `count`
    (`note`, said first, is counted by nobody); `drop`: unlink it, keeping its text (`message` says why, `hint`
    what would help; the caller counts it as unconverted once it is dropped)."""

    url: str
    count: str | None = None
    message: str = ""
    note: str = ""
    drop: bool = False
    hint: str = ""


def resolve_link(url: str, page_url: str, lookup: Callable[[str], str | None], site_url: str | None,
                 rules: LinkRules, own: Callable[[str, str], str | None] | None = None) -> Resolved:
    """Decide where a link of an imported page goes: the author's preview server is read as the old site, a scheme
    or a fragment is left alone, a scheme-less host is repaired; else the link, resolved against the page's old
    URL, points at the imported page with that old URL (`lookup`; #fragment kept), at one of the engine's own
    files (`own`: path, link -> URL), at the old site with --site-url, or is reported missing (a file) or dropped."""
    note = ""
    local = local_preview_path(url)
    if local is not None:  # the author's preview server (`hugo server`, `jekyll serve`): the old site's own URL
        note = f"link {url} is to the author's preview server: read as the old site's {local}"
        url = local
    if SCHEME_OR_FRAGMENT.match(url):
        return Resolved(url, note=note)
    fixed = repaired_url(url)
    if fixed:
        return Resolved(fixed, "links_fixed", f"link {url} has no scheme (a browser reads it as a relative path): "
                                              f"written as {fixed}", note)
    parts = urlsplit(urljoin("http://old" + (page_url or "/"), url))
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    is_file = bool(PurePosixPath(parts.path).suffix)
    path = parts.path if parts.path.endswith("/") or is_file or not rules.folders else parts.path + "/"
    new = lookup(path)
    if new is not None:
        return Resolved(new + fragment, note=note)
    kept = own(path, url) if own else None
    if kept is not None:
        return Resolved(kept, note=note)
    if site_url and (is_file or not rules.old_needs_file):
        old = old_address(site_url, parts.path) + fragment
        return Resolved(old, "images_old" if is_image(path) else "links_old", rules.old.format(url=url, old=old), note)
    if is_file and (rules.keep_missing_files or is_image(path)):
        return Resolved(url, "images_missing" if is_image(path) else None,
                        rules.missing.format(url=url) + ("" if site_url else NO_SITE_URL), note)
    dead = rules.dead_with_site_url if site_url else rules.dead
    return Resolved(url, None, dead.format(url=url), note, drop=True, hint=rules.dead_hint)


def is_image(url: str) -> bool:
    return PurePosixPath(urlsplit(url).path).suffix.lower() in IMAGE_SUFFIXES


def outside_code(body: str, change: Callable[[str], str]) -> str:
    """Apply a change to a Markdown body's text outside fenced code blocks and code spans."""
    def spans(text: str) -> str:
        out, pos = [], 0
        for m in CODE_SPAN.finditer(text):
            out += [change(text[pos:m.start()]), m.group(0)]
            pos = m.end()
        return "".join(out) + change(text[pos:])

    lines, out, prose, i = body.split("\n"), [], [], 0
    while i < len(lines):
        end = fence_end(lines, i)
        if end:
            if prose:
                out.append(spans("\n".join(prose)))
                prose = []
            out.append("\n".join(lines[i:end]))
            i = end
        else:
            prose.append(lines[i])
            i += 1
    if prose:
        out.append(spans("\n".join(prose)))
    return "\n".join(out)


def prose(body: str) -> str:
    """Return a Markdown body's text outside fenced code blocks."""
    parts: list[str] = []
    outside_code(body, lambda text: parts.append(text) or text)
    return "\n".join(parts)


def unlink(body: str, url: str) -> str:
    """Drop every Markdown link and HTML <a> to url, keeping its text (images are left alone)."""
    target = re.escape(url)
    markdown = re.compile(r"(?<![!\\])\[(?P<text>(?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]\(\s*<?" + target +
                          r">?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
    anchor = re.compile(r"<a\b[^>]*?\shref=([\"']?)" + target + r"\1(?=[\s/>])[^>]*>(?P<text>.*?)</a\s*>",
                        re.DOTALL | re.IGNORECASE)
    return outside_code(body, lambda text: anchor.sub(r"\g<text>", markdown.sub(r"\g<text>", text)))


def drop_link(body: str, url: str, why: str, hint: str = "") -> tuple[str, str]:
    """Unlink url in a body, keeping the text; return the body and the report line: the link dropped, or, for a
    link Markdown does not read as one (nothing to drop: it shows as typed), that it is left for the author."""
    unlinked = unlink(body, url)
    if unlinked != body:
        return unlinked, f"{why}: left unconverted (its text is kept, the link dropped{'; ' + hint if hint else ''})"
    return body, f"{why}, in a link Markdown does not read as one (it shows as typed): left as it is, fix it by hand"


def replace_url(body: str, old: str, new: str) -> str:
    """Point every Markdown link or image and every href/src at old to new."""
    pattern = re.compile(r"(?P<pre>\]\(\s*<?|\b(?:href|src)=[\"']?)" + re.escape(old) + r"(?=[\s)\"'>])")
    return outside_code(body, lambda text: pattern.sub(lambda m: m.group("pre") + new, text))


def fix_links(items: list[Converted], report: Report, site_url: str | None = None,
              old_post_url: Callable[[str], str | None] | None = None) -> None:
    """Check every link to an imported post's anchor (and every in-page anchor); repair near misses.

    A link to a post that is not imported (or only as a draft, from a published page) points at the post's
    old address when the old site's address is known; a dead in-page anchor keeps its text and loses its link.
    """
    by_slug = {c.slug: c for c in items if c.kind == "post"}
    ids = {c.slug: heading_ids(c.body) for c in items}

    def with_anchor(url: str, anchor: str | None) -> str:
        return url + (f"#{anchor}" if anchor else "")

    def cross(m: re.Match, item: Converted) -> str:
        slug, anchor = m.group("slug"), m.group("anchor")
        target = by_slug.get(slug)
        if target is None:
            old = old_post_url(slug) if old_post_url and site_url else None
            if old:
                report.warn(item.source, f"links to {slug}, a post that is not in this import: linked at its old "
                                         f"address {old}", count="links_old")
                return with_anchor(old, anchor)
            report.warn(item.source, f"links to {m.group('url')}, a post that is not in this import" +
                        ("" if site_url else " (with --site-url it is linked at its old address)"),
                        count="links_missing")
            return m.group(0)
        if target.meta.get("draft") and not item.meta.get("draft"):
            if site_url and target.old_url:
                old = old_address(site_url, target.old_url)
                report.warn(item.source, f"links to {m.group('url')}, which is imported as a draft: linked at its "
                                         f"old address {old}", count="links_old")
                return with_anchor(old, anchor)
            report.warn(item.source, f"links to {m.group('url')}, which is imported as a draft: the link is broken "
                                     f"until that post is published")
        report.count("crosslinks")
        if anchor is None:
            return m.group(0)
        if anchor == "":
            return m.group("url")
        found = match_anchor(unquote(anchor), ids[slug])
        if found is None:
            report.warn(item.source, f"anchor #{anchor} does not exist in {m.group('url')}: the link now "
                                     f"points at the post itself", count="unconverted")
            return m.group("url")
        return f"{m.group('url')}#{anchor if unquote(anchor) == found else found}"

    def local(m: re.Match, item: Converted, dead: list[str]) -> str:
        anchor = m.group("anchor") or m.group("anchor2")
        found = match_anchor(unquote(anchor), ids[item.slug])
        if found is None:
            if anchor not in dead:
                dead.append(anchor)
            return m.group(0)
        return m.group(0) if unquote(anchor) == found else m.group(0).replace("#" + anchor, "#" + found)

    for item in items:
        dead: list[str] = []
        item.body = outside_code(item.body, lambda text, item=item: POST_LINK.sub(partial(cross, item=item), text))
        item.body = outside_code(item.body, lambda text, item=item, dead=dead: PAGE_ANCHOR.sub(
            partial(local, item=item, dead=dead), text))
        for anchor in dead:
            item.body, message = drop_link(item.body, "#" + anchor, f"in-page link #{anchor} has no heading or id "
                                                                    f"to point to")
            report.warn(item.source, message, count="unconverted")


# Lil'Log's hand-written citation: an optional `---` line, "Cited as:", then a fenced BibTeX entry.
CITED_AS = re.compile(r"(?:^-{3,}[ \t]*\n(?:[ \t]*\n)*)?^[ \t]*\**Cited as:?\**[ \t]*\n(?:[ \t]*\n)*"
                      r"^(?P<fence>`{3,}|~{3,})[^\n]*\n[ \t]*@\w+\s*\{\s*(?P<key>[^,\s{}]+)\s*,"
                      r".*?^(?P=fence)[ \t]*$\n?",
                      re.MULTILINE | re.DOTALL | re.IGNORECASE)


def take_citations(items: list[Converted], report: Report) -> None:
    """Replace a hand-written "Cited as" block by Quire's own: its BibTeX key becomes `citation_key`."""
    for item in items:
        if item.kind != "post":
            continue
        found = CITED_AS.search(item.body)
        if not found:
            continue
        item.body = item.body[:found.start()] + item.body[found.end():]
        item.meta.setdefault("citation_key", found.group("key"))
        after = item.body[found.start():].lstrip("\n").split("\n", 1)[0].strip()
        kept = f"; the line after it, {after!r}, and what follows were kept: edit them by hand" if \
            after.lower() in ("or", "or:") else ""
        report.warn(item.source, f"removed the hand-written \"Cited as\" block: Quire writes it, with the same key "
                                 f"(citation_key: {found.group('key')}){kept}")


def unify_tags(items: list[Converted], report: Report) -> None:
    """Spell a tag one way across the import (the first spelling met), as it has one page in Quire."""
    first: dict[str, str] = {}
    for item in items:
        tags = item.meta.get("tags")
        if not isinstance(tags, list):
            continue
        for n, name in enumerate(tags):
            spelling = first.setdefault(tag_slug(str(name)), str(name))
            if spelling != str(name):
                report.warn(item.source, f"tag {name!r} written {spelling!r}, as in the other posts (one tag, "
                                         f"one spelling)")
                tags[n] = spelling
        item.meta["tags"] = list(dict.fromkeys(tags))


def write_items(items: list[Converted], site_dir: Path, force: bool, dry_run: bool, report: Report,
                echo) -> None:
    """Write converted posts and pages (and their files) into the site, never overwriting without force."""
    for item in items:
        drop_unsafe_aliases(item, report)
        target = site_dir / item.rel
        # A flat post and a bundle of the same slug would clash: look for both spellings.
        twin = site_dir / (item.rel[:-len("/index.md")] + ".md" if item.bundle else item.rel[:-3] + "/index.md")
        exists = target.exists() or twin.exists()
        if exists and not force:
            echo(f"{item.rel}: warning: already exists, left as it is (use --force to replace it)")
        else:
            verb = ("would replace" if exists else "would write") if dry_run else ("replaced" if exists else "wrote")
            echo(f"{verb} {item.rel} from {item.source}")
            report.count("posts" if item.kind == "post" else "pages")
            if not dry_run:
                _write(item, target, twin, site_dir, force)
        for line in report.lines_for(item.source):
            echo(line)


def drop_unsafe_aliases(item: Converted, report: Report) -> None:
    """Drop the old URLs (permalink, redirect_from, aliases, url) that would leave the site's URL space."""
    aliases = item.meta.get("aliases")
    if not aliases:
        return
    kept = []
    for alias in [aliases] if isinstance(aliases, str) else aliases:
        problem = alias_problem(str(alias).strip())
        if problem:
            report.warn(item.source, f"{problem}; dropped", count="unconverted")
        else:
            kept.append(alias)
    item.meta["aliases"] = kept


def _write(item: Converted, target: Path, twin: Path, site_dir: Path, force: bool) -> None:
    """Write one converted file and copy the files that exist beside it."""
    if twin.is_file():
        twin.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(item.text(), encoding="utf-8")
    for rel, source in item.files.items():
        dest = site_dir / rel
        if source is not None and (force or not dest.exists()):
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(source.read_bytes())
