"""Smart punctuation: dashes, curly quotes and ellipses in prose; code, math, URLs and raw HTML left as typed."""

import pytest

from quire import create_app
from quire.markdown import render_markdown


def html(text: str, smart: bool = True) -> str:
    return render_markdown(text, smart_punctuation=smart).html


@pytest.mark.parametrize("source, expected", [
    ("A---B", "A—B"),
    ("pages 3--5", "pages 3–5"),
    ('He said "yes".', "He said “yes”."),
    ("'single' quotes", "‘single’ quotes"),
    ("it's the '90s", "it’s the ’90s"),
    ("Wait...", "Wait…"),
    ('("quoted")', "(“quoted”)"),
    ('"*emphasis*"', "“<em>emphasis</em>”"),
    ("\"'Hi,' she said.\"", "“‘Hi,’ she said.”"),
    ("He said \"'yes'\".", "He said “‘yes’”."),
])
def test_prose_gets_typographic_punctuation(source, expected):
    assert html(source) == f"<p>{expected}</p>\n"


def test_code_math_urls_and_html_attributes_stay_as_typed():
    out = html('`a -- "b"` and $a--b "c"$ and https://x.org/a--b... and <https://x.org/--> and '
               '[https://x.org/--](https://x.org/--) and <span title="a--b \'c\'">"x"</span>\n\n'
               '```\n"a" -- b...\n```\n\n    "indented" -- code\n')
    assert '<code>a -- &quot;b&quot;</code>' in out
    assert '<span class="math">\\(a--b &quot;c&quot;\\)</span>' in out
    assert '<a href="https://x.org/a--b">https://x.org/a--b</a>…' in out
    assert '<a href="https://x.org/--">https://x.org/--</a> and <a href="https://x.org/--">https://x.org/--</a>' in out
    assert '<span title="a--b \'c\'">“x”</span>' in out
    assert "&quot;a&quot; -- b...\n</code>" in out and "&quot;indented&quot; -- code\n</code>" in out


def test_headings_keep_their_ids_and_toc_text_is_smart():
    r = render_markdown('# A -- B "c"\n')
    assert r.headings[0].id == "a----b-c" == render_markdown('# A -- B "c"\n', smart_punctuation=False).headings[0].id
    assert r.headings[0].html == "A – B “c”"


def test_off_leaves_punctuation_as_typed():
    assert html('"A" -- b...', smart=False) == "<p>&quot;A&quot; -- b...</p>\n"


def test_the_setting_reaches_posts_and_settings_text(builder, site_dir):
    builder.post("p", body='"Quoted" -- text...\n')
    on = create_app(site_dir, config={"TESTING": True}).test_client()
    assert "<p>“Quoted” – text…</p>" in on.get("/posts/p/").get_data(as_text=True)
    with open(site_dir / "site.toml", "a", encoding="utf-8") as f:
        f.write("smart_punctuation = false\n")
    off = create_app(site_dir, config={"TESTING": True}).test_client()
    assert "<p>&quot;Quoted&quot; -- text...</p>" in off.get("/posts/p/").get_data(as_text=True)
