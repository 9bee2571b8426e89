"""Cross-references in a post: `\\label` in display math, `\\eqref`/`\\ref` in prose, `{#fig:x}` and `[@fig:x]`."""

import html
import re

LABEL = re.compile(r"\\label\{([^{}]*)\}")
MATH_REF = re.compile(r"\\(?:eq)?ref\{([^{}]*)\}")
# In prose (outside math and code): `\eqref{eq:elbo}` and `\ref{eq:elbo}`, and `[@fig:pipeline]`.
PROSE_EQ_REF = r"\\(?P<xref_command>eqref|ref)\{(?P<xref_eq>[A-Za-z0-9_.:-]+)\}"
FIGURE_REF = r"\[@(?P<xref_fig>fig:[A-Za-z0-9_.:-]+)\]"
FIGURE_LABEL = re.compile(r"\A\{#(fig:[A-Za-z0-9_.:-]+)\}")
PLACEHOLDER = re.compile("\x00xref:([^\x00]*)\x00")
NOT_IN_ID = re.compile(r"[^A-Za-z0-9_-]+")


def anchor_id(label: str) -> str:
    """Turn a label into the id of its anchor: `eq:elbo` gives `eq-elbo` (static/quire.js mirrors this)."""
    return NOT_IN_ID.sub("-", label).strip("-")


def math_labels(tex: str) -> list[str]:
    """Return the labels a piece of TeX defines."""
    return LABEL.findall(tex)


def math_refs(tex: str) -> list[str]:
    """Return the labels a piece of TeX refers to."""
    return MATH_REF.findall(tex)


def parse_equation_ref(inline, m, state) -> int:
    state.append_token({"type": "xref", "raw": m.group(0),
                        "attrs": {"label": m.group("xref_eq"), "command": m.group("xref_command")}})
    return m.end()


def parse_figure_ref(inline, m, state) -> int:
    state.append_token({"type": "xref", "raw": m.group(0), "attrs": {"label": m.group("xref_fig"),
                                                                      "command": "figure"}})
    return m.end()


def render_xref(renderer, text: str, label: str, command: str) -> str:
    """Render a reference; figures get their number once the whole post is read (see resolve)."""
    if command == "figure":
        return f"\x00xref:{label}\x00"
    target = anchor_id(label)
    shown = f"({label})" if command == "eqref" else label
    # The number is MathJax's (AMS rules): static/quire.js puts it in once the equations are typeset.
    return (f'<a class="xref eqref" href="#{target}" data-label="{html.escape(label)}" '
            f'data-command="{command}">{html.escape(shown)}</a>')


def resolve(fragment: str, figures: dict[str, int]) -> str:
    """Put each figure's number into the references to it; an unknown label stays as it was typed."""
    def number(m: re.Match) -> str:
        label = m.group(1)
        if label not in figures:
            return html.escape(f"[@{label}]")
        return f'<a class="xref" href="#{anchor_id(label)}">Fig. {figures[label]}</a>'
    return PLACEHOLDER.sub(number, fragment) if "\x00" in fragment else fragment


def xrefs(md) -> None:
    """Register the reference syntax: `[@fig:x]` before links, `\\eqref{x}` before escapes."""
    # Start characters keep mistune's fast path on: without them every inline parse runs one large regex search.
    md.inline.register("figure_ref", FIGURE_REF, parse_figure_ref, before="link", start_chars="[")
    md.inline.register("equation_ref", PROSE_EQ_REF, parse_equation_ref, before="escape", start_chars="\\")
    if md.renderer:
        md.renderer.register("xref", render_xref)
