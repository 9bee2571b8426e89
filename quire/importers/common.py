"""What both importers share: the report, converted files, front matter, math, figures, anchors, writing."""

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ..markdown import render_inline_markdown, render_markdown

FRONT_MATTER_ORDER = ("title", "date", "updated", "slug", "tags", "author", "summary", "description", "draft",
                      "toc", "math", "weight", "aliases")
COUNTS = (("posts", "posts"), ("pages", "pages"), ("math", "math expressions"), ("figures", "figures"),
          ("crosslinks", "cross-links converted"), ("images_missing", "images missing"),
          ("unconverted", "items left unconverted"))
POST_LINK = re.compile(r"(?P<url>/posts/(?P<slug>[^/\s#\"')]+)/)(?:#(?P<anchor>[^\s\"')>]*))?")
PAGE_ANCHOR = re.compile(r"\]\(#(?P<anchor>[^\s)]+)\)|href=\"#(?P<anchor2>[^\"]+)\"")
HTML_IDS = re.compile(r"\b(?:id|name)=[\"']([^\"']+)[\"']")


class Report:
    """Collect one line per converted file and per problem, and the summary counts."""

    def __init__(self):
        self.problems: list[tuple[str, str]] = []
        self.counts: Counter = Counter()

    def warn(self, where: str, message: str, unconverted: bool = False) -> None:
        """Record a problem once per file and message; `unconverted` counts it as left unconverted."""
        if (where, message) in self.problems:
            return
        self.problems.append((where, message))
        if unconverted:
            self.counts["unconverted"] += 1

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
        elif isinstance(value, date):
            ordered[key] = value
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


def render_caption(markdown: str) -> str:
    """Render a caption's Markdown to inline HTML (math becomes `<span class="math">`)."""
    out = render_inline_markdown(markdown).strip()
    if out.startswith("<p>") and out.endswith("</p>"):
        out = out[3:-4]
    return out


def figure_html(images: list[tuple[str, str]], caption: str | None, classes: list[str],
                style: str | None, before: str = "") -> str:
    """Build a raw HTML figure: images with the width style, a caption rendered from Markdown."""
    cls = f' class="{html.escape(" ".join(classes))}"' if classes else ""
    sty = f' style="{html.escape(style)}"' if style else ""
    imgs = "".join(f'<img src="{html.escape(src)}" alt="{html.escape(alt)}"{sty}>' for src, alt in images)
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
        found = match_anchor(anchor, ids[slug])
        if found is None:
            report.warn(item.source, f"anchor #{anchor} does not exist in /posts/{slug}/", unconverted=True)
            return m.group(0)
        return f"{m.group('url')}#{found}"

    def local(m: re.Match, item: Converted) -> str:
        anchor = m.group("anchor") or m.group("anchor2")
        found = match_anchor(anchor, ids[item.slug])
        if found is None:
            report.warn(item.source, f"in-page link #{anchor} has no heading or id to point to")
            return m.group(0)
        return m.group(0).replace("#" + anchor, "#" + found)

    for item in items:
        item.body = POST_LINK.sub(lambda m: cross(m, item), item.body)
        item.body = PAGE_ANCHOR.sub(lambda m: local(m, item), item.body)


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
            verb = "replace" if exists else "write"
            echo(f"{'would ' + verb if dry_run else verb[:-1] + 'ed' if exists else 'wrote'} {item.rel} "
                 f"from {item.source}")
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
