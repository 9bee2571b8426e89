"""`flask check` reads math and leftovers where Markdown has text: list items, not code; no HTML comments."""

from quire.check import leftover_findings, math_findings


def findings(text: str) -> list[str]:
    return [str(f) for f in math_findings("p.md", text) + leftover_findings("p.md", text)]


def test_multi_line_math_in_list_items_indented_four_spaces_is_checked_as_math():
    text = ("- Step one: $$\\begin{align*}\n    a &= b \\\\\n    c &= d\n    \\end{align*}$$\n- Next $x$.\n\n"
            "1. Outer\n    1. Inner: $$R = \\begin{cases}\n\t0 & x \\\\\n\t1 & y\n\t\\end{cases}\n\t$$\n    2. Done.\n")
    assert findings(text) == []


def test_math_in_list_items_is_still_checked():
    text = "1. Item:\n\n    $$\n    \\begin{align*} a &= b\n    $$\n\n2. Next: $\\frac{a}{b$ here.\n"
    assert findings(text) == ["p.md:3: error: \\begin{align*} without \\end{align*}",
                              "p.md:7: error: unbalanced braces in math: \\frac{a}{b"]


def test_indented_code_outside_lists_is_not_checked():
    assert findings("Text.\n\n    echo $HOME {: x}\n    $$\n\n- item\n\n      code $ in an item\n") == []


def test_kramdown_lines_inside_an_html_comment_are_not_reported():
    text = "Text.\n\n<!--\n{: .center}\n$ lone\n-->\n\nMore <!-- {:.y} --> here.\n"
    assert findings(text) == []


def test_a_kramdown_attribute_list_after_a_link_is_reported():
    text = 'Get [the data](/x.jpg){:target="_blank"} now; `{:in code}` is fine.\n'
    assert findings(text) == ["p.md:1: error: kramdown attribute list '{:target=\"_blank\"}' shows as literal text: "
                              "write the element in HTML with those attributes, or remove it"]
