"""`flask check` on the TeX itself: braces and environments that do not pair, and how the formula is quoted."""

from quire.check import math_findings

from conftest import lone_dollar


def findings(text: str) -> list[str]:
    return [str(f) for f in math_findings("p.md", text)]


def test_a_closing_brace_before_its_opening_one_is_unbalanced():
    assert findings("Closing first $a}{b$ here.\n") == ["p.md:1: error: unbalanced braces in math: a}{b"]


def test_escaped_braces_are_no_braces():
    assert findings("Escaped $\\{a$ and $\\}$ fine.\n") == []


def test_an_end_without_its_begin_and_a_mismatched_pair_are_reported_once():
    assert findings("$$\n\\end{aligned}\n$$\n") == [
        "p.md:1: error: \\end{aligned} without a matching \\begin{aligned}"]
    assert findings("$$\n\\begin{a} x \\end{b}\n$$\n") == ["p.md:1: error: \\end{b} without a matching \\begin{b}"]


def test_a_formula_is_quoted_whole_up_to_60_characters_then_cut():
    whole = "{" + "x" * 59
    assert findings(f"${whole}$\n") == [f"p.md:1: error: unbalanced braces in math: {whole}"]
    assert findings(f"${whole}x$\n") == [f"p.md:1: error: unbalanced braces in math: {whole[:57]}..."]
    assert findings("$$\n\\frac{a}\n   {b\n$$\n") == ["p.md:1: error: unbalanced braces in math: \\frac{a} {b"]


def test_each_formula_of_a_paragraph_is_found_on_its_own_line_and_column():
    assert findings("First line.\nSecond $a}$ and $b}$ here.\nThird $lone.\n") == [
        "p.md:2: error: unbalanced braces in math: a}",
        "p.md:2: error: unbalanced braces in math: b}",
        lone_dollar(3, 7)]


def test_a_bar_warns_only_inside_math_in_a_table_row_and_escaped_dollars_are_no_math():
    assert findings("| $x$ | 1 |\n") == [] and findings("Costs \\$x here.\n") == []
    assert findings("  | $|x|$ | 1 |\n") == [
        "p.md:1: warning: a '|' inside math in a table row breaks the table: write \\vert instead"]


def test_math_and_escaped_dollars_before_a_lone_dollar_keep_its_column():
    assert findings("Sum $x$ and \\$ then $lone.\n") == [
        lone_dollar(1, 21)]


def test_an_escaped_dollar_opens_no_formula_and_a_lone_one_after_it_is_found():
    assert findings("Costs \\$5 then $lone.\n") == [
        lone_dollar(1, 16)]
    assert findings("Costs \\$5 then $x$ and \\\\$y}$.\n") == ["p.md:1: error: unbalanced braces in math: y}"]
    assert findings("A dollar in math $\\$5$ is fine.\n") == []
