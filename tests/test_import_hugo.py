"""The Hugo importer: front matter, shortcodes and content layout one by one, then PaperMod's example site."""

import re
import textwrap
from html import unescape
from pathlib import Path

import pytest

from quire import create_app
from quire.importers import import_group
from quire.importers.common import Report
from quire.importers.hugo import import_hugo
from quire.markdown import render_markdown

from conftest import SHARED, SITE_TOML

PAPERMOD = SHARED / "corpus" / "hugo-papermod-example"


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
    assert meta["author"] == "Ada, Bob" and meta["cover"] == {"image": "c.png", "alt": "A cover"}
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
        "content/posts/show.md": body("""
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
    assert "[x](missing.md)" in items["a"].body
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


# Proof on PaperMod's example site


@pytest.fixture(scope="module")
def papermod(tmp_path_factory):
    """Import PaperMod's example content once into a fresh site; return an app showing drafts, and the output."""
    if not (PAPERMOD / "content").is_dir():
        pytest.skip(f"the PaperMod example corpus is not at {PAPERMOD}")
    site = tmp_path_factory.mktemp("papermod")
    (site / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    result = create_app(site, config={"TESTING": True}).test_cli_runner().invoke(
        import_group, ["hugo", str(PAPERMOD)])
    assert result.exit_code == 0, result.output
    return create_app(site, settings={"drafts": True}, config={"TESTING": True}), result.output, site


def imported_urls(site: Path) -> list[str]:
    posts = [f"/posts/{p.parent.name if p.name == 'index.md' else p.stem}/" for p in (site / "posts").rglob("*.md")]
    return sorted(posts + [f"/{p.stem}/" for p in (site / "pages").glob("*.md")])


def test_papermod_every_page_answers(papermod):
    app, _, site = papermod
    urls = imported_urls(site)
    assert len(urls) == 16 and "/about/" in urls and "/posts/papermod-features/" in urls
    client = app.test_client()
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert (site / "posts" / "papermod-features" / "images" / "homeinfo.jpg").is_file()


def test_papermod_shortcodes_are_converted_or_reported(papermod):
    app, output, site = papermod
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
    app, output, _ = papermod
    for variant in ("content/posts/markdown-syntax.fr.md", "content/posts/markdown-syntax.fa.md",
                    "content/archives.fr.md", "content/search.fr.md"):
        assert f"{variant}: warning: language variant" in output
    assert "content/posts/papermod/_index.md: warning: section page skipped" in output
    client = app.test_client()
    for old, new in (("/posts/papermod/papermod-faq/", "/posts/papermod-faq/"),
                     ("/papermod-installation/", "/posts/papermod-installation/"),
                     ("/posts/migrate-from-jekyl/", "/posts/markdown-syntax/")):
        assert f'url={new}"' in client.get(old).get_data(as_text=True), old
