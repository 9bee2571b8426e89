"""Smart punctuation: em and en dashes, curly quotes and an ellipsis in prose, never in code, math or URLs."""

import re

from mistune.util import escape_url

SPECIAL = re.compile(r"---|--|\.\.\.|[\"']")
REPLACEMENTS = {"---": "—", "--": "–", "...": "…"}
OPENERS = set(" \t\n([{<-–—/“‘")
# What a text token is next to: code, math and URLs read as a word; breaks as a space.
WORD_LIKE = {"codespan", "inline_math", "image", "footnote_ref"}


def smarten(tokens: list[dict]) -> None:
    """Rewrite the text tokens of one run of inline tokens in place; keep what was typed in "typed"."""
    pieces: list[tuple[dict | None, str]] = []
    _flatten(tokens, pieces)
    whole = "".join(text for _, text in pieces)
    if not SPECIAL.search(whole):
        return
    pos = 0
    for token, text in pieces:
        if token is not None:
            smart = _smart_text(whole, pos, pos + len(text))
            if smart != text:
                token["typed"], token["raw"] = text, smart
        pos += len(text)


def _flatten(tokens: list[dict], pieces: list[tuple[dict | None, str]]) -> None:
    """List text tokens with their text, and stand-ins for what sits between them."""
    for tok in tokens:
        kind = tok["type"]
        if kind == "text":
            pieces.append((tok, tok["raw"]))
        elif kind in ("softbreak", "linebreak"):
            pieces.append((None, " "))
        elif kind in WORD_LIKE or (kind == "link" and _shows_its_url(tok)):
            pieces.append((None, "x"))
        elif "children" in tok:
            _flatten(tok["children"], pieces)
        # inline HTML is transparent: `<em>"x"</em>` quotes x


def _shows_its_url(link: dict) -> bool:
    """Tell an autolink, or any link whose text is its own address: that text is a URL, left as typed."""
    children = link.get("children") or []
    if len(children) != 1 or children[0]["type"] != "text":
        return False
    text, url = children[0]["raw"], link["attrs"].get("url", "")
    first = text[:1]
    # Escaping leaves letters and digits as they are: most links ("this paper") are told apart without it.
    if first.isascii() and first.isalnum() and not url.startswith((first, "mailto:" + first)):
        return False
    return url in (text, escape_url(text), "mailto:" + text, escape_url("mailto:" + text))


def _smart_text(whole: str, start: int, end: int) -> str:
    """Return whole[start:end] with smart punctuation, reading quotes against the characters around them."""
    out, pos = [], start
    for m in SPECIAL.finditer(whole, start, end):
        out.append(whole[pos:m.start()])
        mark = m.group(0)
        if mark in "\"'":
            i = m.start()
            out.append(_quote(mark, whole[i - 1] if i else " ", whole[i + 1] if i + 1 < len(whole) else " "))
        else:
            out.append(REPLACEMENTS[mark])
        pos = m.end()
    out.append(whole[pos:end])
    return "".join(out)


def _quote(char: str, before: str, after: str) -> str:
    """Choose the curly form of a straight quote from its neighbours."""
    # After another quote it opens when a word follows: "'Hi,' she said" opens twice.
    opens = before in OPENERS or before.isspace() or (before in "\"'" and (after.isalnum() or after in "(["))
    if char == '"':
        if opens:
            return char if after.isspace() else "“"
        return "”"
    if opens and not after.isspace() and not after.isdigit():
        return "‘"
    if opens and after.isspace():
        return char
    return "’"  # an apostrophe (don't, '90s) or a closing quote
