"""What both importers share: the report, converted files, front matter, math, figures, anchors, writing."""

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from ..markdown import render_inline_markdown, render_markdown

FRONT_MATTER_ORDER = ("title", "date", "updated", "slug", "tags", "author", "summary", "description", "draft",
                      "toc", "math", "weight", "aliases")
COUNTS = (("posts", "posts"), ("pages", "pages"), ("math", "math expressions"), ("figures", "figures"),
          ("crosslinks", "cross-links converted"), ("images_missing", "images missing"),
          ("unconverted", "items left unconverted"))
POST_LINK = re.compile(r"(?<=[(\s\"'=])(?P<url>/posts/(?P<slug>[^/\s#\"')]+)/)(?:#(?P<anchor>[^\s\"')>]*))?")
PAGE_ANCHOR = re.compile(r"\]\(#(?P<anchor>[^\s)]+)\)|href=\"#(?P<anchor2>[^\"]+)\"")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})")
SELF_CLOSED_A = re.compile(r"<a(\s[^<>]*?)\s*/>")
EMPTY_ANCHOR = re.compile(r"""<a\s+(?:name|id)=(["'])([^"']+)\1\s*(?:/>|>\s*</a>)""")
HTML_IDS = re.compile(r"\b(?:id|name)=[\"']([^\"']+)[\"']")


class Report:
    """Collect one line per converted file and per problem, and the summary counts."""

    def __init__(self):
        self.problems: list[tuple[str, str]] = []
        self.counts: Counter = Counter()

    def warn(self, where: str, message: str, unconverted: bool = False) -> None:
        """Record a problem (shown once per file and message); `unconverted` counts it as left unconverted."""
        if unconverted:
            self.counts["unconverted"] += 1
        if (where, message) not in self.problems:
            self.problems.append((where, message))

    def lines_for(self, where: str) -> list[str]:
        """Return the problem lines of one source file."""
        return [f"{w}: warning: {m}" for w, m in self.problems if w == where]

    def summary(self) -> str:
        """Return the one-line count of what was converted."""
        return ", ".join(f"{self.counts[key]} {label}" for key, label in COUNTS)


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


def fix_links(items: list[Converted], report: Report) -> None:
    """Check every link to an imported post's anchor (and every in-page anchor); repair near misses."""
    by_slug = {c.slug: c for c in items if c.kind == "post"}
    ids = {c.slug: heading_ids(c.body) for c in items}

    def cross(m: re.Match, item: Converted) -> str:
        slug, anchor = m.group("slug"), m.group("anchor")
        report.counts["crosslinks"] += 1
        if slug not in by_slug:
            report.warn(item.source, f"links to /posts/{slug}/, a post that is not in this import")
            return m.group(0)
        if anchor is None:
            return m.group(0)
        if anchor == "":
            return m.group("url")
        found = match_anchor(unquote(anchor), ids[slug])
        if found is None:
            report.warn(item.source, f"anchor #{anchor} does not exist in /posts/{slug}/: the link now "
                                     f"points at the post itself", unconverted=True)
            return m.group("url")
        return f"{m.group('url')}#{anchor if unquote(anchor) == found else found}"

    def local(m: re.Match, item: Converted) -> str:
        anchor = m.group("anchor") or m.group("anchor2")
        found = match_anchor(unquote(anchor), ids[item.slug])
        if found is None:
            report.warn(item.source, f"in-page link #{anchor} has no heading or id to point to")
            return m.group(0)
        return m.group(0) if unquote(anchor) == found else m.group(0).replace("#" + anchor, "#" + found)

    for item in items:
        item.body = POST_LINK.sub(partial(cross, item=item), item.body)
        item.body = PAGE_ANCHOR.sub(partial(local, item=item), item.body)


def write_items(items: list[Converted], site_dir: Path, force: bool, dry_run: bool, report: Report,
                echo) -> None:
    """Write converted posts and pages (and their files) into the site, never overwriting without force."""
    for item in items:
        target = site_dir / item.rel
        # A flat post and a bundle of the same slug would clash: look for both spellings.
        twin = site_dir / (item.rel[:-len("/index.md")] + ".md" if item.bundle else item.rel[:-3] + "/index.md")
        exists = target.exists() or twin.exists()
        if exists and not force:
            echo(f"{item.rel}: warning: already exists, left as it is (use --force to replace it)")
        else:
            verb = ("would replace" if exists else "would write") if dry_run else ("replaced" if exists else "wrote")
            echo(f"{verb} {item.rel} from {item.source}")
            report.counts["posts" if item.kind == "post" else "pages"] += 1
            if not dry_run:
                _write(item, target, twin, site_dir, force)
        for line in report.lines_for(item.source):
            echo(line)


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
