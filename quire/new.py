"""`flask new`: start a post or page file with its front matter filled in."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from . import urls
from .content import Post
from .paths import CONTROL, ascii_slug, slug_problem


class NewPostError(Exception):
    """What stops `flask new` from writing the file, and what to do instead."""


@dataclass(frozen=True)
class NewPost:
    path: Path
    url_path: str
    text: str


def _quoted(value: str) -> str:
    """Write a string as a double-quoted YAML scalar on one line, whatever it holds."""
    return yaml.safe_dump(value, default_style='"', allow_unicode=True, width=1 << 30).strip().removesuffix("\n...")


def front_matter(title: str, day: date | None, tags: list[str], draft: bool) -> str:
    """Return the new file's text: YAML front matter, room for the opening paragraph, the summary marker."""
    lines = ["---", f"title: {_quoted(title)}"]
    if day is not None:
        lines.append(f"date: {day.isoformat()}")
    if tags:
        lines.append("tags: [" + ", ".join(_quoted(t) for t in tags) + "]")
    if draft:
        lines.append("draft: true")
    # What comes before <!--more--> is the summary on lists and in feeds.
    return "\n".join([*lines, "---", "", "", "", "<!--more-->", "", ""])


def plan(site_dir: Path, posts: tuple[Post, ...], title: str, day: date, *, tags: list[str], bundle: bool,
         page: bool, draft: bool, slug: str | None, dated: bool) -> NewPost:
    """Decide the new file's path, URL and text; raise NewPostError for anything it would clash with."""
    if not title.strip() or CONTROL.search(title):
        raise NewPostError("give a title on one line, such as: flask new \"Reward Hacking in RL\"")
    base = slug or ascii_slug(title)
    if not base:
        raise NewPostError(f"the title {title!r} gives an empty slug (no ASCII letters or digits): "
                           f"name the file with --slug, such as --slug my-post")
    name = base if page else f"{day.isoformat()}-{base}"
    kind = "page" if page else "post"
    problem = slug_problem(name, kind) or (f"page slug {name!r} is a URL Quire uses: pass another --slug"
                                           if page and name.lower() in urls.RESERVED else None)
    if problem:
        raise NewPostError(problem)
    folder = site_dir / ("pages" if page else "posts")
    path = folder / name / "index.md" if bundle else folder / f"{name}.md"
    url_path = urls.build(kind, slug=name)
    for existing in (folder / f"{name}.md", folder / f"{name}.markdown", folder / name):
        if existing.exists() or existing.is_symlink():
            raise NewPostError(f"{existing.relative_to(site_dir)} already exists: pick another title or --slug")
    for post in posts:
        if post.kind == kind and post.slug == name:
            raise NewPostError(f"{post.source} already uses the slug {name!r}: pick another title or --slug")
        if url_path in post.aliases or url_path.rstrip("/") in post.aliases:
            raise NewPostError(f"{post.source} has {url_path} as an alias: pick another title or --slug")
    text = front_matter(title.strip(), day if dated else None, tags, draft)
    return NewPost(path, url_path, text)


def write(new: NewPost) -> None:
    """Write the file, never over one that appeared meanwhile."""
    new.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(new.path, "x", encoding="utf-8", newline="\n") as out:
            out.write(new.text)
    except FileExistsError:
        raise NewPostError(f"{new.path} already exists: pick another title or --slug") from None
