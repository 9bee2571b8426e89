"""The Hugo importer: front matter, shortcodes and content layout one by one, then PaperMod's example site."""

import re
import textwrap
from html import unescape
from pathlib import Path

import pytest

from quire import create_app
from quire.cli import import_group
from quire.importers.common import Report
from quire.importers.hugo import import_hugo
from quire.markdown import render_markdown

from conftest import SITE_TOML, shared
from linkcheck import broken_links

PAPERMOD_CONTENT = "corpus/hugo-papermod-example/content"


def hugo_site(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write a small Hugo site: a config and content files."""
    for rel, text in {"hugo.toml": "[params]\nShowToc = false\n", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def imported(root: Path, files: dict[str, str | bytes]) -> tuple[dict, Report]:
    """Import a small Hugo site; return the converted items by slug and the report."""
    report = Report()
    items = import_hugo(hugo_site(root, files), report)
    return {item.slug: item for item in items}, report


def body(text: str) -> str:
    return "---\ntitle: Post\ndate: 2024-01-02\n---\n" + textwrap.dedent(text).lstrip("\n")


def messages(report: Report) -> str:
    return "\n".join(f"{where}: {message}" for where, message in report.problems)


# Front matter


def test_toml_front_matter_and_hugo_keys(tmp_path):
    items, _ = imported(tmp_path, {"content/posts/first.md": """
        +++
        title = "First"
        date = 2024-03-01T10:00:00Z
        lastmod = 2024-04-01
        tags = ["a", "b"]
        ShowToc = true
        TocOpen = true
        weight = 2
        summary = "Short."
        description = "Longer."
        author = ["Ada", "Bob"]
        cover = { image = "c.png", alt = "A cover" }
        +++
        Body.
        """})
    meta = items["first"].meta
    assert meta["title"] == "First" and meta["updated"].isoformat() == "2024-04-01"
    assert meta["tags"] == ["a", "b"] and meta["toc"] is True and meta["weight"] == 2
    assert meta["author"] == "Ada, Bob" and meta["cover"] == "c.png" and meta["cover_alt"] == "A cover"
    assert "ShowToc" not in meta and "TocOpen" not in meta and "lastmod" not in meta
    assert meta["aliases"] == []


def test_url_slug_and_aliases_become_quire_slug_and_aliases(tmp_path):
    items, _ = imported(tmp_path, {
        "content/posts/deep/one.md": "---\ntitle: One\ndate: 2024-01-01\naliases: [old-one, /top-one]\n---\nx\n",
        "content/posts/two.md": "---\ntitle: Two\ndate: 2024-01-01\nurl: /2019/legacy-two/\n---\nx\n",
        "content/posts/three.md": "---\ntitle: Three\ndate: 2024-01-01\nslug: third\n---\nx\n",
    })
    assert items["one"].meta["aliases"] == ["/posts/deep/one/", "/posts/deep/old-one/", "/top-one/"]
    assert items["legacy-two"].meta["aliases"] == ["/2019/legacy-two/"]
    assert "third" in items and items["third"].meta["aliases"] == []


def test_language_variants_and_section_pages_are_skipped_and_reported(tmp_path):
    items, report = imported(tmp_path, {
        "content/posts/a.md": body("A.\n"),
        "content/posts/a.fr.md": body("Un.\n"),
        "content/posts/_index.md": "---\ntitle: Posts\n---\nAll my posts.\n",
        "content/search.md": "---\ntitle: Search\nlayout: search\n---\n",
        "content/about.md": "---\ntitle: About\ndate: 2024-01-01\n---\nMe.\n",
    })
    assert set(items) == {"a", "about"} and items["about"].kind == "page"
    text = messages(report)
    assert "a.fr.md: language variant (fr) skipped" in text
    assert "_index.md: section page skipped" in text and "search.md: skipped: Quire makes /search/" in text
    assert report.counts["unconverted"] == 1  # only the section page had text to lose


def test_default_language_files_are_imported_under_their_plain_name(tmp_path):
    items, report = imported(tmp_path, {
        "content/posts/note.en.md": body("English.\n"),
        "content/posts/note.de.md": body("Deutsch.\n"),
        "content/posts/trip/index.en.md": body("Bundle.\n"),
    })
    assert set(items) == {"note", "trip"} and items["trip"].bundle
    assert "note.de.md: language variant (de) skipped" in messages(report)


def test_bundle_files_are_copied_with_the_post(tmp_path, site_dir, runner):
    hugo_site(tmp_path / "src", {
        "content/posts/trip/index.md": body("![view](images/view.png)\n"),
        "content/posts/trip/images/view.png": b"\x89PNG fake",
    })
    result = runner.invoke(import_group, ["hugo", str(tmp_path / "src")])
    assert "wrote posts/trip/index.md" in result.output
    assert (site_dir / "posts" / "trip" / "images" / "view.png").read_bytes() == b"\x89PNG fake"


# Shortcodes


def test_known_shortcodes_become_html_or_markdown(tmp_path):
    items, report = imported(tmp_path, {
        "content/posts/target.md": body("## Setup Steps\n\nText.\n"),
        "content/posts/show/cat.png": b"\x89PNG fake",
        "content/posts/show/index.md": body("""
            {{< figure src="cat.png" alt="A cat" caption="A **cat** and $x$" width="300" >}}

            {{< youtube id="hjD9jTi_DQ4" >}}

            See [setup]({{< ref "posts/target.md#setup-steps" >}}) and [again]({{< relref "target" >}}).

            {{< rawhtml >}}
            <div class="box">

            <b>raw</b>
            </div>
            {{< /rawhtml >}}

            {{< collapse summary="**More**" >}}
            Hidden *text*.
            {{< /collapse >}}

            {{< highlight go >}}
            fmt.Println("hi")
            {{< /highlight >}}
            """),
    })
    out = items["show"].body
    html = render_markdown(out).html
    assert '<figure><img src="cat.png" alt="A cat" style="width: 300px;">' in out
    assert '<figcaption>A <strong>cat</strong> and <span class="math">\\(x\\)</span></figcaption>' in out
    assert 'src="https://www.youtube-nocookie.com/embed/hjD9jTi_DQ4"' in html
    assert "[setup](/posts/target/#setup-steps)" in out and "[again](/posts/target/)" in out
    assert '<div class="box">\n<b>raw</b>\n</div>' in html
    assert "<details><summary><strong>More</strong></summary>" in html and "<em>text</em>" in html
    assert '<code class="language-go">' in html
    assert "{{" not in out and not report.problems


def test_unknown_shortcodes_are_reported_and_shown_as_code(tmp_path):
    items, report = imported(tmp_path, {"content/posts/odd.md": body("""
        Look: {{< gist user 12345 >}} here.

        {{< notice warning >}}
        Careful.
        {{< /notice >}}
        """)})
    out = items["odd"].body
    assert "`{{< gist user 12345 >}}`" in out
    assert "```text\n{{< notice warning >}}\nCareful.\n{{< /notice >}}\n```" in out
    assert "shortcode 'gist' has no Quire equivalent" in messages(report)
    assert report.counts["unconverted"] == 2


def test_unresolved_refs_are_reported(tmp_path):
    items, report = imported(tmp_path, {"content/posts/a.md": body('[x]({{< ref "missing.md" >}})\n')})
    assert items["a"].body == "x\n"  # the text is kept, the link that leads nowhere dropped
    assert "ref to 'missing.md' names no imported page" in messages(report)
    assert report.counts["unconverted"] == 1


def test_escaped_shortcodes_in_code_are_shown_unescaped(tmp_path):
    items, report = imported(tmp_path, {"content/posts/doc.md": body("""
        ```md
        {{</* figure src="image.jpg" */>}}
        ```
        """)})
    assert '```md\n{{< figure src="image.jpg" >}}\n```' in items["doc"].body
    assert not report.problems


def test_relative_links_to_other_pages_follow_them(tmp_path):
    items, _ = imported(tmp_path, {
        "content/posts/guide/faq.md": body("## Custom Head\n"),
        "content/posts/math.md": body("Read [the FAQ](../guide/faq/#custom-head).\n"),
    })
    assert "[the FAQ](/posts/faq/#custom-head)" in items["math"].body



def test_preview_server_links_and_scheme_less_hosts_are_repaired(tmp_path):
    items, report = imported(tmp_path, {
        "content/posts/guide/faq.md": body("## Custom Head\n"),
        "content/posts/math.md": body("See [the FAQ](http://localhost:1313/posts/guide/faq/#custom-head) and "
                                      "[the tutorial](tensorflow.org/tutorials/recurrent).\n"),
    })
    assert ("[the FAQ](/posts/faq/#custom-head) and [the tutorial](https://tensorflow.org/tutorials/recurrent)"
            in items["math"].body)
    assert "is to the author's preview server: read as the old site's /posts/guide/faq/#custom-head" in \
        messages(report)
    assert report.counts["links_fixed"] == 1


# The old site's address, and links that lead nowhere


OUTSIDE = {
    "content/posts/trip/index.md": body("""
        ![here](view.png) ![gone](lost.png) [old]( /posts/not-here/#part) [draft](../wip/) [tags](/tags/)
        [home](www.example.com) ![logo](/images/logo.png)
        """),
    "content/posts/trip/view.png": b"\x89PNG fake",
    "static/images/logo.png": b"\x89PNG logo",
    "content/posts/wip.md": "---\ntitle: WIP\ndate: 2024-01-01\ndraft: true\n---\nSoon.\n",
}


def test_site_url_points_everything_outside_the_import_at_the_old_site(tmp_path):
    report = Report()
    items = {i.slug: i for i in import_hugo(hugo_site(tmp_path, OUTSIDE), report, "https://old.example.org/blog")}
    out = items["trip"].body
    assert "![here](view.png) ![gone](https://old.example.org/blog/posts/trip/lost.png)" in out
    assert "[old]( https://old.example.org/blog/posts/not-here/#part)" in out
    assert "[draft](https://old.example.org/blog/posts/wip/) [tags](/tags/)" in out
    assert "[home](https://www.example.com) ![logo](/static/images/logo.png)" in out
    assert items["trip"].files["static/images/logo.png"] == tmp_path / "static" / "images" / "logo.png"
    text = messages(report)
    assert "lost.png is not in this import: linked at its old address" in text
    assert "which is imported as a draft: linked at its old address" in text
    assert report.counts["images_old"] == 1 and report.counts["links_old"] == 2
    assert report.counts["links_fixed"] == 1 and report.counts["unconverted"] == 0


def test_without_site_url_a_link_to_no_page_keeps_only_its_text(tmp_path):
    report = Report()
    items = {i.slug: i for i in import_hugo(hugo_site(tmp_path, OUTSIDE), report)}
    out = items["trip"].body
    assert "![gone](lost.png) old [draft](/posts/wip/) [tags](/tags/)" in out
    text = messages(report)
    assert "link /posts/not-here/#part leads to no imported page: left unconverted" in text
    assert "lost.png is not in this import (add it beside index.md)" in text
    assert "which is imported as a draft: the link is broken until that post is published" in text
    assert report.counts["images_missing"] == 1 and report.counts["unconverted"] == 1


def test_a_link_markdown_cannot_read_is_reported_as_left_as_typed(tmp_path):
    items, report = imported(tmp_path, {"content/posts/m.md": body("See [it](/posts/not-here/ soon).\n")})
    assert "See [it](/posts/not-here/ soon)." in items["m"].body
    assert ("content/posts/m.md: link /posts/not-here/ leads to no imported page, in a link Markdown does not read "
            "as one (it shows as typed): left as it is, fix it by hand") in messages(report)
    assert "the link dropped" not in messages(report)
    assert report.counts["unconverted"] == 1


def test_inline_shortcodes_without_template_code_become_their_html(tmp_path):
    items, report = imported(tmp_path, {"content/posts/m.md": body("""
        {{< math.inline >}}
        <p>Inline: \\(\\varphi = 1\\)</p>
        {{</ math.inline >}}

        {{< t.inline >}}{{ .Site.Title }}{{< /t.inline >}}
        """)})
    out = items["m"].body
    assert '<p>Inline: <span class="math">\\(\\varphi = 1\\)</span></p>' in out
    assert "shortcode 't.inline' has no Quire equivalent" in messages(report)
    assert report.counts["math"] == 1


def test_tag_spellings_are_unified(tmp_path):
    items, report = imported(tmp_path, {
        "content/posts/a.md": "---\ntitle: A\ndate: 2024-01-01\ntags: [HTML, css]\n---\nA.\n",
        "content/posts/b.md": "---\ntitle: B\ndate: 2024-01-02\ntags: [html]\n---\nB.\n",
    })
    assert items["b"].meta["tags"] == ["HTML"]
    assert "tag 'html' written 'HTML'" in messages(report)


# Proof on PaperMod's example site: import with the old address, check, freeze

PAPERMOD_URL = "https://adityatelange.github.io/hugo-PaperMod/"


@pytest.fixture(scope="module")
def papermod(tmp_path_factory):
    """Import PaperMod's example content once with its old address, check it and freeze it.

    Returns an app showing drafts, the import's output, the site folder, the check's result and the frozen folder.
    """
    papermod_dir = shared(PAPERMOD_CONTENT).parent
    site = tmp_path_factory.mktemp("papermod")
    (site / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    result = create_app(site, config={"TESTING": True}).test_cli_runner().invoke(
        import_group, ["hugo", str(papermod_dir), "--site-url", PAPERMOD_URL])
    assert result.exit_code == 0, result.output
    published = create_app(site, config={"TESTING": True})
    check = published.test_cli_runner().invoke(args=["check"])
    dest = site.parent / (site.name + "-frozen")
    freeze = published.test_cli_runner().invoke(args=["freeze", "--dest", str(dest)])
    assert freeze.exit_code == 0, freeze.output
    return create_app(site, settings={"drafts": True}, config={"TESTING": True}), result.output, site, check, dest


def imported_urls(site: Path) -> list[str]:
    posts = [f"/posts/{p.parent.name if p.name == 'index.md' else p.stem}/" for p in (site / "posts").rglob("*.md")]
    return sorted(posts + [f"/{p.stem}/" for p in (site / "pages").glob("*.md")])


def test_papermod_every_page_answers(papermod):
    app, _, site, _, _ = papermod
    urls = imported_urls(site)
    assert len(urls) == 16 and "/about/" in urls and "/posts/papermod-features/" in urls
    client = app.test_client()
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert (site / "posts" / "papermod-features" / "images" / "homeinfo.jpg").is_file()


def test_papermod_shortcodes_are_converted_or_reported(papermod):
    app, output, site, _, _ = papermod
    client = app.test_client()
    for url in imported_urls(site):
        page = client.get(url).get_data(as_text=True)
        prose = re.sub(r"<(pre|code)\b.*?</\1>", "", page[page.index("<article"):page.index("</article>")],
                       flags=re.DOTALL)
        assert "{{&lt;" not in prose and "{{%" not in unescape(prose), url
    rich = client.get("/posts/rich-content/").get_data(as_text=True)
    assert "youtube-nocookie.com/embed/hjD9jTi_DQ4" in rich and "player.vimeo.com/video/152985022" in rich
    assert "<details><summary>" in client.get("/posts/papermod-installation/").get_data(as_text=True)
    for name in ("x", "instagram", "inTextImg", "css.inline", "math.inline"):
        assert f"shortcode '{name}' has no Quire equivalent" in output


def test_papermod_language_variants_sections_and_aliases(papermod):
    app, output, _, _, _ = papermod
    for variant in ("content/posts/markdown-syntax.fr.md", "content/posts/markdown-syntax.fa.md",
                    "content/archives.fr.md", "content/search.fr.md"):
        assert f"{variant}: warning: language variant" in output
    assert "content/posts/papermod/_index.md: warning: section page skipped" in output
    client = app.test_client()
    for old, new in (("/posts/papermod/papermod-faq/", "/posts/papermod-faq/"),
                     ("/papermod-installation/", "/posts/papermod-installation/"),
                     ("/posts/migrate-from-jekyl/", "/posts/markdown-syntax/")):
        assert f'url={new}"' in client.get(old).get_data(as_text=True), old


def test_papermod_check_reports_no_errors(papermod):
    check = papermod[3]
    assert check.exit_code == 0, check.output
    assert ": error:" not in check.output
    assert re.fullmatch(r"No problems found\.|0 errors, \d+ warnings? in \d+ files?",
                        check.output.strip().splitlines()[-1]), check.output


def test_papermod_frozen_site_has_no_broken_links_nor_visible_shortcodes(papermod):
    dest = papermod[4]
    assert (dest / "posts" / "math-typesetting" / "index.html").is_file()
    assert broken_links(dest, "https://blog.example.org/") == []
    pages = {page.relative_to(dest).as_posix(): page.read_text(encoding="utf-8") for page in dest.rglob("*.html")}
    checked = 0
    for name, page in sorted(pages.items()):
        # Code samples show shortcodes on purpose: those in code are left out, in prose they are leftovers.
        text = re.sub(r"<(script|style|pre|code)\b.*?</\1>", "", page, flags=re.DOTALL)
        text = re.sub(r'<span class="math[^"]*">.*?</span>|<div class="math display">.*?</div>', "", text,
                      flags=re.DOTALL)
        text = " ".join(unescape(re.sub(r"<[^>]+>", "", text)).split())
        leftovers = [m.group(0) for m in re.finditer(r"(?:\{\{|\{%|\{:).{0,20}", text)]
        assert not leftovers, (name, leftovers)
        checked += "{{" in page  # pages that do show shortcodes (in code): the check saw them and let them be
    assert checked >= 3


def test_papermod_math_and_the_link_to_a_draft(papermod):
    dest, output = papermod[4], papermod[1]
    page = (dest / "posts" / "math-typesetting" / "index.html").read_text(encoding="utf-8")
    article = page[page.index("<article"):page.index("</article>")]
    assert article.count('class="math') == 2  # the $$ block and the \\(…\\) of the inline shortcode
    assert f'href="{PAPERMOD_URL}posts/papermod/papermod-faq/#custom-head--footer"' in article
    assert "which is imported as a draft: linked at its old address" in output
