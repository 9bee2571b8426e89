"""Cross-references: equation labels with anchors, `\\eqref`/`\\ref` in prose, labelled figures and `[@fig:x]`."""

import re
from pathlib import Path

import pytest

from quire import create_app
from quire.importers.common import Report
from quire.importers.jekyll import Context, convert_body
from quire.markdown import render_markdown
from quire.settings import SettingsError, load_settings
from quire.xrefs import anchor_id

POST = r"""
# Intro

As \eqref{eq:elbo} says, and \ref{eq:c}; see [@fig:pipeline] and [@fig:later]. In code: `\eqref{eq:elbo}`.

$$
\log p(x) \ge \mathcal{L} \label{eq:elbo}
$$

![A pipe](pipe.png "The pipeline"){#fig:pipeline}

$$
\begin{align}
a &= b \label{eq:a} \\
c &= d \label{eq:c} \eqref{eq:a}
\end{align}
$$

![Unlabelled](u.png "No label")

![Later](later.png){#fig:later}
*Shown after its first reference.*
"""


def test_equations_get_anchors_and_prose_refs_link_to_them():
    html = render_markdown(POST).html
    assert '<div class="math display" id="eq-elbo">\\[\\log p(x) \\ge \\mathcal{L} \\label{eq:elbo}\\]</div>' in html
    assert ('<span class="equation-anchor" id="eq-c"></span><div class="math display" id="eq-a">'
            '\\[\\begin{align}') in html
    assert ('<a class="xref eqref" href="#eq-elbo" data-label="eq:elbo" data-command="eqref">(eq:elbo)</a>'
            in html)
    assert '<a class="xref eqref" href="#eq-c" data-label="eq:c" data-command="ref">eq:c</a>' in html
    assert "<code>\\eqref{eq:elbo}</code>" in html  # code stays code


def test_figures_are_numbered_in_order_and_referenced_by_label():
    rendered = render_markdown(POST)
    html = rendered.html
    assert ('<figure id="fig-pipeline"><img src="pipe.png" alt="A pipe" loading="lazy" decoding="async">'
            '<figcaption><span class="figure-number">Fig. 1.</span> The pipeline</figcaption></figure>') in html
    assert '<figure id="figure-2">' in html
    assert ('<figure id="fig-later"><img src="later.png" alt="Later" loading="lazy" decoding="async"><figcaption>'
            '<span class="figure-number">Fig. 3.</span> Shown after its first reference.</figcaption>') in html
    # A reference before its figure still gets its number.
    assert ('see <a class="xref" href="#fig-pipeline">Fig. 1</a> and <a class="xref" href="#fig-later">Fig. 3</a>'
            in html)
    assert rendered.labels == ("eq:elbo", "fig:pipeline", "eq:a", "eq:c", "fig:later")
    assert rendered.refs == ("eq:elbo", "eq:c", "fig:pipeline", "fig:later", "eq:a")
    assert "\x00" not in html


def test_a_label_keeps_its_id_when_a_figure_is_inserted_above():
    before = render_markdown("![B](b.png){#fig:b}\n\nSee [@fig:b].\n").html
    after = render_markdown("![A](a.png \"New\")\n\n![B](b.png){#fig:b}\n\nSee [@fig:b].\n").html
    assert '<figure id="fig-b">' in before and '<figure id="fig-b">' in after
    assert 'href="#fig-b">Fig. 1</a>' in before and 'href="#fig-b">Fig. 2</a>' in after


def test_unknown_and_odd_references_stay_as_typed():
    html = render_markdown("See [@fig:nowhere] and [@fig:x](http://example.org) and \\eqref{bad label}.\n").html
    assert "See [@fig:nowhere] and" in html
    assert "\\eqref{bad label}" in html and "xref" not in html.split("and \\eqref")[1]


def test_a_figure_reference_in_a_heading_is_resolved_in_the_toc_too():
    rendered = render_markdown("## About [@fig:a]\n\n![A](a.png){#fig:a}\n")
    assert 'href="#fig-a">Fig. 1</a>' in rendered.headings[0].html


def test_labels_in_raw_html_math_count():
    rendered = render_markdown('<div>$$ x \\label{eq:raw} $$</div>\n\nSee \\eqref{eq:raw}.\n')
    assert rendered.labels == ("eq:raw",) and rendered.refs == ("eq:raw",)


@pytest.mark.parametrize("label, anchor", [("eq:elbo", "eq-elbo"), ("fig:a.b_c", "fig-a-b_c"), (":x:", "x"),
                                           ("eq:ü", "eq")])
def test_anchor_id(label, anchor):
    assert anchor_id(label) == anchor


def test_check_reports_unknown_references_and_labels_defined_twice(builder, app):
    builder.post("2024-01-01-x", body=(
        "See \\eqref{eq:one} and \\eqref{eq:missing}.\n\n"
        "$$ a \\label{eq:one} $$\n\n"
        "See [@fig:gone].\n\n"
        "$$ b \\label{eq:one} $$\n\n"
        "![A](http://example.org/a.png){#fig:a}\n\n![B](http://example.org/b.png){#fig:a}\n"))
    builder.post("2024-01-02-fine", body="$$ a \\label{eq:a} $$\n\nSee \\eqref{eq:a}, $\\ref{eq:a}$.\n")
    output = app.test_cli_runner().invoke(args=["check"]).output
    lines = [line for line in output.splitlines() if ": error:" in line]
    assert lines == [
        "posts/2024-01-01-x.md:5: error: reference to 'eq:missing', but no equation of this post has "
        "\\label{eq:missing}",
        "posts/2024-01-01-x.md:9: error: reference to 'fig:gone', but no figure of this post has {#fig:gone} "
        "after its image",
        "posts/2024-01-01-x.md:11: error: label 'eq:one' is defined twice: give each equation or figure its own",
        "posts/2024-01-01-x.md:15: error: label 'fig:a' is defined twice: give each equation or figure its own",
    ], output


def test_references_inside_math_are_checked_too(builder, app):
    builder.post("2024-01-01-x", body="$$ a = \\eqref{eq:nothing} $$\n")
    output = app.test_cli_runner().invoke(args=["check"]).output
    assert "reference to 'eq:nothing'" in output


@pytest.mark.parametrize("numbers", ["ams", "all", "none"])
def test_equation_numbering_setting_reaches_mathjax(site_dir, builder, numbers):
    (site_dir / "site.toml").write_text(f'equation_numbers = "{numbers}"\n')
    builder.post("2024-01-01-x", body="$$ a \\label{eq:a} $$\n")
    html = create_app(site_dir, config={"TESTING": True}).test_client().get("/posts/2024-01-01-x/").get_data(
        as_text=True)
    assert f'tags: "{numbers}", packages: {{"[+]": ["tagformat"]}}' in html
    assert '"[tex]/tagformat"' in html


def test_equation_numbering_setting_is_checked(tmp_path):
    (tmp_path / "site.toml").write_text('equation_numbers = "some"\n')
    with pytest.raises(SettingsError, match="`equation_numbers` must be one of ams, all, none"):
        load_settings(tmp_path)


def test_feeds_carry_the_numbers(site_dir, builder):
    (site_dir / "site.toml").write_text('full_text_feed = true\nbase_url = "https://x.org/"\n')
    builder.post("2024-01-01-x", body="See [@fig:a].\n\n![A](a.png){#fig:a}\n")
    feed = create_app(site_dir, config={"TESTING": True}).test_client().get("/index.xml").get_data(as_text=True)
    assert "Fig. 1" in feed and "\x00" not in feed and "xref:" not in feed


def test_importer_maps_a_kramdown_figure_id_to_a_label():
    ctx = Context("x.md", Report(), Path("/tmp"), "", "posts/x/")
    body = convert_body("![Pipe](http://x.org/p.png)\n{: #pipeline}\n*The pipeline.*\n", ctx)
    assert body.startswith("![Pipe](http://x.org/p.png){#fig:pipeline}\n*The pipeline.*")
    html = render_markdown(body).html
    assert re.search(r'<figure id="fig-pipeline">.*The pipeline\.</figcaption>', html)
