"""Markdown rendering: every supported feature, math kept byte-exact, ids, TOC, figures, summaries."""

import pytest

from quire.markdown import render_markdown, slugify_heading, toc_html


def html(text: str) -> str:
    return render_markdown(text).html


@pytest.mark.parametrize("source, expected", [
    ("~~gone~~", "<del>gone</del>"),
    ("==marked==", "<mark>marked</mark>"),
    ("x^2^", "x<sup>2</sup>"),
    ("H~2~O", "H<sub>2</sub>O"),
    ("<https://example.org>", '<a href="https://example.org">https://example.org</a>'),
    ("see https://example.org/a now", '<a href="https://example.org/a">https://example.org/a</a>'),
    ("**b** *i* `code`", "<strong>b</strong> <em>i</em> <code>code</code>"),
    ("Term\n: Meaning", "<dl>\n<dt>Term</dt>\n<dd>Meaning</dd>\n</dl>"),
    ('<span style="color: red">raw</span>', '<span style="color: red">raw</span>'),
    ("&copy; 2024", "© 2024"),
])
def test_inline_and_block_features(source, expected):
    assert expected in html(source)


def test_tables_task_lists_footnotes_quotes():
    out = html("| a | b |\n|---|:-:|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n\nText[^n].\n\n[^n]: A note.\n\n"
               "> outer\n>\n> > inner\n")
    assert "<table>" in out and '<th style="text-align:center">b</th>' in out
    assert 'type="checkbox" disabled checked aria-label="Done"' in out
    assert 'aria-label="Not done"' in out
    assert 'href="#fn-1"' in out and '<li id="fn-1">' in out
    assert out.count("<blockquote>") == 2


def test_javascript_links_are_neutralised():
    assert html("[x](javascript:alert(1))") == '<p><a href="#harmful-link">x</a></p>\n'


class TestMath:
    """The math torture test: TeX reaches MathJax exactly as written."""

    def test_inline_math_is_not_markdown(self):
        out = html(r"Let $a_i * b_j = \{x_1, x_2\}$ and $c_k*d_k$ hold.")
        assert r"\(a_i * b_j = \{x_1, x_2\}\)" in out
        assert r"\(c_k*d_k\)" in out
        assert "<em>" not in out

    def test_empty_backtick_math_is_empty_math(self):
        # Found by the hostile-input fuzzer: `$$``````$` read the empty $``$ as no math at all and failed.
        assert html("$$``````$") == '<p>$<span class="math">\\(\\)</span></p>\n'
        assert html("a $``$ b") == '<p>a <span class="math">\\(\\)</span> b</p>\n'

    def test_inline_math_is_escaped_once(self):
        out = html(r"Order $a < b \& c > d$ here.")
        assert out == '<p>Order <span class="math">\\(a &lt; b \\&amp; c &gt; d\\)</span> here.</p>\n'

    def test_kramdown_inline_display_math_is_escaped_once(self):
        assert r'\(x<y \& z\)' not in html(r"so $$x<y \& z$$ holds")
        assert r'<span class="math">\(x&lt;y \&amp; z\)</span>' in html(r"so $$x<y \& z$$ holds")

    def test_display_math_keeps_backslashes_and_ampersands(self):
        tex = "\\begin{aligned}\na &= b \\\\\nc &= d_{*}\n\\end{aligned}"
        out = html(f"$$\n{tex}\n$$\n")
        assert out == '<div class="math display">\\[' + tex.replace("&", "&amp;") + "\\]</div>\n"

    def test_dollars_followed_by_digits_stay_text(self):
        out = html("It costs $5 and $10 today.")
        assert "math" not in out and "$5 and $10" in out

    def test_escaped_dollar_is_literal(self):
        r = render_markdown(r"Pay \$5 per hour.")
        assert "Pay $5 per hour." in r.html and not r.has_math

    def test_double_dollar_inside_paragraph_is_inline(self):
        out = html(r"where $$\theta_1$$ is the parameter")
        assert out == '<p>where <span class="math">\\(\\theta_1\\)</span> is the parameter</p>\n'

    def test_double_dollar_alone_is_display(self):
        assert html("$$x^2$$") == '<div class="math display">\\[x^2\\]</div>\n'

    def test_multiline_display_block_between_text(self):
        out = html("Text\n$$\nx\n$$\nmore")
        assert '<div class="math display">\\[x\\]</div>' in out and "<p>more</p>" in out

    def test_vert_in_table(self):
        out = html("| a | b |\n|---|---|\n| $\\vert x \\vert$ | 2 |")
        assert "<table>" in out and r"\(\vert x \vert\)" in out

    def test_display_math_in_list_and_quote(self):
        out = html("- item\n\n  $$\n  x_1\n  $$\n\n> $$\n> y_2\n> $$\n")
        assert '<li><p>item</p>\n<div class="math display">\\[x_1\\]</div>' in out
        assert '<blockquote>\n<div class="math display">\\[y_2\\]</div>' in out

    def test_math_in_heading_and_toc(self):
        r = render_markdown("# The $\\epsilon$-greedy rule\n\ntext")
        assert r.headings[0].id == "the-epsilon-greedy-rule"
        assert r.headings[0].text == "The \\epsilon-greedy rule"  # the TeX as typed, without its dollars
        assert '<span class="math">\\(\\epsilon\\)</span>' in toc_html(r.headings, 4)

    def test_raw_html_div_math_block(self):
        r = render_markdown("<div>\n$$\np(x) = \\int p(x, z) dz\n$$\n</div>\n")
        assert r.has_math
        assert r.html == '<div class="math display">$$\np(x) = \\int p(x, z) dz\n$$</div>\n'

    def test_inline_or_block_math_alone_sets_the_math_flag(self):
        assert render_markdown("Let $x$ be.").has_math
        assert render_markdown("- item\n\n  $$\n  x\n  $$\n").has_math

    def test_no_math_flag_without_math(self):
        assert not render_markdown("Plain text, `$x$` in code.").has_math

    def test_math_in_code_is_code(self):
        out = html("```\n$x_1$\n```")
        assert "math" not in out and "$x_1$" in out


class TestCode:
    def test_known_language_is_highlighted(self):
        out = html("```python\ndef f(x):\n    return x\n```")
        assert '<code class="language-python"><span class="k">def</span>' in out
        assert out.startswith('<div class="code-block"><pre class="highlight">')

    def test_unknown_language_falls_back_to_plain(self):
        out = html("```nosuchlang\n<a> & b\n```")
        assert '<code class="language-nosuchlang">&lt;a&gt; &amp; b\n</code>' in out

    def test_quotes_in_highlighted_code_are_escaped_so_nothing_reads_as_an_attribute(self):
        out = html('```markdown\n{{< audio src="/a.mp3" >}}\n```\n\n```python\nx = "s"\n```')
        assert 'src=&quot;/a.mp3&quot;' in out and 'src="' not in out
        assert '<span class="s2">&quot;s&quot;</span>' in out

    def test_no_language(self):
        assert '<pre class="highlight"><code>plain\n</code></pre>' in html("```\nplain\n```")


class TestHeadings:
    def test_github_style_ids_deduplicated(self):
        r = render_markdown("# VQ-VAE and VQ-VAE-2\n\n## Examples\n\n## Examples\n\n### Why? (really)")
        assert [h.id for h in r.headings] == ["vq-vae-and-vq-vae-2", "examples", "examples-1", "why-really"]
        assert '<a class="anchor" href="#examples-1"' in r.html
        assert [h.id for h in render_markdown("# A\n\n# A 1\n\n# A\n\n# A\n").headings] == ["a", "a-1", "a-2", "a-3"]

    def test_ids_from_the_text_as_typed_without_images_html_or_footnote_marks(self):
        r = render_markdown("# A ![img](i.png) B\n\n# A <b>B</b>\n\nC\nD\n===\n\n# Title[^1]\n\n## *Don't -- stop*\n\n"
                            "[^1]: n\n")
        assert [(h.id, h.text) for h in r.headings] == [
            ("a--b", "A  B"), ("a-b", "A B"), ("c-d", "C D"), ("title", "Title"), ("dont----stop", "Don't -- stop")]

    def test_slugify_keeps_unicode_letters(self):
        assert slugify_heading("Ünïcode Überblick") == "ünïcode-überblick"
        assert slugify_heading("!!!") == "section"

    def test_toc_nests_levels(self):
        r = render_markdown("# A\n\n## B\n\n### C\n\n# D\n\n##### Deep")
        toc = toc_html(r.headings, 4)
        assert toc == ('<ul><li><a href="#a">A</a><ul><li><a href="#b">B</a><ul><li><a href="#c">C</a>'
                       '</li></ul></li></ul></li><li><a href="#d">D</a></li></ul>')

    def test_toc_depth_includes_its_own_level_and_may_leave_nothing(self):
        assert toc_html(render_markdown("# A\n\n## B\n\n### C\n").headings, 2) == (
            '<ul><li><a href="#a">A</a><ul><li><a href="#b">B</a></li></ul></li></ul>')
        assert toc_html(render_markdown("##### Deep").headings, 4) == ""

    def test_toc_skips_links_inside_headings(self):
        r = render_markdown("# See [here](https://example.org)")
        assert toc_html(r.headings, 4) == '<ul><li><a href="#see-here">See here</a></li></ul>'
        assert '<a href="https://example.org">here</a>' in r.html


class TestFigures:
    def test_image_with_caption_line(self):
        out = html("![Alt](loss.svg)\n*The loss surface*")
        assert out.startswith('<figure id="figure-1"><img src="loss.svg" alt="Alt" loading="lazy"')
        assert '<figcaption><span class="figure-number">Fig. 1.</span> The loss surface</figcaption>' in out

    def test_caption_after_a_hard_line_break_with_math_in_it(self):
        out = html("![A](a.png)  \n*Loss $L$ falls*")
        assert out == ('<figure id="figure-1"><img src="a.png" alt="A" loading="lazy" decoding="async"><figcaption>'
                       '<span class="figure-number">Fig. 1.</span> Loss <span class="math">\\(L\\)</span> falls'
                       '</figcaption></figure>\n')

    def test_image_with_title_and_numbering(self):
        out = html("![A](a.png \"First\")\n\n![B](b.png)\n*Fig. 7. Already numbered*")
        assert "<span class=\"figure-number\">Fig. 1.</span> First" in out
        assert "<figcaption>Fig. 7. Already numbered</figcaption>" in out
        assert 'id="figure-2"' in out

    def test_no_figure_in_a_tight_list_item_nor_without_extensions(self):
        assert html('- ![A](a.png "T")\n- x\n') == ('<ul>\n<li><img src="a.png" alt="A" title="T" loading="lazy" '
                                                   'decoding="async"></li>\n<li>x</li>\n</ul>\n')
        assert render_markdown('![A](a.png "T")', extensions=False).html == (
            '<p><img src="a.png" alt="A" title="T" loading="lazy" decoding="async"></p>\n')

    def test_plain_image_is_lazy_not_figure(self):
        out = html("Look: ![x](x.png)")
        assert "<figure" not in out and 'loading="lazy"' in out

    def test_image_title_size_and_alt_text(self):
        asked = []

        def size(url):
            asked.append(url)
            return (3, 2)

        out = render_markdown('Look: ![a *b*](x.png "T") ![c](/abs.png) ![d](https://e.org/d.png) ![e](#frag) '
                              '![f](sub/y.png?v=1)', image_size=size).html
        assert asked == ["x.png", "sub/y.png?v=1"]  # only relative URLs are files of the post's bundle
        assert ('<p>Look: <img src="x.png" alt="a b" title="T" width="3" height="2" loading="lazy" decoding="async"> '
                '<img src="/abs.png" alt="c" loading="lazy" decoding="async"> ') in out
        assert '<img src="sub/y.png?v=1" alt="f" width="3" height="2" loading="lazy" decoding="async">' in out
        # In a figure the title is the caption, not a tooltip; an image inside the alt text gives its own alt.
        assert html('![A](a.png "First")') == ('<figure id="figure-1"><img src="a.png" alt="A" loading="lazy" '
                                              'decoding="async"><figcaption><span class="figure-number">Fig. 1.'
                                              '</span> First</figcaption></figure>\n')
        assert '<img src="a.png" alt="A inner" loading' in html("![A ![inner](i.png)](a.png)\n*Cap*")
        assert '<img src="a.png" alt="a $x$ $y$ i next" loading' in html("![a $x$ *$y$ ![i](i.png)*\nnext](a.png)")

    def test_image_size_from_callback(self):
        r = render_markdown("![x](x.png)", image_size=lambda url: (640, 480))
        assert 'width="640" height="480"' in r.html


class TestText:
    def test_plain_text_counts_math_and_code(self):
        r = render_markdown("# Title\n\nOne $x_1$ two.\n\n```\ncode here\n```")
        assert r.text.split() == ["Title", "One", "$x_1$", "two.", "code", "here"]
        assert "x_1" not in r.search_text and "One … two." in r.search_text

    def test_more_marker(self):
        r = render_markdown("First *para*.\n\n```\ncode\n```\n\n<!--more-->\n\nSecond.")
        assert r.lead_text == "First para." and r.has_more

    def test_a_task_list_item_ends_its_words(self):
        r = render_markdown("- [ ] task\n- [x] done\n\nNext para\n")
        assert r.text == r.search_text == r.lead_text == "task done Next para"  # not "taskdoneNext"

    def test_every_kind_of_text_in_order(self):
        r = render_markdown("# Head $h$\n\nOne $x$ two\\\nthree `code` <b>bold</b> four\nfive ![alt *e*](i.png) six."
                            "\n\n$$\ny\n$$\n\n```\nblock code\n```\n\n- item\n\n| c1 | c2 |\n|----|----|\n"
                            "| d1 | d2 |\n\n<div>html &lt;block&gt;</div>\n\n<!-- more -->\n\nAfter[^1].\n\n"
                            "[^1]: Note.\n")
        assert r.text == ("Head $h$ One $x$ two three code bold four five six. $$y$$ block code item c1 c2 d1 d2 "
                          "html <block> After.")  # footnotes are rendered apart from the text's tokens
        assert r.search_text == ("Head … One … two three code bold four five six. … block code item c1 c2 d1 d2 "
                                 "html <block> After.")
        assert r.lead_text == ("Head $h$ One $x$ two three code bold four five alt e six. $$y$$ item c1 c2 d1 d2 "
                               "html <block>")
        assert r.has_more

    def test_no_more_marker(self):
        r = render_markdown("Just text.\n\n```\n{{ code }}\n```\n\nMore $x$.")
        assert r.lead_text == "Just text. More $x$." and r.has_more is False

    def test_more_marker_inside_a_paragraph(self):
        r = render_markdown("First *one*. <!--more--> Rest.\n\nNext.")
        assert (r.lead_text, r.has_more, r.text) == ("First one.", True, "First one. Rest. Next.")


def test_quotes_in_highlighted_code_are_escaped_so_nothing_reads_them_as_attributes():
    from quire.markdown import render_markdown

    html = render_markdown('```markdown\n<audio src="/a.mp3" title=\'t\'></audio>\n```\n').html
    assert "&lt;audio src=&quot;/a.mp3&quot; title=&#39;t&#39;&gt;&lt;/audio&gt;" in html
    assert 'src="' not in html


def test_code_under_a_sub_path_is_not_rebased(builder, tmp_path):
    from quire import create_app
    from quire.freeze import freeze

    builder.post("code", body='```text\n<img src="/x.png">\n```\n\n```html\n<a href="/y/">y</a>\n```\n')
    freeze(create_app(builder.root, settings={"base_url": "https://example.org/blog/"}), tmp_path / "o", jobs=1)
    page = (tmp_path / "o" / "posts" / "code" / "index.html").read_text()
    assert "&lt;img src=&quot;/x.png&quot;&gt;" in page and "/blog/x.png" not in page
    assert "&quot;/y/&quot;" in page and "/blog/y/" not in page


class TestRealPostBugs:
    """Minimal inputs of bugs seen on real posts: nothing lost, moved or invented."""

    def test_subscript_never_reaches_into_a_link_destination(self):
        assert html("See [a/~u/](https://x.org/~u/) here.") == \
            '<p>See <a href="https://x.org/~u/">a/~u/</a> here.</p>\n'

    @pytest.mark.parametrize("source, expected", [
        ("<https://x.org/~a/~b>", '<a href="https://x.org/~a/~b">https://x.org/~a/~b</a>'),
        ("see https://x.org/~a/~b", '<a href="https://x.org/~a/~b">https://x.org/~a/~b</a>'),
        ("`~a/~b`", "<code>~a/~b</code>"),
        ("x~`a~`", "x~<code>a~</code>"),
        ("cs.x.edu/~hinton/~x", "cs.x.edu/~hinton/~x"),
        ("[a ~~b](c~~d)", '<a href="c~~d">a ~~b</a>'),
        ("H~2~O and [x~i~](https://x.org/)", 'H<sub>2</sub>O and <a href="https://x.org/">x<sub>i</sub></a>'),
    ])
    def test_scripts_stay_out_of_urls_and_code(self, source, expected):
        out = html(source)
        assert expected in out and ("<sub>" in expected) == ("<sub>" in out)

    def test_a_quote_interrupting_a_list_keeps_its_place(self):
        out = html("1. One.\n> Quote.\n2. Two.\n\n### H\n")
        assert out.index("One.") < out.index("<blockquote>") < out.index("Two.") < out.index("<h3")
        assert out.count("<blockquote>") == 1

    def test_a_line_of_spaces_after_a_heading_is_blank_not_code(self):
        assert html("### H\n     \nText.\n") == ('<h3 id="h">H<a class="anchor" href="#h" aria-label="Link to this '
                                               'section">#</a></h3>\n<p>Text.</p>\n')

    def test_display_math_opening_on_a_list_marker_line_is_display(self):
        out = html("1. Outer\n    - $$\n    \\begin{align*} a &= b \\end{align*}\n    $$\n")
        assert '<li><div class="math display">\\[\\begin{align*} a &amp;= b \\end{align*}\\]</div>' in out
        assert '<span class="math">' not in out

    def test_display_math_right_before_the_next_list_item_is_display(self):
        out = html("- Step:\n    $$\n    x^2\n    $$\n- Next.\n")
        assert '<li>Step:<div class="math display">\\[x^2\\]</div>\n</li>\n<li>Next.</li>' in out
        assert '<span class="math">' not in out

    def test_a_double_dollar_line_closing_in_text_math_is_not_a_new_block(self):
        out = html("Text $$a +\n$$\nmore.\n\n$$\nx\n$$\n")
        assert out == ('<p>Text <span class="math">\\(a +\n\\)</span>\nmore.</p>\n'
                       '<div class="math display">\\[x\\]</div>\n')


def test_urls_of_any_scheme_are_kept_scripts_are_not():
    out = html("[a](localhost:5001/x) <made-up://y> [b](java%2573cript:alert(1)) [c](data:text/html,x) "
               "![d](data:image/png;base64,AA==)")
    assert 'href="localhost:5001/x"' in out and 'href="made-up://y"' in out
    assert out.count("#harmful-link") == 2 and 'src="data:image/png;base64,AA=="' in out


def test_indentation_up_to_the_limit_renders_and_beyond_it_is_refused():
    from quire.markdown import MAX_INDENT, MarkdownTooDeep

    assert MAX_INDENT == 1000
    assert html("x\n" + " " * 1000 + "y\n") == "<p>x\ny</p>\n"
    with pytest.raises(MarkdownTooDeep) as info:
        render_markdown("x\n\nz\n" + " " * 1001 + "y\n")
    assert info.value.line == 4
    assert str(info.value) == "line 4 is indented more than 1000 columns: nest lists and quotes less deeply"
    with pytest.raises(MarkdownTooDeep) as info:
        render_markdown("\n" + " " * 1001 + "y\n")
    assert info.value.line == 2


def test_pygments_css_is_compact_light_then_dark_for_either_theme_switch():
    from quire.markdown import pygments_css

    css = pygments_css()
    lines = css.split("\n")
    media = lines.index("@media (prefers-color-scheme: dark) {")
    light = [line for line in lines[:media] if line.startswith(".highlight")]
    dark = [line for line in lines[:media] if line.startswith(":root[data-theme=dark] .highlight")]
    system = lines[media + 1:-2]
    assert lines[-2:] == ["}", ""]
    assert len(light) > 50 and len(dark) == len(system) > 50 and len(light) + len(dark) == media
    assert all(line.startswith(":root:not([data-theme=light]) .highlight") for line in system)
    assert light[0] == ".highlight .hll{background-color:#ffffcc}"
    assert ".highlight .k{color:#008000;font-weight:bold}" in light  # Pygments' default style
    assert ":root[data-theme=dark] .highlight .k{color:#FF7B72}" in dark  # github-dark
    assert ":root:not([data-theme=light]) .highlight .k{color:#FF7B72}" in system
    rules = "\n".join(light + dark + system)
    assert "/*" not in rules and " {" not in rules and "{ " not in rules and ": " not in rules


def test_script_urls_hidden_by_control_characters_or_three_encodings_are_neutralised():
    out = html("[a](java%09script:x) [b](%20javascript:x) [c](java%252573cript:x) [d](java%25252573cript:x)")
    assert out.count('href="#harmful-link"') == 3
    # Decoded three times at most: a fourth layer of %25 is no script to any browser, and stays as written.
    assert '<a href="java%25252573cript:x">d</a>' in out


def test_kramdown_display_math_alone_in_a_paragraph_or_tight_list_item_is_display():
    # `$$` opening and closing within text lines is inline math to the parser: alone, it is shown as display.
    r = render_markdown("Text.\n\n$$a +\nb$$\n")
    assert r.html == '<p>Text.</p>\n<div class="math display">\\[a +\nb\\]</div>\n' and r.has_math
    assert html("- $$a +\n  b$$\n") == '<ul>\n<li><div class="math display">\\[a +\nb\\]</div>\n</li>\n</ul>\n'


def test_raw_html_blocks_keep_their_text_and_flag_math_classes():
    r = render_markdown('<div class="math inline">x</div>')
    assert r.html == '<div class="math inline">x</div>\n' and r.has_math
    assert not render_markdown("<div>y</div>\n").has_math


def test_loose_task_list_items_put_the_box_inside_their_first_paragraph():
    assert html("- [x] a\n\n- [ ] b\n\n  c\n") == (
        '<ul>\n<li class="task-list-item"><p><input class="task-list-item-checkbox" type="checkbox" disabled checked '
        'aria-label="Done">a</p>\n</li>\n<li class="task-list-item"><p><input class="task-list-item-checkbox" '
        'type="checkbox" disabled aria-label="Not done">b</p>\n<p>c</p>\n</li>\n</ul>\n')


def test_an_image_or_display_math_with_text_beside_it_stays_inline():
    assert html('![A](a.png "T") and text\n') == ('<p><img src="a.png" alt="A" title="T" loading="lazy" '
                                                  'decoding="async"> and text</p>\n')
    assert html("$$a +\nb$$ more.\n") == '<p><span class="math">\\(a +\nb\\)</span> more.</p>\n'


def test_code_language_is_the_first_word_of_the_info_string_unescaped_then_escaped():
    assert '<code class="language-Python"><span class="n">x</span>' in html('```Python title="x" linenos\nx = 1\n```\n')
    assert html("Text.\n\n    indented <b>\n") == ('<p>Text.</p>\n<div class="code-block"><pre class="highlight"><code>'
                                                  'indented &lt;b&gt;\n</code></pre></div>\n')
    assert '<code class="language-a&quot;b">x\n</code>' in html("```a&quot;b\nx\n```\n")


def test_links_are_collected_in_order_outside_code():
    r = render_markdown('[a](/x) ![b](/y.png) <a HREF="/z?a&amp;b">z</a> <img src=\'/w.png\'> `<a href="/code">`\n\n'
                        '```\n<a href="/c2">\n```\n\n<p><a name="n" href="/p">x</a></p>\n')
    assert r.links == (("link", "/x"), ("image", "/y.png"), ("link", "/z?a&b"), ("image", "/w.png"), ("link", "/p"))


def test_without_extensions_only_commonmark_and_github_tables_strikethrough_and_task_lists():
    render_markdown("$x$")  # an instance with the extensions is idle now: it must not be lent out here
    r = render_markdown('$x$ ==m== H~2~O see https://e.org ![a](a.png "t") ~~d~~\n\n| a |\n|---|\n| 1 |\n\n- [x] t\n',
                        extensions=False)
    assert r.html.startswith('<p>$x$ ==m== H~2~O see https://e.org <img src="a.png" alt="a" title="t" loading="lazy" '
                             'decoding="async"> <del>d</del></p>\n<div class="table-wrap"><table>')
    assert 'type="checkbox" disabled checked aria-label="Done">t</li>' in r.html
    assert not r.has_math and r.figures == 0
    assert render_markdown("$x$").has_math


def test_smart_punctuation_is_on_unless_turned_off_for_posts_and_settings_text():
    from quire.markdown import render_inline_markdown

    assert html("\"Hi\" -- it's") == "<p>“Hi” – it’s</p>\n"
    assert render_inline_markdown('"Hi" *x*') == "<p>“Hi” <em>x</em></p>\n"
    assert render_inline_markdown('"Hi"', smart_punctuation=False) == "<p>&quot;Hi&quot;</p>\n"


def test_every_inline_rule_keeps_mistunes_fast_path_on():
    # A rule registered without start characters turns mistune's fast text scan off for every paragraph of
    # every post (a cold build once took twice as long for two such rules).
    from mistune.inline_parser import _KNOWN_RULE_START_CHARS

    from quire.markdown import _new_markdown

    for extensions in (True, False):
        inline = _new_markdown(extensions).inline
        unknown = [n for n in inline.rules if n not in inline._rule_start_chars and n not in _KNOWN_RULE_START_CHARS]
        assert inline.rules and unknown == []
        assert "[" in inline._get_fast_trigger_chars()


def test_tables_rules_and_line_breaks_are_written_as_quire_writes_them():
    assert html("| a |\n|---|\n| 1 |\n").endswith("</tbody>\n</table></div>\n")
    assert html("a\n\n---\n\nb\n") == "<p>a</p>\n<hr>\n<p>b</p>\n"
    assert html("a  \nb\n") == "<p>a<br>\nb</p>\n"


def test_html_ids_are_ids_and_anchor_names_in_either_quotes():
    from quire.markdown import html_ids

    assert html_ids('<h2 id="a">x</h2><a name=\'b\'></a><p class="c">') == {"a", "b"}


def test_without_extensions_a_fences_options_are_info_text_as_commonmark_says():
    r = render_markdown('```python {title="t.py", linenos=true}\nx = 1\n```\n', extensions=False)
    assert r.html.startswith('<div class="code-block"><pre class="highlight"><code class="language-python"><span')
    assert "t.py" not in r.html and r.warnings == ()
    assert '<div class="code-title">t.py</div>' in html('```python {title="t.py"}\nx = 1\n```\n')


def test_a_third_label_in_one_equation_gets_its_own_anchor_too():
    assert html("$$\na \\label{eq:a} \\\\ b \\label{eq:b} \\\\ c \\label{eq:c}\n$$\n").startswith(
        '<span class="equation-anchor" id="eq-b"></span><span class="equation-anchor" id="eq-c"></span>'
        '<div class="math display" id="eq-a">')


def test_code_in_a_heading_or_alt_text_is_part_of_its_text():
    r = render_markdown("## Calling `fit()` twice\n\n![the `x` axis](a.png)\n")
    assert r.headings[0].id == "calling-fit-twice" and r.headings[0].text == "Calling fit() twice"
    assert 'alt="the x axis"' in r.html


def test_a_figure_label_alone_gives_the_bare_number_and_text_after_it_keeps_the_image_inline():
    assert html("![A](a.png){#fig:a}\n") == (
        '<figure id="fig-a"><img src="a.png" alt="A" loading="lazy" decoding="async"><figcaption>'
        '<span class="figure-number">Fig. 1.</span></figcaption></figure>\n')
    assert html("![A](a.png){#fig:a} x\n") == ('<p><img src="a.png" alt="A" loading="lazy" decoding="async">'
                                             '{#fig:a} x</p>\n')
    assert html("![A](a.png){#fig:a} x *y*\n") == ('<p><img src="a.png" alt="A" loading="lazy" decoding="async">'
                                                   '{#fig:a} x <em>y</em></p>\n')


def test_raw_html_in_a_heading_and_a_hard_break_in_alt_text_count_as_their_text():
    r = render_markdown('## A <img alt="cat &amp; dog" src="c.png"> here\n\n![a\\\nb](x.png)\n')
    assert (r.headings[0].id, r.headings[0].text) == ("a-cat--dog-here", "A cat & dog here")
    assert '<img src="x.png" alt="a b"' in r.html


def test_white_space_left_after_an_image_does_not_undo_its_figure():
    assert html("![A](a.png)\t\n*Cap*\n") == (
        '<figure id="figure-1"><img src="a.png" alt="A" loading="lazy" decoding="async"><figcaption>'
        '<span class="figure-number">Fig. 1.</span> Cap</figcaption></figure>\n')


def test_the_math_flag_is_a_bool_either_way():
    assert render_markdown("Plain.\n").has_math is False and render_markdown("$x$\n").has_math is True
