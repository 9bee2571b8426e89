"""Markdown to HTML with mistune 3: math kept byte-exact, Pygments code, heading ids, TOC, figures."""

import html
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import mistune
from mistune.plugins.math import INLINE_MATH_PATTERN, math_in_list, math_in_quote
from mistune.plugins.table import table_in_list, table_in_quote
from mistune.util import escape as escape_text
from mistune.util import striptags
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

PLUGINS = ("strikethrough", "mark", "superscript", "subscript", "footnotes", "table", "url",
           "def_list", "math", "task_lists")
MORE_MARKER = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)
HTML_MATH_BLOCK = re.compile(r"\A\s*<div([^>]*)>\s*(\$\$.+?\$\$|\\\[.+?\\\])\s*</div>\s*\Z", re.DOTALL)
FIGURE_NUMBER = re.compile(r"^\s*(fig(ure)?\.?)\s*\d+", re.IGNORECASE)
SLUG_STRIP = re.compile(r"[^\w\- ]", re.UNICODE)
IMAGE_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:|^/|^#", re.IGNORECASE)
BLOCK_TYPES = {"paragraph", "heading", "block_code", "block_math", "block_html", "list_item",
               "table_cell", "def_list_head", "def_list_item", "footnote_item", "block_quote"}


MAX_INDENT = 1000
DEEP_INDENT = re.compile(rf"^[ \t]{{{MAX_INDENT + 1},}}", re.MULTILINE)


class MarkdownTooDeep(ValueError):
    """Markdown nested so deeply that rendering it would take minutes."""

    def __init__(self, line: int):
        super().__init__(f"line {line} is indented more than {MAX_INDENT} columns: nest lists and quotes "
                         f"less deeply")
        self.line = line


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    html: str
    text: str


@dataclass(frozen=True)
class Rendered:
    html: str
    headings: tuple[Heading, ...]
    text: str
    search_text: str
    lead_text: str
    has_more: bool
    has_math: bool
    figures: int


def slugify_heading(text: str) -> str:
    """Make a GitHub-style id: lower case, punctuation dropped, spaces to hyphens."""
    slug = SLUG_STRIP.sub("", text.strip().lower()).replace(" ", "-")
    return slug or "section"


@lru_cache(maxsize=256)
def _lexer(language: str):
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


_FORMATTER = HtmlFormatter(nowrap=True)


COMMON_LANGUAGES = ("python", "bash", "shell", "console", "json", "yaml", "javascript", "c", "cpp", "text")


def warm_highlighter() -> None:
    """Import the lexers of common languages now, so the first edited post renders as fast as the rest."""
    for language in COMMON_LANGUAGES:
        _lexer(language)


def highlight_code(code: str, language: str) -> str | None:
    """Return Pygments HTML spans for the code, or None for an unknown language."""
    lexer = _lexer(language.lower()) if language else None
    if lexer is None:
        return None
    return highlight(code, lexer, _FORMATTER)


class QuireRenderer(mistune.HTMLRenderer):
    """HTML renderer that records headings, figures and math in the parse state."""

    def render_token(self, token: dict[str, Any], state) -> str:
        kind = token["type"]
        if kind == "heading":
            return self._heading(token, state)
        if kind == "paragraph":
            return self._paragraph(token, state)
        if kind == "block_html":
            return self._block_html(token["raw"], state)
        if kind in ("inline_math", "block_math"):
            state.env["has_math"] = True
        if kind == "image":
            return self._image(token, state)
        return super().render_token(token, state)

    def _heading(self, token, state) -> str:
        level = token["attrs"]["level"]
        text = "".join(plain_chunks(token.get("children", []), delimit=False)).strip()
        used = state.env["ids"]
        base = slugify_heading(text)
        anchor, n = base, 0
        while anchor in used:
            n += 1
            anchor = f"{base}-{n}"
        used.add(anchor)
        inner = self.render_tokens(token.get("children", []), state)
        state.env["headings"].append(Heading(level, anchor, inner, text))
        return (f'<h{level} id="{anchor}">{inner}<a class="anchor" href="#{anchor}" '
                f'aria-label="Link to this section">#</a></h{level}>\n')

    def _paragraph(self, token, state) -> str:
        children = [c for c in token.get("children", []) if not _is_blank(c)]
        if len(children) == 1 and children[0]["type"] == "inline_math" and children[0]["attrs"]["display"]:
            state.env["has_math"] = True
            return self.display_math(children[0]["raw"])
        figure = self._figure(children, state)
        if figure:
            return figure
        return "<p>" + self.render_tokens(token.get("children", []), state) + "</p>\n"

    def _figure(self, children, state) -> str | None:
        if not children or children[0]["type"] != "image":
            return None
        image = children[0]
        caption = None
        if len(children) == 1:
            title = image["attrs"].get("title")
            if not title:
                return None
            caption = escape_text(title)
        elif (len(children) == 3 and children[1]["type"] in ("softbreak", "linebreak")
              and children[2]["type"] == "emphasis"):
            caption = self.render_tokens(children[2]["children"], state)
        else:
            return None
        state.env["figures"] += 1
        number = state.env["figures"]
        if not FIGURE_NUMBER.match(striptags(caption)):
            caption = f'<span class="figure-number">Fig. {number}.</span> {caption}'
        img = self._image(image, state, with_title=False)
        return f'<figure id="figure-{number}">{img}<figcaption>{caption}</figcaption></figure>\n'

    def _image(self, token, state, with_title: bool = True) -> str:
        attrs = token["attrs"]
        url = attrs["url"]
        alt = "".join(plain_chunks(token.get("children", []))).strip()
        parts = {"src": self.sanitize_url(url), "alt": alt}
        if with_title and attrs.get("title"):
            parts["title"] = attrs["title"]
        size = state.env["image_size"](url) if not IMAGE_SCHEME.match(url) else None
        if size:
            parts["width"], parts["height"] = size
        parts["loading"] = "lazy"
        parts["decoding"] = "async"
        return "<img" + self.render_attrs(parts) + ">"

    def _block_html(self, raw: str, state) -> str:
        match = HTML_MATH_BLOCK.match(raw)
        if match:
            state.env["has_math"] = True
            return f'<div class="math display">{match.group(2)}</div>\n'
        if 'class="math' in raw:
            state.env["has_math"] = True
        return raw if raw.endswith("\n") else raw + "\n"

    def display_math(self, tex: str) -> str:
        """Render display TeX for MathJax, escaped for HTML only."""
        return '<div class="math display">\\[' + escape_text(tex) + "\\]</div>\n"

    def block_math(self, text: str) -> str:
        return self.display_math(text)

    def inline_math(self, text: str, display: bool = False) -> str:
        return '<span class="math">\\(' + escape_text(text) + "\\)</span>"

    def block_code(self, code: str, info: str | None = None) -> str:
        language = info.split(None, 1)[0] if info and info.strip() else ""
        highlighted = highlight_code(code, language)
        cls = f' class="language-{html.escape(language, quote=True)}"' if language else ""
        body = highlighted if highlighted is not None else escape_text(code)
        return f'<div class="code-block"><pre class="highlight"><code{cls}>{body}</code></pre></div>\n'

    def task_list_item(self, text: str, checked: bool = False) -> str:
        box = (f'<input class="task-list-item-checkbox" type="checkbox" disabled{" checked" if checked else ""} '
               f'aria-label="{"Done" if checked else "Not done"}">')
        if text.startswith("<p>"):
            text = text.replace("<p>", "<p>" + box, 1)
        else:
            text = box + text
        return '<li class="task-list-item">' + text + "</li>\n"

    def table(self, text: str) -> str:
        return '<div class="table-wrap"><table>\n' + text + "</table></div>\n"

    def thematic_break(self) -> str:
        return "<hr>\n"

    def linebreak(self) -> str:
        return "<br>\n"


def _is_blank(token) -> bool:
    return token["type"] == "text" and not token.get("raw", "").strip()


def plain_chunks(tokens, delimit: bool = True):
    """Yield the plain text of inline tokens (a heading, an image's alt text), math with or without `$`."""
    for tok in tokens:
        kind = tok["type"]
        if kind == "inline_math":
            yield f"${tok['raw']}$" if delimit else tok["raw"]
        elif kind in ("text", "codespan"):
            yield tok["raw"]
        elif kind in ("softbreak", "linebreak"):
            yield " "
        elif kind == "inline_html":
            yield html.unescape(striptags(tok["raw"]))
        elif kind != "image" and "children" in tok:
            yield from plain_chunks(tok["children"], delimit)


def collect_text(tokens) -> tuple[str, str, str, bool]:
    """Walk the tokens once for three plain texts: all of it (words are counted over math and code too),
    the searchable part (no math) and the lead for summaries (no code; up to <!--more-->, if any)."""
    full: list[str] = []
    search: list[str] = []
    lead: list[str] = []
    more = False

    def add(text: str, to_search: bool = True, to_lead: bool = True) -> None:
        full.append(text)
        # Math is not searchable, but a snippet should still show that something stood there.
        search.append(text if to_search else " … ")
        if to_lead and not more:
            lead.append(text)

    def walk(tokens) -> None:
        nonlocal more
        for tok in tokens:
            kind = tok["type"]
            if kind == "text" or kind == "codespan":
                add(tok["raw"])
            elif kind == "inline_math":
                add(f"${tok['raw']}$", to_search=False)
            elif kind == "block_math":
                add(f"$${tok['raw']}$$", to_search=False)
            elif kind == "block_code":
                add(tok["raw"], to_lead=False)
            elif kind in ("softbreak", "linebreak"):
                add(" ")
            elif kind in ("block_html", "inline_html"):
                raw = tok.get("raw", "")
                if MORE_MARKER.search(raw):
                    more = True
                text = html.unescape(striptags(raw))
                if text.strip():
                    add(text)
            elif kind == "image":
                # In a summary an image's alt text stands for it; it is no word to count nor to search.
                if not more:
                    lead.append("".join(plain_chunks(tok.get("children", []))))
            elif "children" in tok:
                walk(tok["children"])
            if kind in BLOCK_TYPES:
                add("\n")

    walk(tokens)
    return _squash("".join(full)), _squash("".join(search)), _squash("".join(lead)), more


def parse_inline_math(inline, m, state) -> int:
    """Parse `$x$` and kramdown's in-paragraph `$$x$$`, both as inline math (display flag kept)."""
    display = m.group("display_math_text")
    text = display if display is not None else (m.group("backtick_math_text") or m.group("math_text"))
    state.append_token({"type": "inline_math", "raw": text, "attrs": {"display": display is not None}})
    return m.end()


_idle: list = []
_idle_lock = threading.Lock()


def _new_markdown():
    """Build a mistune instance with Quire's renderer and plugins (about 20 ms: reuse them)."""
    md = mistune.create_markdown(
        renderer=QuireRenderer(escape=False),
        plugins=[*PLUGINS, math_in_list, math_in_quote, table_in_list, table_in_quote],
    )
    md.inline.register("inline_math", INLINE_MATH_PATTERN, parse_inline_math, before="codespan")
    return md


def render_markdown(text: str, image_size: Callable[[str], tuple[int, int] | None] | None = None) -> Rendered:
    """Render Markdown text to HTML with its headings, plain text, summary text and math flag."""
    deep = DEEP_INDENT.search(text)
    if deep:
        # mistune's list parsing grows faster than quadratically with indentation: refuse, don't hang.
        raise MarkdownTooDeep(text.count("\n", 0, deep.start()) + 1)
    # A parse keeps state in the instance, so each thread borrows one; the dev server starts a thread per
    # request, which is why a thread-local instance would be rebuilt on every request.
    with _idle_lock:
        md = _idle.pop() if _idle else None
    md = md or _new_markdown()
    try:
        state = md.block.state_cls()
        state.env.update(ids=set(), headings=[], figures=0, has_math=False,
                         image_size=image_size or (lambda url: None))
        body, state = md.parse(text, state)
    finally:
        with _idle_lock:
            _idle.append(md)
    text_plain, search_text, lead, has_more = collect_text(state.tokens)
    return Rendered(
        html=body,
        headings=tuple(state.env["headings"]),
        text=text_plain,
        search_text=search_text,
        lead_text=lead,
        has_more=has_more,
        has_math=state.env["has_math"],
        figures=state.env["figures"],
    )


def _squash(text: str) -> str:
    """Collapse runs of white space to single spaces."""
    return " ".join(text.split())


def render_inline_markdown(text: str) -> str:
    """Render a short Markdown snippet (settings text) to HTML."""
    return render_markdown(text).html


def toc_html(headings: tuple[Heading, ...], depth: int) -> str:
    """Nest headings up to the given level into a list of links."""
    items = [h for h in headings if h.level <= depth]
    if not items:
        return ""
    out, stack = [], []
    for h in items:
        while stack and stack[-1] > h.level:
            stack.pop()
            out.append("</li></ul>")
        if stack and stack[-1] == h.level:
            out.append("</li>")
        else:
            stack.append(h.level)
            out.append("<ul>")
        out.append(f'<li><a href="#{h.id}">{_strip_links(h.html)}</a>')
    while stack:
        stack.pop()
        out.append("</li></ul>")
    return "".join(out)


def _strip_links(fragment: str) -> str:
    """Drop <a> tags from heading HTML so the TOC link does not nest links."""
    return re.sub(r"</?a\b[^>]*>", "", fragment)


def pygments_css() -> str:
    """Return the light and dark Pygments CSS, compacted, the dark one scoped to the dark theme."""
    def rules(style: str, scope: str) -> str:
        defs = HtmlFormatter(style=style).get_style_defs(".highlight")
        out = []
        for line in defs.splitlines():
            line = re.sub(r"\s*/\*.*?\*/\s*$", "", line)
            if line.startswith(".highlight") and not line.endswith("{  }"):
                out.append(scope + re.sub(r"\s*([{};:])\s*", r"\1", line))
        return "\n".join(out)

    return "\n".join([
        rules("default", ""),
        rules("github-dark", ":root[data-theme=dark] "),
        "@media (prefers-color-scheme: dark) {",
        rules("github-dark", ":root:not([data-theme=light]) "),
        "}",
    ]) + "\n"
