"""`flask check`: lint the whole site and report each finding as `path:line: level: message`."""

import bisect
import contextlib
import hashlib
import os
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from flask import Flask, url_for
from mistune.plugins.math import INLINE_MATH_PATTERN

from . import urls
from .blocks import opens_inline_math
from .citation import key_problem
from .content import Post, key_line, read_text, tag_slug
from .front_matter import KEYS, control_characters, near_miss
from .incremental import engine_code
from .paths import resolves_inside
from .workers import map_forked

# A dollar after an odd number of backslashes is escaped, as mistune reads it: no formula starts there.
INLINE_MATH = re.compile(rf"(?<!\\)(?:\\\\)*(?:{INLINE_MATH_PATTERN})")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
LONE_DOLLAR = re.compile(r"\$(?![\d\s$])")
LEFTOVERS = [
    (re.compile(r"\{\{[<%].*?[>%]\}\}"), "Hugo shortcode {} shows as literal text: convert it to Markdown or HTML"),
    (re.compile(r"\{\{.*?\}\}"), "Liquid tag {} shows as literal text: replace it with the value or a link"),
    (re.compile(r"\{%.*?%\}"), "Liquid tag {} shows as literal text: replace it with Markdown"),
    (re.compile(r"^\s*\{:.*\}\s*$"), "kramdown attribute line {} shows as literal text: remove it or use HTML"),
    (re.compile(r"\{:[^{}\n]*\}"), "kramdown attribute list {} shows as literal text: write the element in HTML "
                                    "with those attributes, or remove it"),
]
BRACE = re.compile(r"[{}]")
LIST_MARKER = re.compile(r"([-*+]|\d{1,9}[.)])( {1,4}(?=\S)| *$)")
BLOCK_START = re.compile(r" {0,3}(#{1,6}(\s|$)|([-*_] *){3,}$)")
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
BEGIN_END = re.compile(r"\\(begin|end)\{([^}]*)\}")


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    level: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.level}: {self.message}"


def prose_lines(text: str):
    """Yield (line number, line) of Markdown text outside code blocks and HTML comments, inline code blanked out.

    Lines are read as CommonMark reads them: a fence or an indented code block counts from the list item it is
    in (TeX indented under `1.` is the item's text, not code), and a line under a paragraph line is text.
    """
    if "<!--" in text:
        text = COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    items: list[int] = []  # the content columns of the list items the line may belong to
    fence, code, after_text = None, False, False
    for number, line in enumerate(text.split("\n"), 1):
        line = line.split("<!--", 1)[0]  # a comment still open at the end of the file
        expanded = line.expandtabs(4)
        indent = len(expanded) - len(expanded.lstrip(" "))
        if not expanded.strip():
            after_text = False
            yield number, line
            continue
        if fence:
            match = FENCE.match(expanded.lstrip(" ")) if indent < fence[1] + 4 else None
            if match and match.group(1)[0] == fence[0][0] and len(match.group(1)) >= len(fence[0]):
                fence = None
            continue
        if not after_text:  # after a blank line (or a heading), a line indented less leaves the list item
            while items and indent < items[-1]:
                items.pop()
        base = items[-1] if items else 0
        if indent >= base + 4 and (code or not after_text):
            code = True
            continue
        code = False
        rest = expanded[indent:]
        match = FENCE.match(rest) if indent < base + 4 else None
        if match:
            fence, after_text = (match.group(1), indent), False
            continue
        marker = LIST_MARKER.match(rest)
        if marker and indent < base + 4:
            while items and indent < items[-1]:
                items.pop()
            items.append(indent + len(marker.group(1)) + (len(marker.group(2)) or 1))
        after_text = not BLOCK_START.match(rest)
        # Code spans blanked out to backticks: the same length, so columns hold.
        yield number, CODE_SPAN.sub(lambda m: "`" * len(m.group(0)), line) if "`" in line else line


def math_findings(rel: str, text: str, lines: list[tuple[int, str]] | None = None) -> list[Finding]:
    """Find lone dollars, unbalanced braces and unmatched \\begin/\\end in the math of a file.

    lines, if given, are the file's prose_lines (read once for every check of the file).
    """
    found, display, start = [], False, 0
    block: list[str] = []
    paragraph: list[tuple[int, str]] = []
    for number, line in prose_lines(text) if lines is None else lines:
        stripped = line.strip().lstrip(">").strip()
        if stripped == "$$" and not opens_inline_math("\n".join(text for _, text in paragraph)):
            if display:
                found += _tex_problems(rel, start, "\n".join(block))
                block = []
            else:
                found += _paragraph_math(rel, paragraph)
                paragraph, start = [], number
            display = not display
            continue
        if display:
            block.append(line)
        elif stripped:
            paragraph.append((number, line))
        else:
            found += _paragraph_math(rel, paragraph)
            paragraph = []
    found += _paragraph_math(rel, paragraph)
    if display:
        found.append(Finding(rel, start, "error", "display math opened with '$$' is never closed"))
    return found


def _paragraph_math(rel: str, lines: list[tuple[int, str]]) -> list[Finding]:
    """Check the inline math of one paragraph, which may span lines (kramdown's $$...$$ does)."""
    if not lines:
        return []
    text = "\n".join(line for _, line in lines)
    if "$" not in text:  # most paragraphs: no math, and no dollar to be lone
        return []
    found = []
    starts = [0]
    for _, line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def row_at(offset: int) -> int:
        return bisect.bisect_right(starts, offset, 0, len(lines)) - 1

    pieces, last = [], 0  # the text with each piece of math blanked out
    for match in INLINE_MATH.finditer(text):
        tex = next(g for g in match.groups() if g is not None)
        row = row_at(match.start())
        number = lines[row][0]
        found += _tex_problems(rel, number, tex)
        if "|" in tex and lines[row][1].lstrip().startswith("|"):
            found.append(Finding(rel, number, "warning", "a '|' inside math in a table row breaks the "
                                                         "table: write \\vert instead"))
        pieces += [text[last:match.start()], " " * (match.end() - match.start())]
        last = match.end()
    rest = ("".join(pieces) + text[last:]).replace("\\$", "  ")
    lone = LONE_DOLLAR.search(rest)
    if lone:
        row = row_at(lone.start())
        column = lone.start() - starts[row] + 1
        found.append(Finding(rel, lines[row][0], "warning", f"lone '$' at column {column}: close the math, or "
                                                            f"write \\$ for a dollar sign"))
    return found


def _tex_problems(rel: str, line: int, tex: str) -> list[Finding]:
    found = []
    depth = 0
    plain = re.sub(r"\\[{}\\]", "", tex)
    for char in BRACE.findall(plain):  # only the braces: a post has thousands of formulas
        depth += 1 if char == "{" else -1
        if depth < 0:
            break
    if depth:
        found.append(Finding(rel, line, "error", f"unbalanced braces in math: {_short(tex)}"))
    stack = []
    for kind, env in BEGIN_END.findall(tex):
        if kind == "begin":
            stack.append(env)
        elif not stack or stack.pop() != env:
            found.append(Finding(rel, line, "error", f"\\end{{{env}}} without a matching \\begin{{{env}}}"))
            return found
    for env in stack:
        found.append(Finding(rel, line, "error", f"\\begin{{{env}}} without \\end{{{env}}}"))
    return found


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def leftover_findings(rel: str, text: str, lines: list[tuple[int, str]] | None = None) -> list[Finding]:
    """Find Liquid, Hugo shortcode and kramdown syntax that would show as literal text (lines: as above)."""
    found = []
    for number, line in prose_lines(text) if lines is None else lines:
        for pattern, message in LEFTOVERS:
            match = pattern.search(line)
            if match:
                found.append(Finding(rel, number, "error", message.format(repr(_short(match.group(0))))))
                break
    return found


def front_matter_findings(post: Post, text: str) -> list[Finding]:
    """Warn about keys that look like misspelt known keys, and control characters left out of values."""
    found = []
    present = set(post.meta)
    for key, value in post.meta.items():
        line = key_line(text, str(key)) or 0
        meant = near_miss(str(key), present)
        if meant:
            found.append(Finding(post.source, line, "warning", f"unknown front-matter key '{key}': did you mean "
                                                               f"'{meant}'? (other keys are kept in post.meta)"))
        if key in KEYS:
            chars = control_characters(value)
            if chars:
                found.append(Finding(post.source, line, "warning", f"'{key}' has control characters "
                                                                   f"({', '.join(chars)}), left out of the "
                                                                   f"site: delete them"))
    return found


def rendered_findings(post: Post, text: str) -> list[Finding]:
    """Report references to labels the post does not define, labels defined twice, a bad citation key, and what
    rendering did not understand (code-block options)."""
    found = []
    seen: set[str] = set()
    for label in post.labels:
        if label in seen:
            spots = [m.start() for m in re.finditer(re.escape("\\label{" + label + "}") + "|" +
                                                    re.escape("{#" + label + "}"), text)]
            line = text.count("\n", 0, spots[1]) + 1 if len(spots) > 1 else _line_of(text, label)
            found.append(Finding(post.source, line, "error", f"label {label!r} is defined twice: give each "
                                                              f"equation or figure its own"))
        seen.add(label)
    for label in dict.fromkeys(post.refs):
        if label not in seen:
            where = (f"figure of this post has {{#{label}}} after its image" if label.startswith("fig:") else
                     f"equation of this post has \\label{{{label}}}")
            found.append(Finding(post.source, _line_of(text, "{" + label + "}") or _line_of(text, "@" + label),
                                 "error", f"reference to {label!r}, but no {where}"))
    for needle, message in post.warnings:
        found.append(Finding(post.source, _line_of(text, needle), "warning", message))
    key = post.meta.get("citation_key")
    problem = key_problem(str(key)) if key not in (None, "") else None
    if problem:
        found.append(Finding(post.source, key_line(text, "citation_key") or 0, "error", problem))
    return found


def symlink_findings(engine, posts: list[Post]) -> list[Finding]:
    """Report symlinks in bundles and static/ that lead outside the site folder (never served or copied)."""
    folders = [(engine.site_dir / p.bundle, engine.site_dir) for p in posts if p.bundle]
    folders += [(engine.site_dir / "static", engine.site_dir), (engine.project_root / "static", engine.project_root)]
    found = []
    for folder, root in folders:
        for here, dirs, names in os.walk(folder) if folder.is_dir() else ():
            for name in (*dirs, *names):
                path = Path(here) / name
                if path.is_symlink() and not resolves_inside(path, root):
                    found.append(Finding(path.relative_to(root).as_posix(), 0, "error",
                                         "symlink points outside the site folder, so it is never served or "
                                         "copied: copy the file in"))
    return found


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 0


CODE_HASH = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
FORK_MIN = 64  # fewer files than this are linted in this process: starting workers would cost more


def file_findings(rel: str, data: bytes, text: str) -> list[Finding]:
    """Lint one content file on its own: byte order mark, math, and syntax of other engines."""
    found = []
    if data.startswith(b"\xef\xbb\xbf"):
        found.append(Finding(rel, 1, "warning", "the file starts with a UTF-8 byte order mark: Quire "
                                                "reads it, other tools may ignore the front matter"))
    lines = list(prose_lines(text))
    return found + math_findings(rel, text, lines) + leftover_findings(rel, text, lines)


def own_findings(post: Post, data: bytes, text: str) -> list[Finding]:
    """Lint one content file on its own and what rendering it found: its text, front matter, labels and options."""
    return file_findings(post.source, data, text) + front_matter_findings(post, text) + rendered_findings(post, text)


class Texts(dict):
    """Each content file's text (rel -> text), read when first asked for: most files never are.

    line() places a needle in a file and remembers where, in the render cache under the key the content store
    loaded the file with: a warm check then reads no file to give its findings their lines.
    """

    def __init__(self, engine):
        super().__init__()
        self.engine = engine
        self.stamps: dict[str, tuple[int, int]] = {}  # (mtime, size) of each file read, just after reading it
        self._lines: dict[str, list] = {}  # rel -> [cache key or None, {needles: line}, whether it grew]

    def __missing__(self, rel: str) -> str:
        path = self.engine.site_dir / rel
        text = self[rel] = read_text(path, rel)
        with contextlib.suppress(OSError):
            st = os.stat(path)
            self.stamps[rel] = (st.st_mtime_ns, st.st_size)
        return text

    def line(self, rel: str, *needles: str) -> int:
        """Return the line of the first of the needles that a file holds (0 if it holds none)."""
        entry = self._lines.get(rel)
        if entry is None:
            loaded = self.engine.store.content_key(rel)
            key = self.engine.cache.key("lines", rel, loaded[0]) if loaded else None
            cached = self.engine.cache.get(key) if key else None
            entry = self._lines[rel] = [key, cached if isinstance(cached, dict) else {}, False]
        line = entry[1].get(needles)
        if not isinstance(line, int):
            text = self[rel]
            line = next((n for n in (_line_of(text, needle) for needle in needles) if n), 0)
            entry[1][needles] = line
            entry[2] = True
        return line

    def save(self) -> None:
        """Keep the lines found anew, for each file read as the store loaded it (never one changed since)."""
        for rel, (key, lines, grew) in self._lines.items():
            loaded = self.engine.store.content_key(rel)
            if grew and key and loaded and self.stamps.get(rel) == loaded[1]:
                self.engine.cache.put(key, lines)


def _own_findings(engine, posts: list[Post]) -> list[list]:
    """Each file's own findings, from the render cache or made (in worker processes when there are many)."""
    # They depend on what loading the file depends on (its bytes, the settings, the engine) and on this module:
    # keyed by the key the content store loaded it under, a warm check reads no file again.
    code = CODE_HASH + engine_code()
    loaded = [engine.store.content_key(post.source) for post in posts]  # every post of the site was loaded
    keys = [engine.cache.key("findings", code, post.source, key[0]) for post, key in zip(posts, loaded, strict=True)]
    found = [engine.cache.get(key) for key in keys]
    todo = [i for i, cached in enumerate(found) if not isinstance(cached, list)]
    raw, texts, stamps = [], [], []
    for i in todo:
        path = engine.site_dir / posts[i].source
        raw.append(path.read_bytes())
        texts.append(read_text(path, posts[i].source, raw[-1]))
        st = os.stat(path)
        stamps.append((st.st_mtime_ns, st.st_size))
    made = map_forked(own_findings, [posts[i] for i in todo], raw, texts, min_items=FORK_MIN, chunksize=8)
    for i, stamp, findings in zip(todo, stamps, made, strict=True):
        found[i] = findings
        if stamp == loaded[i][1]:  # a file changed since it was loaded is linted, never cached
            engine.cache.put(keys[i], findings)
    return found


def check_site(app: Flask) -> list[Finding]:
    """Lint every content file of the app's site, the site as a whole and site.toml."""
    engine = app.extensions["quire"]
    engine.refresh()
    if engine.settings_error is not None:
        error = engine.settings_error
        return [Finding(error.path, error.line or 0, "error", error.message)]
    site = engine.site()
    found = [Finding(e.path, e.line or 0, "error", e.message) for e in site.errors]
    posts = [*site.posts_by_slug.values(), *site.pages_by_slug.values()]
    sources = Texts(engine)
    for findings in _own_findings(engine, posts):
        found += findings
    with app.test_request_context():
        own = {id(p): url_for("post" if p.kind == "post" else "page", slug=p.slug) for p in posts}
    known = known_urls(app, site)
    found += _url_findings(site, posts, sources, own)
    found += symlink_findings(engine, posts)
    found += _tag_findings(posts, sources)
    found += _link_findings(app, site, posts, sources, own, known)
    found += _settings_findings(app, site, known)
    found += _scheduled_findings(engine, site)
    found += _series_findings(site, sources)
    sources.save()
    # Their order as fields, compared as tuples: the dataclass's own comparisons cost as much as the rest.
    return sorted(set(found), key=lambda f: (f.path, f.line, f.level, f.message))


def _settings_findings(app: Flask, site, known: set[str]) -> list[Finding]:
    """Find menu and social links in site.toml that point at no page of the site (known: known_urls)."""
    engine = app.extensions["quire"]
    path = engine.site_dir / "site.toml"
    text = path.read_text(encoding="utf-8-sig") if path.is_file() else ""
    found = []
    for setting in ("menu", "social"):
        for entry in engine.settings[setting]:
            url = str(entry["url"])
            if entry.get("external") or not url.startswith("/") or url.startswith("//"):
                continue
            target = unquote(urlsplit(url).path)
            if target not in known and not _is_file(engine, site, target):
                found.append(Finding("site.toml", _line_of(text, f'"{url}"'), "error",
                                     f"{setting} entry {entry['name']!r} links to {url}, where there is no page: "
                                     f"fix the URL or remove the entry"))
    return found


def _scheduled_findings(engine, site) -> list[Finding]:
    """List posts dated in the future, so their 404 in preview is no surprise."""
    found = []
    for post in site.snapshot.posts:
        if post.date is not None and post.date > site.now and not post.draft:
            line = key_line(read_text(engine.site_dir / post.source, post.source), "date") or 0
            found.append(Finding(post.source, line, "info", f"scheduled: published on {post.date.isoformat()}; "
                                                            f"hidden until then (or with --drafts)"))
    return found


def _series_findings(site, sources: dict[str, str]) -> list[Finding]:
    """Warn about a series with one post: its box lists that post alone (a typo in one post's `series`?)."""
    found = []
    for group in site.series.values():
        if len(group.posts) == 1:
            post = group.posts[0]
            found.append(Finding(post.source, key_line(sources[post.source], "series") or 0, "warning",
                                 f"series {group.tag.name!r} has only this post: give another post the same "
                                 f"'series', or remove it"))
    return found


def _url_findings(site, posts: list[Post], sources: Texts, own: dict[int, str]) -> list[Finding]:
    found = []
    for page in site.pages_by_slug.values():
        if page.slug in urls.RESERVED:
            found.append(Finding(page.source, 0, "error", f"page URL /{page.slug}/ is taken by Quire's own "
                                                          f"route: set another 'slug'"))
    owners = {own[id(p)]: p for p in posts}
    claimed: dict[str, Post] = {}
    for post in posts:
        for alias in post.aliases:
            if alias in owners:
                problem = f"alias {alias} is the URL of {owners[alias].source}: remove one"
            elif alias in claimed and claimed[alias] is not post:
                problem = f"alias {alias} is also claimed by {claimed[alias].source}: remove one"
            else:
                problem = None
            if problem:
                found.append(Finding(post.source, sources.line(post.source, alias.rstrip("/")), "error", problem))
            claimed.setdefault(alias, post)
    return found


def _tag_findings(posts: list[Post], sources: Texts) -> list[Finding]:
    found = []
    spellings: dict[str, dict[str, str]] = defaultdict(dict)
    for post in sorted(posts, key=lambda p: p.source):
        raw = post.meta.get("tags")
        names = raw if isinstance(raw, list) else re.split(r"[,\s]+", str(raw or ""))
        for name in (str(n) for n in names if n):
            if re.search(r"[\"'`]", name):
                found.append(Finding(post.source, sources.line(post.source, "tags"), "warning",
                                     f"tag {name!r} has stray quotes: remove them"))
            spellings[tag_slug(name)].setdefault(name.strip("\"'` "), post.source)
    for names in spellings.values():
        if len(names) > 1:
            (first, first_source), *others = names.items()
            for name, source in others:
                found.append(Finding(source, sources.line(source, "tags"), "warning",
                                     f"tag {name!r} differs from {first!r} (in {first_source}) only in case or "
                                     f"punctuation: use one spelling"))
    return found


SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:|//")
# A path from the site's root that joining would leave as it is: no dot segment, no `;` parameters, nothing a
# URL parser strips.
PLAIN_PATH = re.compile(r"(?!//)(?![^#?]*/\.\.?(?:[/#?]|\Z))/[^\s\\;\x00-\x20\x7f]*\Z")


def _link_findings(app: Flask, site, posts: list[Post], sources: Texts, own: dict[int, str],
                   known: set[str]) -> list[Finding]:
    """Find links and images that point to no page, file or heading (own: each post's URL; known: known_urls)."""
    engine = app.extensions["quire"]
    found = []
    pages = {own[id(p)]: p for p in posts}
    known = known | set(pages)
    for post in posts:
        base = own[id(post)]

        def report(message: str, link: str, post: Post = post) -> None:
            found.append(Finding(post.source, sources.line(post.source, f"({link}", link), "error", message))

        for what, link in dict.fromkeys(post.links):
            if SCHEME.match(link):
                continue  # links to other sites are not checked (most links of a post: keep this cheap)
            if PLAIN_PATH.match(link):
                # Most links of a blog are a plain path from the root: no joining needed (a tenth of the check).
                before, _, fragment = link.partition("#")
                path, fragment = unquote(before.partition("?")[0]), unquote(fragment)
            else:
                target = urlsplit(urljoin("http://site" + base, link))
                path, fragment = unquote(target.path), unquote(target.fragment)
            if fragment == "top":
                fragment = ""  # every page's <body id="top">
            if path == base or link.startswith("#"):
                if fragment and fragment not in post.anchors:
                    report(f"link {link!r} points to no heading or id in this post", link)
                continue
            if path in pages:
                if fragment and fragment not in pages[path].anchors:
                    report(f"link {link!r}: {pages[path].source} has no heading with id {fragment!r}", link)
                continue
            if path in known or _is_file(engine, site, path):
                continue
            report(f"{what} {link!r} points nowhere: no page or file at {path}", link)
    return found


def known_urls(app: Flask, site) -> set[str]:
    """Return the URL paths of the site's pages that are not posts' own: lists, tags, feeds, aliases."""
    with app.test_request_context():
        known = set(site.aliases)
        known |= {url_for(rule.endpoint) for rule in app.url_map.iter_rules() if not rule.arguments}
        known |= {url_for("tag", slug=s) for s in site.tags} | {url_for("tag_feed", slug=s) for s in site.tags}
        known |= {url_for(e, slug=s) for s in site.series for e in ("series", "series_feed")}
        known |= {url_for(p.kind, slug=p.slug) for p in (*site.posts_by_slug.values(), *site.pages_by_slug.values())}
    return known


def _is_file(engine, site, path: str) -> bool:
    """Tell whether a URL path is a static file or a file of a post bundle."""
    parts = path.strip("/").split("/")
    if parts[0] == "static" and len(parts) > 1:
        rel = "/".join(parts[1:])
        return any((folder / rel).is_file() for folder in (engine.site_dir / "static",
                                                            engine.project_root / "static"))
    if parts[0] == "posts" and len(parts) > 2:
        return _in_bundle(engine, site.posts_by_slug.get(parts[1]), parts[2:])
    if path == "/assets/quire.css":
        return True
    if len(parts) > 1:
        return _in_bundle(engine, site.pages_by_slug.get(parts[0]), parts[1:])
    return False


def _in_bundle(engine, post, parts: list[str]) -> bool:
    if post is None or post.bundle is None:
        return False
    folder = (engine.site_dir / post.bundle).resolve()
    target = (folder / "/".join(parts)).resolve()
    return target.is_file() and target.is_relative_to(folder)


def as_json(findings: list[Finding]) -> list[dict]:
    """Describe findings as plain data for `--format json`."""
    return [asdict(f) for f in findings]


def grouped_lines(findings: list[Finding]) -> list[str]:
    """Lines for people: findings grouped by file, then a count."""
    lines = []
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_file[finding.path].append(finding)
    for path in sorted(by_file):
        lines += [str(f) for f in sorted(by_file[path], key=lambda f: (f.line, f.level, f.message))]
    problems = [f for f in findings if f.level != "info"]
    if not problems:
        return lines + ["No problems found."]
    errors = sum(f.level == "error" for f in problems)
    warnings = len(problems) - errors
    files = len({f.path for f in problems})
    lines.append(f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)} "
                 f"in {files} file{'s' * (files != 1)}")
    return lines
