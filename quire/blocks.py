"""Quire's block rules on top of mistune's: CommonMark's indented code, source order, math in lists."""

import re
import textwrap

import mistune
from mistune.util import expand_leading_tab

INDENT_TRIM = re.compile(r"^ {1,4}", re.MULTILINE)
# mistune's rule takes a whitespace-only line of 5+ spaces for code; CommonMark calls it blank.
INDENT_CODE = r"^(?: {4}| {0,3}\t)[^\n]*\S[^\n]*(?:\n|$)(?:(?:(?: {4}| {0,3}\t)[^\n]*(?:\n|$))|[ \t]*\n)*"
# Display math: `$$` alone on a line opens it; the closing `$$` may be indented like the TeX above it (a list
# item's text under a marker line), which mistune's rule does not allow.
BLOCK_MATH = (r"^ {0,3}\$\$(?P<math_text_single>[^\n]*?)\$\$[ \t]*(?:\n|$)|"
              r"^ {0,3}\$\$[ \t]*\n(?P<math_text_multi>[\s\S]*?)\n[ \t]*\$\$[ \t]*(?:\n|$)")


def is_indented_code_line(line: str) -> bool:
    """Tell a line that can start or continue indented code: 4+ columns of indent and some text."""
    return bool(line.strip()) and (line.startswith("    ") or line.lstrip(" ")[:1] == "\t" and
                                   len(line) - len(line.lstrip(" ")) < 4)


def indented_code_text(block: str) -> str:
    """Return the code of an indented code block: indent removed, blank lines at either end dropped."""
    lines = INDENT_TRIM.sub("", expand_leading_tab(block)).split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines) + "\n"


class QuireBlockParser(mistune.BlockParser):
    """mistune's block parser with CommonMark's indented code and blank lines, and source order kept."""

    SPECIFICATION = {**mistune.BlockParser.SPECIFICATION, "indent_code": INDENT_CODE}

    def parse_indent_code(self, m, state) -> int:
        end_pos = state.append_paragraph()
        if end_pos:
            return end_pos
        end_pos = _code_end(state.src, m.start(), state.cursor_max)
        state.append_token({"type": "block_code", "raw": indented_code_text(state.get_text(end_pos)),
                            "style": "indent"})
        return end_pos

    def _parse_indent_code_fast(self, state):
        # mistune's shortcut for the same rule, overridden so both read lines alike.
        line = state.get_text(state.find_line_end()).rstrip("\n")
        if not is_indented_code_line(line):
            return None
        if state.last_token() and state.last_token()["type"] == "paragraph":
            return state.append_paragraph()
        end_pos = _code_end(state.src, state.cursor, state.cursor_max)
        state.append_token({"type": "block_code", "raw": indented_code_text(state.get_text(end_pos)),
                            "style": "indent"})
        return end_pos

    def parse_block_quote(self, m, state) -> int:
        # mistune puts a quote before the *last* token when a block ends it, but that block (a list, then a
        # heading after it) may have left several tokens: remember where the quote belongs instead.
        index = len(state.tokens)
        text, end_pos, lazy_line_starts = self.extract_block_quote(m, state)
        child = state.child_state(text, lazy_line_starts=lazy_line_starts)
        rules = self.block_quote_rules
        if state.depth() >= self.max_nested_level - 1:
            rules = [rule for rule in rules if rule not in ("block_quote", "list")]
        self.parse(child, rules)
        state.tokens.insert(index, {"type": "block_quote", "children": child.tokens})
        return end_pos or state.cursor


def _code_end(src: str, start: int, end: int) -> int:
    """Return where indented code starting at `start` ends: before the blank lines that follow it."""
    pos = last = start
    while pos < end:
        newline = src.find("\n", pos, end)
        line_end = end if newline < 0 else newline + 1
        line = src[pos:line_end].rstrip("\n")
        if is_indented_code_line(line):
            last = line_end
        elif line.strip():
            break
        pos = line_end
    return last


def opens_inline_math(paragraph: str) -> bool:
    """Tell whether a paragraph so far leaves kramdown's in-text `$$...` open (an odd number of `$$`)."""
    return paragraph.replace("\\$", "").count("$$") % 2 == 1


def parse_block_math(block, m, state) -> int | None:
    """Read display math; TeX under an indented marker line loses the common indent, nothing else.

    A `$$` line that closes math opened in the paragraph above is that paragraph's text, not a new block."""
    last = state.last_token()
    if last and last["type"] == "paragraph" and opens_inline_math(last["text"]):
        return None
    text = m.group("math_text_single")
    if text is None:
        text = m.group("math_text_multi")
        closing = state.src[:m.end()].rstrip("\n").rsplit("\n", 1)[-1]
        if closing[:1] in (" ", "\t"):
            text = textwrap.dedent(text)
    state.append_token({"type": "block_math", "raw": text})
    return m.end()


def block_math(md) -> None:
    """Register display math for the document, lists and quotes (mistune's math plugin, closing relaxed)."""
    md.block.register("block_math", BLOCK_MATH, parse_block_math, before="list")
    md.block.insert_rule(md.block.block_quote_rules, "block_math", before="list")
    md.block.insert_rule(md.block.list_rules, "block_math", before="list")
