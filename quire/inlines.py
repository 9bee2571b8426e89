"""Quire's inline rules on top of mistune's: math, `~sub~` and `^sup^` that stay out of links, smart punctuation."""

import re

import mistune
from mistune.plugins.formatting import (
    SUBSCRIPT_PATTERN,
    SUPERSCRIPT_PATTERN,
    parse_mark,
    parse_strikethrough,
    parse_subscript,
    parse_superscript,
)
from mistune.plugins.math import INLINE_MATH_PATTERN

from .typography import smarten

# A script span never reaches into a link, a code span, an autolink, raw HTML or a URL: `[a/~u/](x.org/~u/)`.
SCRIPT_CROSSES = re.compile(r"[\[\]<>`]|://")


class QuireInlineParser(mistune.InlineParser):
    """mistune's inline parser; with `smart_punctuation` in the env, each run of text gets smart punctuation."""

    def __call__(self, s: str, env) -> list[dict]:
        tokens = super().__call__(s, env)
        if env.get("smart_punctuation"):
            smarten(tokens)
        return tokens


def parse_inline_math(inline, m, state) -> int:
    """Parse `$x$` and kramdown's in-paragraph `$$x$$`, both as inline math (display flag kept)."""
    display, backtick = m.group("display_math_text"), m.group("backtick_math_text")
    # An empty $``$ is math too: its text is "", which is no reason to read the other group.
    text = display if display is not None else backtick if backtick is not None else m.group("math_text")
    state.append_token({"type": "inline_math", "raw": text, "attrs": {"display": display is not None}})
    return m.end()


def inline_math(md) -> None:
    """Register inline math, read before code spans as mistune's math plugin does."""
    md.inline.register("inline_math", INLINE_MATH_PATTERN, parse_inline_math, before="codespan")


def _guarded(parse, marker: str):
    def parse_script(inline, m, state):
        inner = m.group(0)[1:-1]
        if SCRIPT_CROSSES.search(inner) or (marker == "~" and "/" in inner):
            return None  # `/~user/` is a path, not a subscript
        return parse(inline, m, state)
    return parse_script


def _crosses(inner: str) -> bool:
    """Tell text that starts or ends inside a link or a code span: unbalanced brackets, an odd backtick run."""
    inner = re.sub(r"\\.", "", inner)
    return inner.count("[") != inner.count("]") or len(re.findall(r"`+", inner)) % 2 == 1


def _guarded_pair(parse, marker: str):
    def parse_pair(inline, m, state):
        close = state.delimiters.find(marker, m.end(), formatting=True)
        if close is not None and _crosses(state.src[m.end():close]):
            return None  # `[a ~~b](c~~d)`: the second `~~` belongs to the link's address
        return parse(inline, m, state)
    return parse_pair


def kept_pairs(md) -> None:
    """Make `~~strike~~` and `==mark==` (where registered) never cross a link or a code span."""
    for name, parse, marker in (("strikethrough", parse_strikethrough, "~~"), ("mark", parse_mark, "==")):
        if name in md.inline.rules:
            md.inline.register(name, md.inline.specification[name], _guarded_pair(parse, marker))


def scripts(md) -> None:
    """Register `^sup^` and `~sub~` (pandoc's syntax) so that they never cross a link, code or a URL."""
    md.inline.register("superscript", SUPERSCRIPT_PATTERN, _guarded(parse_superscript, "^"), before="linebreak")
    md.inline.register("subscript", SUBSCRIPT_PATTERN, _guarded(parse_subscript, "~"), before="linebreak")
    if md.renderer:
        md.renderer.register("superscript", lambda renderer, text: "<sup>" + text + "</sup>")
        md.renderer.register("subscript", lambda renderer, text: "<sub>" + text + "</sub>")
