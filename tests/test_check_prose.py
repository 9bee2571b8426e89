"""`flask check` reads math and leftovers where Markdown has text: list items, not code; no HTML comments."""

from quire.check import leftover_findings, math_findings

from conftest import lone_dollar


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


def test_a_comment_keeps_the_lines_and_columns_of_what_follows_it():
    assert findings("<!--\nx\n-->\nBroken $\\frac{a}{b$ here.\n") == [
        "p.md:4: error: unbalanced braces in math: \\frac{a}{b"]
    assert findings("Text <!-- c --> and $x lone.\n") == [
        lone_dollar(1, 21)]


def test_an_indented_first_line_is_code():
    assert findings("    echo $HOME {: x}\n") == []


def test_a_comment_left_open_hides_the_rest_of_its_line():
    assert findings("Text. <!-- $lone <!-- {: .x}\n") == []


def test_a_tab_reaches_column_4_so_it_indents_code_outside_a_wide_list_item():
    assert findings("100. Item\n\n\t$x lone\n") == []
    assert findings("100. Item\n\n     $x lone\n") == [
        lone_dollar(3, 6)]


def test_only_a_fence_of_its_own_kind_indented_less_than_code_closes_a_fence():
    text = ("```\n$\nX```\n\u00a0```\n    ```\n```\nLone $x here.\n\n"
            "1. Item\n\n    ```\n    $\n    ```\n\n    Lone $y here.\n")
    assert findings(text) == [
        lone_dollar(7, 6),
        lone_dollar(15, 10)]


def test_lines_under_a_paragraph_line_are_its_text_not_code_nor_a_fence():
    assert findings("Text\n    more $x lone\n\nText\n    ```\nmore $y lone\n") == [
        lone_dollar(2, 10),
        lone_dollar(6, 6)]


def test_text_after_indented_code_is_read_again():
    assert findings("    code $\n\nLone $x\n") == [
        lone_dollar(3, 6)]


def test_a_line_indented_as_far_as_an_items_text_stays_in_the_item():
    assert findings("- a\n\n  b\n\n    Lone $x\n") == [
        lone_dollar(5, 10)]


def test_after_a_closed_fence_an_indented_line_is_code():
    assert findings("```\nx\n```\n    $x lone\n") == []


def test_list_items_reach_as_far_as_their_text_starts():
    assert findings("Text\n    - item\n\n      Lone $y\n") == []  # no item: the marker is paragraph text
    assert findings("-\n  a\n\n      Lone $x\n") == []  # an empty marker line: the text starts 2 further on
    assert findings("-   a\n\n      Lone $x\n") == [lone_dollar(3, 12)]
    assert findings("- a\n  - b\n\n  c\n\n    Lone $x\n") == [lone_dollar(6, 10)]


def test_display_math_in_a_quote_and_a_lone_dollar_before_it_are_found():
    assert findings("> $$\n> \\frac{a}{b\n> $$\n\nX $$\n") == [
        "p.md:1: error: unbalanced braces in math: > \\frac{a}{b",
        lone_dollar(5, 4)]
    assert findings("Lone $x\n$$\ny\n$$\n") == [
        lone_dollar(1, 6)]


def test_inline_code_before_a_lone_dollar_keeps_its_column():
    assert findings("`some code` then $x\n") == [
        lone_dollar(1, 18)]
