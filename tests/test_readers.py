"""Blocks for readers: callouts, code-block titles, line numbers and highlighted lines; what loads where."""

import re

import pytest

from quire import create_app
from quire.markdown import render_markdown
from quire.readers import parse_code_options


@pytest.mark.parametrize("kind, title", [("NOTE", "Note"), ("TIP", "Tip"), ("IMPORTANT", "Important"),
                                         ("WARNING", "Warning"), ("CAUTION", "Caution"), ("note", "Note")])
def test_github_alerts_become_callouts(kind, title):
    html = render_markdown(f"> [!{kind}]\n> Mind the *gap*.\n>\n> Second paragraph.\n").html
    assert html.startswith(f'<div class="callout callout-{kind.lower()}" role="note" aria-label="{title}">\n'
                           f'<p class="callout-title"><svg ')
    assert f"</svg>{title}</p>\n<p>Mind the <em>gap</em>.</p>\n<p>Second paragraph.</p>\n</div>" in html
    assert "[!" not in html and "<blockquote>" not in html


@pytest.mark.parametrize("text", [
    "> [!NOTE] on the same line\n",
    "> [!UNKNOWN]\n> Text.\n",
    "> Text first.\n> [!NOTE]\n",
    "> `[!NOTE]`\n",
    "[!NOTE]\n",
])
def test_other_quotes_stay_quotes(text):
    html = render_markdown(text).html
    assert "callout" not in html
    assert "[!" in html


def test_callouts_are_off_where_extensions_are():
    assert "<blockquote>" in render_markdown("> [!NOTE]\n> Text.\n", extensions=False).html


def test_callout_contents_keep_their_blocks():
    html = render_markdown("> [!WARNING]\n> - one\n> - two\n>\n> ```python\n> x = 1\n> ```\n").html
    assert re.search(r'callout-warning.*<ul>\n<li>one</li>.*<div class="code-block">.*</div>\n</div>', html, re.S)


def test_code_block_title_numbers_and_highlights():
    html = render_markdown('```python {title="train.py", linenos=true, hl_lines="2 4-5", linenostart=10}\n'
                           'a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n```\n').html
    assert html.startswith('<div class="code-block has-title"><div class="code-title">train.py</div>'
                           '<pre class="highlight linenos" style="counter-reset: line 9">'
                           '<code class="language-python"><span class="line">')
    lines = re.findall(r'<span class="line( hl)?">', html)
    assert [bool(mark) for mark in lines] == [False, True, False, True, True]
    # The numbers are CSS counters: the code's text is exactly the code.
    text = re.sub(r"<[^>]+>", "", html.split("<code", 1)[1].split(">", 1)[1].split("</code>")[0])
    assert text == "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n"


def test_plain_fences_are_unchanged():
    html = render_markdown("```python\nx = 1\n```\n").html
    assert html.startswith('<div class="code-block"><pre class="highlight"><code class="language-python">')
    assert 'class="line' not in html


def test_options_without_a_language_and_quotes_of_both_kinds():
    html = render_markdown("``` {title='a b.txt', linenos=table}\nplain < text\n```\n").html
    assert '<div class="code-title">a b.txt</div><pre class="highlight linenos"><code>' in html
    assert "plain &lt; text" in html


def test_a_title_is_escaped():
    html = render_markdown('```js {title="<img src=x onerror=alert(1)>"}\nx\n```\n').html
    assert '<div class="code-title">&lt;img src=x onerror=alert(1)&gt;</div>' in html


@pytest.mark.parametrize("options, needle, message", [
    ('foo=1', "foo=", "unknown code block option 'foo'"),
    ('hl_lines="3-x"', "hl_lines=", "hl_lines has '3-x'"),
    ('hl_lines="5-3"', "hl_lines=", "hl_lines has '5-3'"),
    ("linenostart=-4", "linenostart=", "linenostart='-4' is not a line number"),
    ("title=a, junk", "junk", "cannot read 'junk'"),
])
def test_options_quire_does_not_know_are_reported(options, needle, message):
    problems = parse_code_options(options).problems
    assert len(problems) == 1 and problems[0][0] == needle and message in problems[0][1]


def test_check_reports_unknown_options_with_their_line(builder, app):
    builder.post("2024-01-01-x", body="Text.\n\n```python {title=\"a.py\", colour=red}\nx\n```\n")
    output = app.test_cli_runner().invoke(args=["check"]).output
    assert ("posts/2024-01-01-x.md:7: warning: unknown code block option 'colour': Quire knows title, linenos, "
            "hl_lines, linenostart") in output


FULL = """\
# One

Text with a note[^1].

![A figure](http://example.org/a.png "Caption")

## Two

More.

[^1]: The note.
"""


def test_each_script_loads_only_where_it_is_used(site_dir, builder):
    builder.post("2024-01-01-full", title="Full", body=FULL)
    builder.post("2024-01-02-bare", title="Bare", body="Just text.\n")
    client = create_app(site_dir, config={"TESTING": True}).test_client()
    full = client.get("/posts/2024-01-01-full/").get_data(as_text=True)
    bare = client.get("/posts/2024-01-02-bare/").get_data(as_text=True)
    for script in ("toc.js", "sidenotes.js", "zoom.js"):
        assert f'<script src="/static/{script}" defer></script>' in full, script
        assert script not in bare, script
    assert full.count('<nav aria-label="Table of Contents">') == 2  # the collapsible one and the side one
    assert 'class="toc-side"' not in bare
    assert "toc.js" not in client.get("/").get_data(as_text=True)


def test_settings_turn_the_side_toc_and_sidenotes_off(site_dir, builder):
    (site_dir / "site.toml").write_text("toc_side = false\nsidenotes = false\n")
    builder.post("2024-01-01-full", title="Full", body=FULL)
    html = create_app(site_dir, config={"TESTING": True}).test_client().get("/posts/2024-01-01-full/").get_data(
        as_text=True)
    assert "toc-side" not in html and "toc.js" not in html and "sidenotes.js" not in html
    assert '<section class="footnotes">' in html and "zoom.js" in html
