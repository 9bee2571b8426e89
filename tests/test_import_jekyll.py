"""The Jekyll importer: kramdown and Liquid constructs one by one, then the real Lil'Log posts end to end."""

import re
import textwrap
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import pytest

from quire import create_app
from quire.cli import import_group
from quire.importers.common import Report
from quire.importers.jekyll import Context, convert_body
from quire.markdown import render_markdown

from conftest import SITE_TOML, shared
from linkcheck import broken_links

LILLOG_POSTS = "corpus/jekyll-lillog/_posts"


def convert(text: str, root: Path = Path("/nonexistent")) -> tuple[str, Context]:
    """Convert a kramdown snippet as the body of a post named post.md."""
    ctx = Context("post.md", Report(), root, "", "posts/post/")
    return convert_body(textwrap.dedent(text).lstrip("\n"), ctx), ctx


def html(markdown: str) -> str:
    return render_markdown(markdown).html


def write_site(root: Path, files: dict[str, str]) -> Path:
    """Write a small Jekyll site (config, posts, pages) under root."""
    for rel, text in {"_config.yml": "baseurl: /blog\n", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def post(body: str, front: str = "title: A post\ndate: 2018-06-24 11:07:00\n") -> str:
    return "---\n" + front + "---\n" + textwrap.dedent(body).lstrip("\n")


# kramdown math


def test_inline_double_dollar_becomes_single_dollar_math():
    out, ctx = convert("Let $$x_i^2$$ be the loss and $$\\frac{a}{b}$$ its bound.\n")
    assert out.strip() == "Let $x_i^2$ be the loss and $\\frac{a}{b}$ its bound."
    assert html(out).count('<span class="math">') == 2
    assert ctx.math == 2


def test_double_dollar_block_is_display_math_with_the_tex_unchanged():
    tex = "\\begin{aligned}\nL &= \\sum_i \\| x_i \\|^2 \\\\\n&< \\infty\n\\end{aligned}"
    out, _ = convert(f"Text before.\n\n$$\n{tex}\n$$\n\nText after.\n")
    assert f"\n\n$$\n{tex}\n$$\n\n" in out
    rendered = html(out)
    assert rendered.count('class="math display"') == 1
    assert unescape(re.search(r"\\\[(.*?)\\\]", rendered, re.DOTALL).group(1)) == tex


def test_block_math_needs_blank_lines_around_it_else_kramdown_reads_it_inline():
    out, _ = convert("$$x = 1$$\nwhere x is one.\n")
    assert out.strip() == "$x = 1$\nwhere x is one."
    assert "math display" not in html(out)


def test_unsafe_inline_math_keeps_double_dollars():
    out, _ = convert("Costs $$x$$5 and $$a \\\\\nb$$ here.\n")
    assert "$$x$$5" in out  # `$x$5` would not close before a digit
    assert "$$a \\\\\nb$$" in out
    assert html(out).count('class="math') == 2


def test_lone_dollars_are_escaped_and_reported():
    out, ctx = convert("It costs $5, or $x$ in TeX.\n")
    assert "\\$5" in out and "\\$x\\$" in out
    assert 'class="math' not in html(out)
    assert any("not math in kramdown" in m for _, m in ctx.report.problems)


def test_dollars_in_code_are_left_alone():
    out, ctx = convert("Run `echo $$HOME$$` now.\n\n```bash\necho $$a$$\n```\n")
    assert "`echo $$HOME$$`" in out and "echo $$a$$\n```" in out
    assert ctx.math == 0


def test_display_math_inside_a_blockquote():
    out, _ = convert("> Given $$c$$:\n>\n> $$\n> f(x) = 1\n> $$\n>\n> Then.\n")
    assert "> $$\n> f(x) = 1\n> $$" in out
    assert html(out).count("math display") == 1


def test_display_math_opening_on_a_list_marker_stays_display():
    source = "1. Outer\n    - $$\n    \\begin{align*} a &= b \\end{align*}\n    $$\n"
    out, ctx = convert(source)
    assert out.strip() == source.strip() and ctx.math == 1
    rendered = html(out)
    assert '<li><div class="math display">\\[\\begin{align*} a &amp;= b \\end{align*}\\]</div>' in rendered
    assert '<span class="math">' not in rendered


def test_display_math_followed_directly_by_the_next_list_item_stays_display():
    out, ctx = convert("- First:\n\n  $$\n  x^2\n  $$\n- Next.\n")
    assert "  $$\nx^2\n  $$\n- Next." in out and ctx.math == 1
    rendered = html(out)
    assert '<div class="math display">\\[x^2\\]</div>\n</li>\n<li><p>Next.</p>' in rendered
    assert '<span class="math">' not in rendered


# Liquid


def test_liquid_urls_post_url_with_anchor_and_images():
    out, ctx = convert("""\
        See [part 1]({{ site.baseurl }}{% post_url 2017-07-08-part-1 %}#normalization).

        ![A plot]({{ '/assets/images/plot.png' | relative_url }})
        """)
    assert "[part 1](/posts/2017-07-08-part-1/#normalization)" in out
    assert "![A plot](plot.png)" in out
    assert ctx.files == {"plot.png": None}
    assert ctx.report.counts["images_missing"] == 1


def test_highlight_tags_become_fenced_code():
    out, _ = convert("{% highlight python linenos %}\nx = {'a': 1}\n{% endhighlight %}\n")
    assert out.strip() == "```python\nx = {'a': 1}\n```"


def test_raw_blocks_keep_liquid_text_and_unknown_tags_are_shown_as_code():
    out, ctx = convert("{% raw %}{{ page.title }}{% endraw %} and {% include box.html %}\n")
    assert out.strip() == "{{ page.title }} and `{% include box.html %}`"
    assert ctx.report.counts["unconverted"] == 1


# kramdown attribute lists, TOC, tables


def test_image_with_attributes_and_caption_becomes_an_html_figure():
    out, ctx = convert("""\
        ![shiba]({{ '/assets/images/shiba.png' | relative_url }})
        {: style="width: 80%;" class="center"}
        *Fig. 1. A dog and $$\\alpha$$.*
        {:.image-caption}
        """)
    assert out.strip().startswith('<figure class="center"><img src="shiba.png" alt="shiba" style="width: 80%;">')
    assert '<figcaption>Fig. 1. A dog and <span class="math">\\(\\alpha\\)</span>.</figcaption>' in out
    assert "{:" not in out and ctx.figures == 1
    assert html(out).count("<figure") == 1


def test_image_attributes_and_caption_after_a_br_line_make_a_figure():
    out, ctx = convert("""\
        ![A net](/x/net.png)
        {: style="width: 60%;" class="center"}
        <br />
        *Fig. 3. The net.*
        """)
    assert out.strip() == ('<figure class="center"><img src="/x/net.png" alt="A net" style="width: 60%;">'
                           '<figcaption>Fig. 3. The net.</figcaption></figure>')
    assert ctx.figures == 1


def test_link_attributes_with_an_html_meaning_are_applied_the_others_reported():
    out, ctx = convert('Get [the *data*](/x/d.zip){:target="_blank"} or [that](https://x.org "T")'
                       '{: .btn #dl rel="nofollow" data-x="1"}.\n')
    assert out.strip() == ('Get <a href="/x/d.zip" target="_blank">the *data*</a> or <a href="https://x.org" '
                           'title="T" rel="nofollow" id="dl" class="btn">that</a>.')
    assert '<a href="/x/d.zip" target="_blank">the <em>data</em></a>' in html(out)
    assert [m for _, m in ctx.report.problems] == [
        'link attribute(s) data-x in {: .btn #dl rel="nofollow" data-x="1"} have no HTML meaning; dropped']


def test_plain_image_with_italic_caption_stays_markdown():
    out, _ = convert("![A cat](/x/cat.png)\n{: class=\"center\"}\n*Fig. 2. A cat.*\n")
    assert out.strip() == "![A cat](/x/cat.png)\n*Fig. 2. A cat.*"
    assert "<figcaption>" in html(out)


def test_table_attribute_list_wraps_the_table_in_a_div():
    out, _ = convert("""\
        {: class="info"}
        | Symbol | Meaning |
        | ------ | ------- |
        | $$\\gamma$$ | Discount |
        """)
    rendered = html(out)
    assert '<div class="info">' in rendered and "<table>" in rendered
    assert '<span class="math">\\(\\gamma\\)</span>' in rendered


def test_kramdown_table_with_leading_separator_gets_one_header_row():
    out, _ = convert("""\
        | --- | --- |
        | `a` | b |
        | --- | --- |
        | 1 | 2 |
        {: .info}
        """)
    rendered = html(out)
    assert "<th><code>a</code></th>" in rendered and "<td>1</td>" in rendered


def test_toc_marker_is_removed_and_toc_turned_on():
    out, ctx = convert('{: class="table-of-content"}\n* TOC\n{:toc}\n\n## One\n')
    assert out.strip() == "## One"
    assert ctx.toc


def test_id_attribute_lists_keep_their_anchor():
    out, ctx = convert("## Results\n{: #results-2019}\n\nText.\n")
    assert out.startswith('<a id="results-2019"></a>\n\n## Results')
    assert not ctx.report.problems


def test_other_attribute_lists_are_dropped_with_a_warning():
    out, ctx = convert("Some text.\n{: style=\"color: red\"}\n")
    assert out.strip() == "Some text."
    assert "has no Quire equivalent; dropped" in ctx.report.problems[0][1]


def test_empty_links_used_as_anchors_become_ids():
    out, _ = convert('<a href="#tcn" />**TCN** is a model.\n')
    assert out.strip() == '<a id="tcn"></a>**TCN** is a model.'


# Whole sites through the command


def test_front_matter_aliases_and_page(tmp_path, site_dir, runner):
    src = write_site(tmp_path / "src", {
        "_posts/2018-06-25-attention.md": post("Text.\n", "layout: post\ncomments: true\ntitle: Attention\n"
                                                         "date: 2018-06-24 11:07:00\ntags: nlp attention\n"
                                                         "redirect_from: /att/\n"),
        "FAQ.html": "---\nlayout: default\n---\n<div class='faq'>\n\n\t<h1>Questions</h1>\n\t<p>Ask.</p>\n</div>\n",
    })
    result = runner.invoke(import_group, ["jekyll", str(src)])
    assert result.exit_code == 0, result.output
    text = (site_dir / "posts" / "2018-06-25-attention.md").read_text()
    assert "layout" not in text and "comments" not in text
    assert "tags:\n- nlp\n- attention\n" in text
    assert "- /blog/2018/06/24/attention.html\n- /blog/att/\n" in text  # the front matter's date wins
    assert "toc: false" in text
    page = (site_dir / "pages" / "faq.md").read_text()
    assert "title: Questions" in page and "<div class='faq'>\n<p>Ask.</p>\n</div>" in page
    assert "Imported: 1 posts, 1 pages" in result.output


def test_images_are_copied_into_the_bundle_or_reported_once(tmp_path, site_dir, runner):
    src = write_site(tmp_path / "src", {"_posts/2020-01-01-pics.md": post(
        "![a]({{ '/assets/images/a.png' | relative_url }})\n\n"
        "![b](/assets/images/b.png) ![b](/assets/images/b.png)\n")})
    (src / "assets" / "images").mkdir(parents=True)
    (src / "assets" / "images" / "a.png").write_bytes(b"\x89PNG fake")
    result = runner.invoke(import_group, ["jekyll", str(src)])
    bundle = site_dir / "posts" / "2020-01-01-pics"
    assert (bundle / "index.md").is_file() and (bundle / "a.png").read_bytes() == b"\x89PNG fake"
    assert result.output.count("/assets/images/b.png is not in the source") == 1
    assert "1 images missing" in result.output


def test_cross_links_repair_anchors_and_report_missing_ones(tmp_path, site_dir, runner):
    src = write_site(tmp_path / "src", {
        "_posts/2018-01-01-target.md": post("## Kullback–Leibler Divergence\n\nText.\n"),
        "_posts/2018-02-01-source.md": post(
            "[KL]({% post_url 2018-01-01-target %}#kullbackleibler-divergence), "
            "[gone]({% post_url 2018-01-01-target %}#no-such-section), "
            "[other]({% post_url 2017-01-01-elsewhere %}).\n"),
    })
    result = runner.invoke(import_group, ["jekyll", str(src)])
    text = (site_dir / "posts" / "2018-02-01-source.md").read_text()
    assert "(/posts/2018-01-01-target/#kullbackleibler-divergence)" in text
    assert "[gone](/posts/2018-01-01-target/)" in text
    assert "anchor #no-such-section does not exist" in result.output
    assert "a post that is not in this import" in result.output


def test_dry_run_writes_nothing_and_existing_files_need_force(tmp_path, site_dir, runner):
    src = write_site(tmp_path / "src", {"_posts/2019-03-14-a.md": post("New text.\n")})
    dry = runner.invoke(import_group, ["jekyll", str(src), "--dry-run"])
    assert "would write posts/2019-03-14-a.md" in dry.output and not (site_dir / "posts" / "2019-03-14-a.md").exists()
    (site_dir / "posts" / "2019-03-14-a.md").write_text("mine", encoding="utf-8")
    kept = runner.invoke(import_group, ["jekyll", str(src)])
    assert "already exists" in kept.output and (site_dir / "posts" / "2019-03-14-a.md").read_text() == "mine"
    forced = runner.invoke(import_group, ["jekyll", str(src), "--force"])
    assert "replaced posts/2019-03-14-a.md" in forced.output
    assert "New text." in (site_dir / "posts" / "2019-03-14-a.md").read_text()


# The old site's address, and source problems no importer can fix


def test_site_url_links_missing_images_and_posts_at_their_old_addresses(tmp_path, site_dir, runner):
    src = write_site(tmp_path / "src", {"_posts/2017-07-22-part-2.md": post("""\
        See [part 1]({{ site.baseurl }}{% post_url 2017-07-08-part-1 %}#normalization).

        ![A plot]({{ '/assets/images/plot.png' | relative_url }})
        {: class="center"}
        """)})
    result = runner.invoke(import_group, ["jekyll", str(src), "--site-url", "https://old.example.org/"])
    assert result.exit_code == 0, result.output
    text = (site_dir / "posts" / "2017-07-22-part-2.md").read_text()  # no files to copy: no bundle
    assert "[part 1](https://old.example.org/blog/2017/07/08/part-1.html#normalization)" in text
    assert "![A plot](https://old.example.org/blog/assets/images/plot.png)" in text
    assert "/assets/images/plot.png is not in the source: linked at its old address" in result.output
    assert "2017-07-08-part-1, a post that is not in this import: linked at its old address" in result.output
    assert ("0 cross-links converted, 1 links at their old address, 1 images at their old address, "
            "0 images missing") in result.output


def test_without_site_url_missing_things_stay_local_and_are_reported(tmp_path, site_dir, runner):
    src = write_site(tmp_path / "src", {"_posts/2017-07-22-part-2.md": post(
        "[part 1]({% post_url 2017-07-08-part-1 %}) ![A plot](/assets/images/plot.png)\n")})
    result = runner.invoke(import_group, ["jekyll", str(src)])
    text = (site_dir / "posts" / "2017-07-22-part-2" / "index.md").read_text()
    assert "[part 1](/posts/2017-07-08-part-1/) ![A plot](plot.png)" in text
    assert "(with --site-url it is linked at its old address)" in result.output
    assert "1 links to posts not imported, 1 images missing" in result.output


def test_site_url_must_be_an_address(tmp_path, site_dir, runner):
    src = write_site(tmp_path / "src", {"_posts/2020-01-01-a.md": post("Text.\n")})
    result = runner.invoke(import_group, ["jekyll", str(src), "--site-url", "old.example.org"])
    assert result.exit_code == 2 and "full address" in result.output


SOURCE_PROBLEMS = {
    "_posts/2018-06-24-problems.md": post("""\
        Hosted by [Affirm](www.affirm.com), see [ResNet](TBA), [the section](#no-such-section), the
        [FAQ](../../../FAQ.html) and [the end](#the-end). In code: `[kept](TBA)`.

        ```md
        [kept in code](TBA)
        ```

        ## The End
        """),
    "FAQ.html": "---\nlayout: default\n---\n<h1>Questions</h1>\n<p>Please <a href=\"contact.html\" "
                "target=\"_blank\">email</a> me.</p>\n",
}


def test_source_problems_leave_no_broken_link_and_are_reported(tmp_path, site_dir, runner):
    src = write_site(tmp_path / "src", SOURCE_PROBLEMS)
    result = runner.invoke(import_group, ["jekyll", str(src)])
    text = (site_dir / "posts" / "2018-06-24-problems.md").read_text()
    assert "[Affirm](https://www.affirm.com)" in text
    assert "see ResNet, the section, the\n[FAQ](/faq/) and [the end](#the-end)." in text
    assert "[kept in code](TBA)" in text and "In code: `[kept](TBA)`." in text
    assert "<p>Please email me.</p>" in (site_dir / "pages" / "faq.md").read_text()
    output = result.output
    assert "link www.affirm.com has no scheme" in output and "written as https://www.affirm.com" in output
    assert "relative link TBA leads to no page in this import" in output
    assert "relative link contact.html leads to no page in this import" in output
    assert "in-page link #no-such-section has no heading or id to point to: left unconverted" in output
    assert "1 links repaired, 3 items left unconverted" in output
    check = runner.invoke(args=["check"])
    assert check.exit_code == 0 and check.output.strip().splitlines()[-1] == "No problems found.", check.output


def test_with_site_url_a_relative_link_naming_a_file_points_at_the_old_site(tmp_path, site_dir, runner):
    src = write_site(tmp_path / "src", SOURCE_PROBLEMS)
    result = runner.invoke(import_group, ["jekyll", str(src), "--site-url", "https://old.example.org"])
    page = (site_dir / "pages" / "faq.md").read_text()
    assert '<a href="https://old.example.org/blog/contact.html" target="_blank">email</a>' in page
    assert "relative link TBA names neither a page of this import nor a file: left unconverted" in result.output
    assert "1 links at their old address" in result.output and "2 items left unconverted" in result.output
    assert runner.invoke(args=["check"]).exit_code == 0


def test_scheme_less_addresses_and_preview_server_links_are_repaired(tmp_path, site_dir, runner):
    src = write_site(tmp_path / "src", {
        "_posts/2018-04-08-policy.md": post("## SAC\n\nText.\n", "title: Policy\ndate: 2018-04-08 00:15:06\n"),
        "_posts/2019-01-01-links.md": post("""\
            See [the tutorial](tensorflow.org/tutorials/recurrent), [SAC](http://127.0.0.1:4000/blog/2018/04/07/policy.html#sac),
            [the post](http://localhost:4000/blog/2018/04/08/policy.html) and [an old one](http://localhost:4000/blog/2017/01/01/gone.html#x).
            """),
    })
    result = runner.invoke(import_group, ["jekyll", str(src), "--site-url", "https://old.example.org"])
    text = (site_dir / "posts" / "2019-01-01-links.md").read_text()
    assert ("See [the tutorial](https://tensorflow.org/tutorials/recurrent), [SAC](/posts/2018-04-08-policy/#sac),\n"
            "[the post](/posts/2018-04-08-policy/) and [an old one](https://old.example.org/blog/2017/01/01/gone.html#x)."
            in text)
    assert "written as https://tensorflow.org/tutorials/recurrent" in result.output
    assert ("link http://127.0.0.1:4000/blog/2018/04/07/policy.html#sac is to the author's preview server: written "
            "as /posts/2018-04-08-policy/#sac") in result.output
    assert "linked at its old address https://old.example.org/blog/2017/01/01/gone.html#x" in result.output
    assert "1 links repaired, 0 items left unconverted" in result.output
    assert runner.invoke(args=["check"]).exit_code == 0


def test_a_link_markdown_cannot_read_is_reported_as_left_as_typed(tmp_path, site_dir, runner):
    src = write_site(tmp_path / "src", {"_posts/2019-01-01-a.md": post("See [ResNet](TBA soon).\n")})
    result = runner.invoke(import_group, ["jekyll", str(src)])
    assert (site_dir / "posts" / "2019-01-01-a.md").read_text().endswith("See [ResNet](TBA soon).\n")
    assert "the link dropped" not in result.output
    assert ("relative link TBA leads to no page in this import (with --site-url, a link naming a file points at the "
            "old site), in a link Markdown does not read as one (it shows as typed): left as it is, fix it by hand"
            in result.output)


# Proof on the real Lil'Log posts: import with the old address, check, freeze

SITE_URL = "https://lilianweng.github.io"
OLD_BASE = SITE_URL + "/lil-log"
BASE_URL = "https://blog.example.org/"


def kramdown_math(text: str) -> int:
    """Count math the way kramdown does: display blocks, then `$$…$$` pairs within each paragraph."""
    body = text.split("\n---", 1)[1]
    body = re.sub(r"^\s*(```|~~~).*?^\s*\1", "", body, flags=re.DOTALL | re.MULTILINE)
    body = re.sub(r"\{% highlight.*?\{% endhighlight %\}|<!--.*?-->|<table.*?</table>", "", body, flags=re.DOTALL)
    display = re.compile(r"(?:\A|\n[ \t]*\n)[ \t>]*\$\$(?:(?!\$\$).)*\$\$[ \t]*(?=\n[ \t]*\n|\s*\Z)", re.DOTALL)
    count = len(display.findall(body))
    body = display.sub("\n\n", body)
    for paragraph in re.split(r"\n[ \t>]*\n", body):
        count += len(re.findall(r"\$\$(.*?)\$\$", re.sub(r"`[^`\n]*`", "", paragraph), re.DOTALL))
    return count


def article(page: str) -> str:
    return page[page.index("<article"):page.index("</article>")]


def visible_text(fragment: str) -> str:
    """The text a reader sees: no tags, scripts, styles, code or typeset math."""
    fragment = re.sub(r"<(script|style|pre|code)\b.*?</\1>", "", fragment, flags=re.DOTALL)
    fragment = re.sub(r'<span class="math[^"]*">.*?</span>|<div class="math display">.*?</div>', "", fragment,
                      flags=re.DOTALL)
    return unescape(re.sub(r"<[^>]+>", "", fragment))


def leftover_syntax(folder: Path) -> list[tuple[str, str]]:
    """Find Liquid, kramdown and shortcode syntax a reader would see on any frozen page."""
    found = []
    for page in sorted(folder.rglob("*.html")):
        text = visible_text(page.read_text(encoding="utf-8"))
        found += [(page.relative_to(folder).as_posix(), m) for m in re.findall(r".{0,30}(?:\{\{|\{%|\{:).{0,30}", text)]
    return found


def frozen_post(dest: Path, slug: str) -> str:
    return article((dest / "posts" / slug / "index.html").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lillog(tmp_path_factory):
    """Import the Lil'Log posts with their old address into a fresh site, check it and freeze it, once."""
    lillog_dir = shared(LILLOG_POSTS).parent
    site = tmp_path_factory.mktemp("lillog")
    (site / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    app = create_app(site, config={"TESTING": True})
    runner = app.test_cli_runner()
    result = runner.invoke(import_group, ["jekyll", str(lillog_dir), "--site-url", SITE_URL])
    assert result.exit_code == 0, result.output
    app = create_app(site, config={"TESTING": True})  # a fresh app reads the imported site
    check = app.test_cli_runner().invoke(args=["check"])
    dest = site.parent / (site.name + "-frozen")
    freeze = app.test_cli_runner().invoke(args=["freeze", "--dest", str(dest)])
    assert freeze.exit_code == 0, freeze.output
    return app, result.output, check, dest


def sources() -> list[Path]:
    return sorted(shared(LILLOG_POSTS).glob("*.md"))


def test_lillog_every_post_imports_and_answers(lillog):
    app, output, _, _ = lillog
    assert len(sources()) == 19
    assert "Imported: 19 posts, 1 pages" in output and "0 images missing" in output
    client = app.test_client()
    for source in sources():
        assert client.get(f"/posts/{source.stem}/").status_code == 200, source.name
    assert client.get("/faq/").status_code == 200


def test_lillog_check_reports_no_errors(lillog):
    check = lillog[2]
    assert check.exit_code == 0, check.output
    assert ": error:" not in check.output
    assert re.fullmatch(r"No problems found\.|0 errors, \d+ warnings? in \d+ files?",
                        check.output.strip().splitlines()[-1]), check.output


def test_lillog_frozen_site_has_no_broken_internal_links(lillog):
    dest = lillog[3]
    assert len(list(dest.rglob("*.html"))) > 50
    assert broken_links(dest, BASE_URL) == []


def test_lillog_math_count_matches_kramdown(lillog):
    dest = lillog[3]
    for source in sources():
        expected = kramdown_math(source.read_text(encoding="utf-8"))
        assert frozen_post(dest, source.stem).count('class="math') == expected, source.name


def test_lillog_no_liquid_or_kramdown_syntax_is_visible(lillog):
    assert leftover_syntax(lillog[3]) == []


def test_lillog_cross_post_anchors_exist(lillog):
    dest = lillog[3]
    pages, links = {}, []
    for source in sources():
        page = frozen_post(dest, source.stem)
        pages[source.stem] = set(re.findall(r"""\bid=["']([^"']+)["']""", page))
        links += re.findall(r'href="/posts/([^/"]+)/#([^"]+)"', page)
    assert len(links) > 20
    for slug, anchor in links:
        assert slug in pages and unquote(unescape(anchor)) in pages[slug], (slug, anchor)


def test_lillog_things_outside_the_corpus_point_at_the_old_site(lillog):
    dest, output = lillog[3], lillog[1]
    imported = {p.stem for p in sources()}
    old_posts, images = set(), set()
    for source in sources():
        page = frozen_post(dest, source.stem)
        assert not set(re.findall(r'href="/posts/([^/"]+)/', page)) - imported, source.name
        old_posts |= set(re.findall(r'href="' + re.escape(OLD_BASE) + r"/(\d{4})/(\d{2})/(\d{2})/([^/\"#]+)\.html",
                                    page))
        images |= set(re.findall(r'src="' + re.escape(OLD_BASE) + r'/assets/images/([^"]+)"', page))
    # Every post linked at its old address is one of Lil'Log's posts that the corpus does not hold.
    assert old_posts and not {f"{y}-{m}-{d}-{slug}" for y, m, d, slug in old_posts} & imported
    assert len(images) > 250 and not re.search(r'src="[^":]*\.(?:png|jpe?g|gif)"', output)
    assert "linked at its old address" in output


def test_lillog_source_problems_are_reported_and_left_unlinked(lillog):
    output = lillog[1]
    unconverted = [line for line in output.splitlines() if ": warning: " in line and
                   ("left unconverted" in line or "points at the post itself" in line)]
    assert len(unconverted) == 3, unconverted
    assert "Imported: " in output and "3 items left unconverted" in output and "1 links repaired" in output
    assert "relative link TBA names neither a page of this import nor a file" in output
    assert "written as https://www.affirm.com" in output
    assert "FAQ.html: warning: relative link contact.html is not in this import: linked at its old address " \
           f"{OLD_BASE}/contact.html" in output


def test_lillog_old_urls_redirect_to_the_posts(lillog):
    client = lillog[0].test_client()
    for source in sources():
        front = source.read_text(encoding="utf-8").split("\n---", 1)[0]
        day = re.search(r"^date:\s*(\d{4})-(\d{2})-(\d{2})", front, re.MULTILINE).groups()
        old = "/lil-log/{}/{}/{}/{}.html".format(*day, source.stem[11:])
        response = client.get(old)
        assert response.status_code == 200, old
        assert f'url=/posts/{source.stem}/"' in response.get_data(as_text=True)
