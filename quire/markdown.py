"""Markdown to HTML with mistune 3: math kept byte-exact, Pygments code, heading ids, TOC, figures."""

import html
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import mistune
from mistune.plugins import import_plugin
from mistune.plugins.table import table_in_list, table_in_quote
from mistune.util import escape as escape_text
from mistune.util import striptags
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from .blocks import QuireBlockParser, block_math
from .inlines import QuireInlineParser, inline_math, kept_pairs, scripts
from .readers import (
    CodeOptions,
    callout_html,
    callout_kind,
    code_block_html,
    parse_code_options,
    split_info,
    strip_callout_mark,
)
from .xrefs import FIGURE_LABEL, anchor_id, math_labels, math_refs, resolve, xrefs

# Plugins that keep CommonMark's output as it is, and the extensions that change it (switched off together
# for the CommonMark conformance test): marks, scripts, bare URLs, math, and figures in the renderer.
COMMONMARK_PLUGINS = ("strikethrough", "footnotes", "table", "def_list", "task_lists")
EXTENSIONS = ("mark", "url")
HARMFUL_URL = re.compile(r"(?:javascript|vbscript|file|data(?!:image/(?:gif|png|jpeg|webp);)):")
CONTROL = re.compile(r"[\x00-\x20]")
MORE_MARKER = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)
HTML_MATH_BLOCK = re.compile(r"\A\s*<div([^>]*)>\s*(\$\$.+?\$\$|\\\[.+?\\\])\s*</div>\s*\Z", re.DOTALL)
FIGURE_NUMBER = re.compile(r"^\s*(fig(ure)?\.?)\s*\d+", re.IGNORECASE)
SLUG_STRIP = re.compile(r"[^\w\- ]", re.UNICODE)
IMAGE_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:|^/|^#", re.IGNORECASE)
BLOCK_TYPES = {"paragraph", "heading", "block_code", "block_math", "block_html", "list_item", "task_list_item",
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
    links: tuple[tuple[str, str], ...]
    labels: tuple[str, ...] = ()  # cross-reference labels defined (equations, figures), repeats kept
    refs: tuple[str, ...] = ()  # labels referred to
    warnings: tuple[tuple[str, str], ...] = ()  # (text on its line, message): what Quire did not understand



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


TAG_OR_QUOTE = re.compile(r"(<[^>]*>)|[\"']")
QUOTES = {'"': "&quot;", "'": "&#39;"}


def highlight_code(code: str, language: str) -> str | None:
    """Return Pygments HTML spans for the code, or None for an unknown language."""
    lexer = _lexer(language.lower()) if language else None
    if lexer is None:
        return None
    # Pygments 2.21 stopped escaping quotes in text: `src="/x"` in code would then read as an attribute to
    # anything that scans the HTML (link rebasing, feeds), so quotes outside its own tags are escaped here.
    return TAG_OR_QUOTE.sub(lambda m: m.group(1) or QUOTES[m.group(0)], highlight(code, lexer, _FORMATTER))


class QuireRenderer(mistune.HTMLRenderer):
    """HTML renderer that records headings, figures and math in the parse state."""

    def __init__(self, figures: bool = True):
        super().__init__(escape=False)
        self.figures = figures

    def sanitize_url(self, url: str) -> str:
        """Keep any URL but a script or a file (`javascript:`, `data:` other than an image): CommonMark allows
        every scheme, and mistune's list of known schemes also drops `localhost:5001/foo`."""
        plain = url
        for _ in range(3):  # `java%2573cript:` is still javascript after decoding twice
            plain = unquote(plain)
        return "#harmful-link" if HARMFUL_URL.match(CONTROL.sub("", plain).lower()) else url

    def render_token(self, token: dict[str, Any], state) -> str:
        kind = token["type"]
        if kind == "heading":
            return self._heading(token, state)
        if kind in ("paragraph", "block_text"):
            return self._paragraph(token, state)
        if kind == "block_html":
            return self._block_html(token["raw"], state)
        if kind == "block_math":
            return self.display_math(token["raw"], state)
        if kind == "block_quote" and self.figures:
            callout = callout_kind(token)
            if callout:
                return callout_html(callout, self.render_tokens(strip_callout_mark(token), state))
        if kind == "block_code":
            return self._code(token, state)
        if kind == "inline_math":
            state.env["has_math"] = True
            state.env["refs"].extend(math_refs(token["raw"]))
        if kind == "xref":
            state.env["refs"].append(token["attrs"]["label"])
        if kind == "image":
            return self._image(token, state)
        return super().render_token(token, state)

    def _heading(self, token, state) -> str:
        level = token["attrs"]["level"]
        # The id comes from the text as typed, so smart punctuation (on or off) never moves an anchor.
        text = "".join(plain_chunks(token.get("children", []), delimit=False, typed=True)).strip()
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
            return self.display_math(children[0]["raw"], state)
        figure = self._figure(children, state) if self.figures and token["type"] == "paragraph" else None
        if figure:
            return figure
        inner = self.render_tokens(token.get("children", []), state)
        return inner if token["type"] == "block_text" else "<p>" + inner + "</p>\n"

    def _figure(self, children, state) -> str | None:
        if not children or children[0]["type"] != "image":
            return None
        image = children[0]
        # `![Alt](x.png "Caption"){#fig:label}`: the label sits right after the image, before any caption line.
        label = FIGURE_LABEL.match(children[1]["raw"]) if len(children) > 1 and children[1]["type"] == "text" else None
        if label:
            rest = children[1]["raw"][label.end():]
            children = [image, *([{"type": "text", "raw": rest}] if rest.strip() else []), *children[2:]]
        if len(children) == 1 and image["attrs"].get("title"):
            caption = escape_text(image["attrs"]["title"])
        elif len(children) == 1 and label:
            caption = ""
        elif (len(children) == 3 and children[1]["type"] in ("softbreak", "linebreak")
              and children[2]["type"] == "emphasis"):
            caption = self.render_tokens(children[2]["children"], state)
        else:
            return None
        state.env["figures"] += 1
        number = state.env["figures"]
        if not FIGURE_NUMBER.match(striptags(caption)):
            caption = f'<span class="figure-number">Fig. {number}.</span> {caption}'.rstrip()
        img = self._image(image, state, with_title=False)
        # A labelled figure's id is its label's, so that links to it survive a figure inserted above.
        figure_id = f"figure-{number}"
        if label:
            state.env["labels"].append(label.group(1))
            state.env["figure_numbers"].setdefault(label.group(1), number)
            figure_id = anchor_id(label.group(1))
        return f'<figure id="{figure_id}">{img}<figcaption>{caption}</figcaption></figure>\n'

    def _image(self, token, state, with_title: bool = True) -> str:
        attrs = token["attrs"]
        url = attrs["url"]
        alt = "".join(plain_chunks(token.get("children", []), images=True)).strip()
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
            tex = html.unescape(match.group(2))
            state.env["labels"].extend(math_labels(tex))
            state.env["refs"].extend(math_refs(tex))
            return f'<div class="math display">{match.group(2)}</div>\n'
        if 'class="math' in raw:
            state.env["has_math"] = True
        return raw if raw.endswith("\n") else raw + "\n"

    def display_math(self, tex: str, state) -> str:
        """Render display TeX for MathJax, escaped for HTML only; each `\\label` gets an anchor for links."""
        state.env["has_math"] = True
        labels = math_labels(tex)
        state.env["labels"].extend(labels)
        state.env["refs"].extend(math_refs(tex))
        ids = list(dict.fromkeys(anchor_id(label) for label in labels if anchor_id(label)))
        first = f' id="{ids[0]}"' if ids else ""
        more = "".join(f'<span class="equation-anchor" id="{i}"></span>' for i in ids[1:])
        return f'{more}<div class="math display"{first}>\\[' + escape_text(tex) + "\\]</div>\n"

    def inline_math(self, text: str, display: bool = False) -> str:
        return '<span class="math">\\(' + escape_text(text) + "\\)</span>"

    def _code(self, token, state) -> str:
        info = html.unescape((token.get("attrs") or {}).get("info") or "")
        language, options_text = split_info(info) if self.figures else (info.strip(), "")
        language = language.split(None, 1)[0] if language else ""
        if language == "mermaid":  # drawn by Mermaid in the browser; without JavaScript it reads as code
            return f'<pre class="mermaid">{escape_text(token["raw"])}</pre>\n'
        options = parse_code_options(options_text) if options_text else CodeOptions()
        state.env["warnings"].extend(options.problems)
        code = token["raw"]
        highlighted = highlight_code(code, language)
        cls = f' class="language-{html.escape(language, quote=True)}"' if language else ""
        body = highlighted if highlighted is not None else escape_text(code)
        return code_block_html(body, cls, options)

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


def plain_chunks(tokens, delimit: bool = True, typed: bool = False, images: bool = False):
    """Yield the plain text of inline tokens (a heading, an image's alt text), math with or without `$`,
    text with smart punctuation or as typed, the alt text of images in it or not."""
    for tok in tokens:
        kind = tok["type"]
        if kind == "inline_math":
            yield f"${tok['raw']}$" if delimit else tok["raw"]
        elif kind in ("text", "codespan"):
            yield tok.get("typed", tok["raw"]) if typed else tok["raw"]
        elif kind in ("softbreak", "linebreak"):
            yield " "
        elif kind == "inline_html":
            yield html.unescape(striptags(tok["raw"]))
        elif (kind != "image" or images) and "children" in tok:
            yield from plain_chunks(tok["children"], delimit, typed, images)


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


HTML_URL = re.compile(r"""\b(href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def collect_links(tokens):
    """Yield ("link" or "image", url) for every link, image and raw-HTML href/src outside code, in order."""
    for tok in tokens:
        kind = tok["type"]
        if kind == "link":
            yield "link", tok["attrs"]["url"]
        elif kind == "image":
            yield "image", tok["attrs"]["url"]
        elif kind in ("block_html", "inline_html"):
            for attr, double, single in HTML_URL.findall(tok.get("raw", "")):
                yield ("image" if attr.lower() == "src" else "link"), html.unescape(double or single)
        if "children" in tok:
            yield from collect_links(tok["children"])


HTML_ID = re.compile(r"""\b(?:id|name)=(?:"([^"]*)"|'([^']*)')""")


def html_ids(fragment: str) -> frozenset[str]:
    """Collect the ids (and old-style anchor names) that a #fragment can point to in rendered HTML."""
    return frozenset(a or b for a, b in HTML_ID.findall(fragment))


_idle: dict[bool, list] = {True: [], False: []}
_idle_lock = threading.Lock()


def _new_markdown(extensions: bool = True):
    """Build a mistune instance with Quire's parsers, renderer and plugins (about 20 ms: reuse them)."""
    plugins = [import_plugin(name) for name in COMMONMARK_PLUGINS + (EXTENSIONS if extensions else ())]
    plugins += [table_in_list, table_in_quote, kept_pairs]
    if extensions:
        plugins += [scripts, block_math, inline_math, xrefs]
    return mistune.Markdown(renderer=QuireRenderer(figures=extensions), block=QuireBlockParser(),
                            inline=QuireInlineParser(), plugins=plugins)


def render_markdown(text: str, image_size: Callable[[str], tuple[int, int] | None] | None = None,
                    smart_punctuation: bool = True, extensions: bool = True) -> Rendered:
    """Render Markdown text to HTML with its headings, plain text, summary text and math flag.

    `extensions=False` leaves out what changes CommonMark's output (math, figures, marks, scripts, bare URLs);
    with `smart_punctuation` off, that is plain CommonMark with GitHub's tables, strikethrough and task lists.
    """
    deep = DEEP_INDENT.search(text)
    if deep:
        # mistune's list parsing grows faster than quadratically with indentation: refuse, don't hang.
        raise MarkdownTooDeep(text.count("\n", 0, deep.start()) + 1)
    # A parse keeps state in the instance, so each thread borrows one; the dev server starts a thread per
    # request, which is why a thread-local instance would be rebuilt on every request.
    with _idle_lock:
        md = _idle[extensions].pop() if _idle[extensions] else None
    md = md or _new_markdown(extensions)
    try:
        state = md.block.state_cls()
        state.env.update(ids=set(), headings=[], figures=0, has_math=False, smart_punctuation=smart_punctuation,
                         image_size=image_size or (lambda url: None), labels=[], refs=[], figure_numbers={},
                         warnings=[])
        body, state = md.parse(text, state)
    finally:
        with _idle_lock:
            _idle[extensions].append(md)
    text_plain, search_text, lead, has_more = collect_text(state.tokens)
    numbers = state.env["figure_numbers"]
    return Rendered(
        html=resolve(body, numbers),
        headings=tuple(replace(h, html=resolve(h.html, numbers)) for h in state.env["headings"]),
        text=text_plain,
        search_text=search_text,
        lead_text=lead,
        has_more=has_more,
        has_math=state.env["has_math"],
        figures=state.env["figures"],
        links=tuple(collect_links(state.tokens)),
        labels=tuple(state.env["labels"]),
        refs=tuple(state.env["refs"]),
        warnings=tuple(state.env["warnings"]),
    )


def _squash(text: str) -> str:
    """Collapse runs of white space to single spaces."""
    return " ".join(text.split())


def render_inline_markdown(text: str, smart_punctuation: bool = True) -> str:
    """Render a short Markdown snippet (settings text) to HTML."""
    return render_markdown(text, smart_punctuation=smart_punctuation).html


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
