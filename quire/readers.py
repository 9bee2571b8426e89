"""Blocks for readers of long posts: GitHub's callouts (`> [!NOTE]`) and Hugo's code-fence options."""

import html
import re
from dataclasses import dataclass

# The five alerts GitHub renders, each with a small icon of its own (24 px grid, drawn with strokes).
CALLOUTS = {
    "NOTE": ("Note", '<circle cx="12" cy="12" r="9"/><path d="M12 11v6M12 7.5v.5"/>'),
    "TIP": ("Tip", '<path d="M9 18h6M10 21h4M12 3a6 6 0 0 0-4 10.5c.8.8 1 1.5 1 2.5h6c0-1 .2-1.7 1-2.5A6 6 0 0 0 '
                   '12 3z"/>'),
    "IMPORTANT": ("Important", '<path d="M4 4h16v12H9l-5 4z"/><path d="M12 7v4M12 13.5v.5"/>'),
    "WARNING": ("Warning", '<path d="M12 3 2 20h20z"/><path d="M12 10v4M12 17v.5"/>'),
    "CAUTION": ("Caution", '<path d="M8 3h8l5 5v8l-5 5H8l-5-5V8z"/><path d="M12 8v5M12 16v.5"/>'),
}
CALLOUT_MARK = re.compile(r"\A\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\Z", re.IGNORECASE)
CODE_OPTIONS = re.compile(r"\{(?P<options>[^{}]*)\}\s*\Z")
CODE_OPTION = re.compile(r"""(?P<name>[A-Za-z_]\w*)\s*=\s*"""
                         r"""(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)'|(?P<bare>[^\s,"']+))""")
KNOWN_OPTIONS = ("title", "linenos", "hl_lines", "linenostart")
TRUE_WORDS = ("true", "table", "inline", "yes", "1")


def callout_kind(token: dict) -> str | None:
    """Return NOTE, TIP, ... when a block quote starts with GitHub's `[!NOTE]` line, else None."""
    children = token.get("children") or []
    if not children or children[0]["type"] != "paragraph":
        return None
    first = children[0].get("children") or []
    if not first or first[0]["type"] != "text":
        return None
    found = CALLOUT_MARK.match(first[0]["raw"].strip())
    if not found or (len(first) > 1 and first[1]["type"] not in ("softbreak", "linebreak")):
        return None
    return found.group(1).upper()


def strip_callout_mark(token: dict) -> list[dict]:
    """Return the quote's children without the `[!NOTE]` line (and without its paragraph when it held no more)."""
    children = list(token["children"])
    rest = children[0]["children"][2:]
    return ([{**children[0], "children": rest}] if rest else []) + children[1:]


def callout_html(kind: str, inner: str) -> str:
    """Wrap a callout's rendered body with its title and icon."""
    title, icon = CALLOUTS[kind]
    svg = (f'<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" '
           f'stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{icon}</svg>')
    return (f'<div class="callout callout-{kind.lower()}" role="note" aria-label="{title}">\n'
            f'<p class="callout-title">{svg}{title}</p>\n{inner}</div>\n')


@dataclass(frozen=True)
class CodeOptions:
    title: str = ""
    linenos: bool = False
    start: int = 1
    highlighted: frozenset[int] = frozenset()
    problems: tuple[tuple[str, str], ...] = ()  # (text to find the line by, message)

    @property
    def lines(self) -> bool:
        """Whether the lines need their own elements (numbers or highlights)."""
        return self.linenos or bool(self.highlighted)


def split_info(info: str) -> tuple[str, str]:
    """Split a fence's info string into its language and its `{...}` options (either may be empty)."""
    found = CODE_OPTIONS.search(info)
    if not found:
        return info.strip(), ""
    return info[:found.start()].strip(), found.group("options")


def parse_code_options(text: str) -> CodeOptions:
    """Read `title="train.py", linenos=true, hl_lines="3-5 8", linenostart=10`; report what is not understood."""
    values: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for found in CODE_OPTION.finditer(text):
        value = next(v for v in (found.group("double"), found.group("single"), found.group("bare")) if v is not None)
        values.setdefault(found.group("name"), value)
    rest = CODE_OPTION.sub("", text)
    if rest.replace(",", " ").strip():
        problems.append((rest.strip(" ,"), f"code block options {{{text}}}: cannot read {rest.strip(' ,')!r}; "
                                           f'write name=value pairs, such as '
                                           f'{{title="train.py", linenos=true, hl_lines="3-5"}}'))
    for name in values:
        if name not in KNOWN_OPTIONS:
            problems.append((name + "=", f"unknown code block option {name!r}: Quire knows {', '.join(KNOWN_OPTIONS)}"))
    start = values.get("linenostart", "1")
    if not start.isdigit() or not 0 <= int(start) < 1_000_000:
        problems.append(("linenostart=", f"code block option linenostart={start!r} is not a line number"))
        start = "1"
    highlighted: set[int] = set()
    for part in re.split(r"[\s,]+", values.get("hl_lines", "").strip("[] ")):
        bounds = part.split("-")
        if not part:
            continue
        if len(bounds) > 2 or not all(b.isdigit() for b in bounds) or int(bounds[0]) > int(bounds[-1]) or \
                int(bounds[-1]) - int(bounds[0]) > 100_000:
            problems.append(("hl_lines=", f"code block option hl_lines has {part!r}: write line numbers and ranges, "
                                          f'such as hl_lines="3-5 8"'))
            continue
        highlighted.update(range(int(bounds[0]), int(bounds[-1]) + 1))
    return CodeOptions(title=values.get("title", ""), linenos=values.get("linenos", "").lower() in TRUE_WORDS,
                       start=int(start), highlighted=frozenset(highlighted), problems=tuple(problems))


def code_block_html(body: str, language_class: str, options: CodeOptions) -> str:
    """Lay out a highlighted code block with its title, line numbers and highlighted lines (`hl_lines` count
    from the block's first line whatever `linenostart` says, as in Hugo)."""
    title = f'<div class="code-title">{html.escape(options.title)}</div>' if options.title else ""
    if options.lines:
        # Pygments closes its spans at each line end, so the lines can be split; numbers are CSS counters,
        # never text, so neither the copy button nor a selection takes them.
        lines = body.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        body = "".join(f'<span class="line{" hl" if n + 1 in options.highlighted else ""}">{line}\n</span>'
                       for n, line in enumerate(lines))
    pre_class = "highlight linenos" if options.linenos else "highlight"
    counter = f' style="counter-reset: line {options.start - 1}"' if options.linenos and options.start != 1 else ""
    return (f'<div class="code-block{" has-title" if title else ""}">{title}<pre class="{pre_class}"{counter}>'
            f'<code{language_class}>{body}</code></pre></div>\n')
